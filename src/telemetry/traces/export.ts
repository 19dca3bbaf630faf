// Hands the spans built from committed steps (spans.ts) to an OpenTelemetry span processor. The spans
// are built after the fact with the steps' own times and derived ids, so they go straight to the
// processor as finished spans (ReadableSpan) instead of through a live Tracer, which would stamp
// them with the current time and random ids.
//
// Only types are imported from OpenTelemetry here: its packages take a few hundred milliseconds to load,
// which a process that exports no traces must not pay (from-env.ts loads them when traces are on).
import type { HrTime, SpanKind, SpanStatusCode, TraceFlags } from '@opentelemetry/api';
import type { Resource } from '@opentelemetry/resources';
import type { ReadableSpan, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { CommitObserver } from '../commit-tap.js';
import { SpanBuilder, type SpanOptions, type SpanSpec } from './spans.js';

const SCOPE = { name: 'nightshift' };
// The values of @opentelemetry/api's enums (fixed by the OTLP protocol).
const INTERNAL = 0 as SpanKind.INTERNAL;
const CLIENT = 2 as SpanKind.CLIENT;
const UNSET = 0 as SpanStatusCode.UNSET;
const ERROR = 2 as SpanStatusCode.ERROR;
const SAMPLED = 1 as TraceFlags.SAMPLED;

function hrTime(ms: number): HrTime {
  const seconds = Math.floor(ms / 1000);
  return [seconds, Math.round((ms - seconds * 1000) * 1e6)];
}

/** A commit observer that exports a span for each span-worthy step, and can be flushed and shut down. */
export interface TraceObserver extends CommitObserver {
  /** Sends what is buffered (waits for the exporter). */
  forceFlush(): Promise<void>;
  /** Flushes and stops the exporter. */
  shutdown(): Promise<void>;
}

export function createTraceObserver(
  processor: SpanProcessor,
  resource: Resource,
  options: SpanOptions,
): TraceObserver {
  const builder = new SpanBuilder(options);
  return {
    committed(c) {
      for (const spec of builder.spansOf(c)) processor.onEnd(readableSpan(spec, resource));
    },
    forceFlush: () => processor.forceFlush(),
    shutdown: () => processor.shutdown(),
  };
}

function readableSpan(spec: SpanSpec, resource: Resource): ReadableSpan {
  const context = { traceId: spec.traceId, spanId: spec.spanId, traceFlags: SAMPLED };
  const startTime = hrTime(spec.startMs);
  const endTime = hrTime(spec.endMs);
  return {
    name: spec.name,
    kind: spec.kind === 'client' ? CLIENT : INTERNAL,
    spanContext: () => context,
    ...(spec.parentSpanId
      ? {
          parentSpanContext: {
            traceId: spec.traceId,
            spanId: spec.parentSpanId,
            traceFlags: SAMPLED,
            isRemote: false,
          },
        }
      : {}),
    startTime,
    endTime,
    duration: hrTime(spec.endMs - spec.startMs),
    status: spec.error === undefined ? { code: UNSET } : { code: ERROR, message: spec.error },
    attributes: spec.attributes,
    links: [],
    events: [],
    ended: true,
    resource,
    instrumentationScope: SCOPE,
    droppedAttributesCount: 0,
    droppedEventsCount: 0,
    droppedLinksCount: 0,
  };
}
