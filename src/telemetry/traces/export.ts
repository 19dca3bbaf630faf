// Hands the spans built from committed steps (spans.ts) to an OpenTelemetry span processor. The spans
// are built after the fact with the steps' own times and derived ids, so they go straight to the
// processor as finished spans (ReadableSpan) instead of through a live Tracer, which would stamp
// them with the current time and random ids.
import { type HrTime, SpanKind, SpanStatusCode, TraceFlags } from '@opentelemetry/api';
import { hrTimeDuration, millisToHrTime } from '@opentelemetry/core';
import type { Resource } from '@opentelemetry/resources';
import type { ReadableSpan, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { CommitObserver } from '../commit-tap.js';
import { SpanBuilder, type SpanOptions, type SpanSpec } from './spans.js';

const SCOPE = { name: 'nightshift' };

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
  const context = { traceId: spec.traceId, spanId: spec.spanId, traceFlags: TraceFlags.SAMPLED };
  const startTime: HrTime = millisToHrTime(spec.startMs);
  const endTime: HrTime = millisToHrTime(spec.endMs);
  return {
    name: spec.name,
    kind: spec.kind === 'client' ? SpanKind.CLIENT : SpanKind.INTERNAL,
    spanContext: () => context,
    ...(spec.parentSpanId
      ? {
          parentSpanContext: {
            traceId: spec.traceId,
            spanId: spec.parentSpanId,
            traceFlags: TraceFlags.SAMPLED,
            isRemote: false,
          },
        }
      : {}),
    startTime,
    endTime,
    duration: hrTimeDuration(startTime, endTime),
    status:
      spec.error === undefined
        ? { code: SpanStatusCode.UNSET }
        : { code: SpanStatusCode.ERROR, message: spec.error },
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
