// Traces are on when the standard OpenTelemetry exporter variables say where to send them
// (OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, or OTEL_EXPORTER_OTLP_ENDPOINT + /v1/traces; headers from
// OTEL_EXPORTER_OTLP_HEADERS / _TRACES_HEADERS, read by the exporter itself). Neither set: no observer,
// no exporter, no cost. OTEL_SDK_DISABLED=true or OTEL_TRACES_EXPORTER=none turn them off as well.
// Spans leave in batches (OTEL_BSP_* tune the batching) as OTLP/HTTP JSON. The OpenTelemetry packages
// are loaded only then: they take a few hundred milliseconds to load, which every CLI command would pay.
import { createTraceObserver, type TraceObserver } from './export.js';

/** Opts in to exporting prompt and output content (model text, tool arguments and results). */
export const CAPTURE_CONTENT_ENV = 'NIGHTSHIFT_OTEL_CAPTURE_CONTENT';

function isSet(value: string | undefined): boolean {
  return value !== undefined && value.trim() !== '';
}

/** Whether `env` asks for traces to be exported. */
export function tracesEnabled(env: NodeJS.ProcessEnv): boolean {
  if (env.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true') return false;
  if (env.OTEL_TRACES_EXPORTER?.trim().toLowerCase() === 'none') return false;
  return isSet(env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) || isSet(env.OTEL_EXPORTER_OTLP_ENDPOINT);
}

/** Where `env` sends traces: the traces endpoint as given, else the base endpoint + /v1/traces (the OTLP rule). */
function tracesUrl(env: NodeJS.ProcessEnv): string {
  const traces = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT;
  if (isSet(traces)) return traces!.trim();
  return `${env.OTEL_EXPORTER_OTLP_ENDPOINT!.trim().replace(/\/+$/, '')}/v1/traces`;
}

/**
 * The trace observer `env` asks for (a runtime's `env` option, process.env by default), or undefined. The
 * endpoint comes from `env`; headers and timeouts the exporter reads from process.env itself (the
 * OpenTelemetry SDK's own rules).
 */
export async function traceObserverFromEnv(
  env: NodeJS.ProcessEnv = process.env,
): Promise<TraceObserver | undefined> {
  if (!tracesEnabled(env)) return undefined;
  const [{ OTLPTraceExporter }, { defaultResource, detectResources, envDetector, resourceFromAttributes }] =
    await Promise.all([
      import('@opentelemetry/exporter-trace-otlp-http'),
      import('@opentelemetry/resources'),
    ]);
  const [{ BatchSpanProcessor }, { ATTR_SERVICE_NAME }] = await Promise.all([
    import('@opentelemetry/sdk-trace-base'),
    import('@opentelemetry/semantic-conventions'),
  ]);
  const resource = defaultResource()
    .merge(resourceFromAttributes({ [ATTR_SERVICE_NAME]: 'nightshift' }))
    .merge(detectResources({ detectors: [envDetector] }));
  const processor = new BatchSpanProcessor(new OTLPTraceExporter({ url: tracesUrl(env) }));
  return createTraceObserver(processor, resource, {
    captureContent: env[CAPTURE_CONTENT_ENV]?.trim().toLowerCase() === 'true',
  });
}
