// Counters and histograms cheap enough for the commit path. prom-client's own Counter and Histogram
// validate and hash a label object on every update (measured: ~5% of the durable-runs bench's sequential
// throughput with every batch observed); these keep each series' numbers under a key joined from the
// label values, and do the formatting work only when Prometheus scrapes. They implement what
// prom-client's Registry asks of a metric (`name`, `help`, `type`, `get()`, `reset()`), so the registry
// renders them with the default metrics.
import type { Registry } from 'prom-client';

/** One sample as prom-client's registry renders it (`metricName` for a histogram's _bucket/_sum/_count). */
interface Sample {
  metricName?: string;
  labels: Record<string, string | number>;
  value: number;
}
/** What the registry reads from a metric at scrape time. */
interface Family {
  name: string;
  help: string;
  type: never;
  values: Sample[];
  aggregator: 'sum';
}

interface CounterSeries {
  labels: Record<string, string>;
  value: number;
}
interface HistogramSeries {
  labels: Record<string, string>;
  /** Observations per bucket (not cumulative); the last is above every bound (+Inf). */
  counts: number[];
  sum: number;
  count: number;
}

function labelsOf(names: readonly string[], values: readonly string[]): Record<string, string> {
  const labels: Record<string, string> = {};
  for (let i = 0; i < names.length; i++) labels[names[i]!] = values[i]!;
  return labels;
}

/** A counter family: `inc(['refund-desk', 'succeeded'])` adds one to that series. */
export class CounterFamily<L extends string = string> {
  readonly type = 'counter';
  private series = new Map<string, CounterSeries>();

  constructor(
    readonly name: string,
    readonly help: string,
    readonly labelNames: readonly L[],
    registry: Registry,
  ) {
    registry.registerMetric(this as never);
  }

  /** Label values in the order of `labelNames`. */
  inc(values: readonly string[], by = 1): void {
    const key = values.join('\u0001');
    const s = this.series.get(key);
    if (s) s.value += by;
    else this.series.set(key, { labels: labelsOf(this.labelNames, values), value: by });
  }

  get(): Promise<Family> {
    const values = [...this.series.values()].map((s) => ({ labels: s.labels, value: s.value }));
    return Promise.resolve({
      name: this.name,
      help: this.help,
      type: 'counter' as never,
      values,
      aggregator: 'sum',
    });
  }

  reset(): void {
    this.series.clear();
  }
}

/** A histogram family with fixed bucket bounds (in the metric's unit). */
export class HistogramFamily<L extends string = string> {
  readonly type = 'histogram';
  private series = new Map<string, HistogramSeries>();

  constructor(
    readonly name: string,
    readonly help: string,
    readonly labelNames: readonly L[],
    readonly bounds: readonly number[],
    registry: Registry,
  ) {
    registry.registerMetric(this as never);
  }

  observe(values: readonly string[], value: number): void {
    const key = values.join('\u0001');
    let s = this.series.get(key);
    if (!s) {
      s = {
        labels: labelsOf(this.labelNames, values),
        counts: new Array(this.bounds.length + 1).fill(0),
        sum: 0,
        count: 0,
      };
      this.series.set(key, s);
    }
    let i = 0;
    while (i < this.bounds.length && value > this.bounds[i]!) i++;
    s.counts[i]!++;
    s.sum += value;
    s.count++;
  }

  get(): Promise<Family> {
    const values: Sample[] = [];
    for (const s of this.series.values()) {
      let cumulative = 0;
      for (let i = 0; i <= this.bounds.length; i++) {
        cumulative += s.counts[i]!;
        const le = i < this.bounds.length ? this.bounds[i]! : '+Inf';
        values.push({ metricName: `${this.name}_bucket`, labels: { le, ...s.labels }, value: cumulative });
      }
      values.push({ metricName: `${this.name}_sum`, labels: s.labels, value: s.sum });
      values.push({ metricName: `${this.name}_count`, labels: s.labels, value: s.count });
    }
    return Promise.resolve({
      name: this.name,
      help: this.help,
      type: 'histogram' as never,
      values,
      aggregator: 'sum',
    });
  }

  reset(): void {
    this.series.clear();
  }
}
