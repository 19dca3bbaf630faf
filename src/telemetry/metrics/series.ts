// Counters and histograms cheap enough for the commit path. prom-client's own Counter and Histogram
// validate and hash a label object on every update (measured: ~5% of the durable-runs bench's sequential
// throughput with every batch observed); these keep each series' numbers under a key joined from the
// label values, and do the formatting work only when Prometheus scrapes. They implement what
// prom-client's Registry asks of a metric (`name`, `help`, `type`, `get()`, `reset()`), so the registry
// renders them with the default metrics. A family can also add other processes' series to its own at
// scrape time (`mergeFrom`: `serve --workers N`'s children, workers.ts), summed series by series.
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
  values: readonly string[];
  labels: Record<string, string>;
  value: number;
}
interface HistogramSeries {
  values: readonly string[];
  labels: Record<string, string>;
  /** Observations per bucket (not cumulative); the last is above every bound (+Inf). */
  counts: number[];
  sum: number;
  count: number;
}

/** A counter family's series as plain data, to send to another process: label values in family order. */
export type CounterSnapshot = { values: string[]; value: number }[];
/** A histogram family's series as plain data (`counts` per bucket, not cumulative, +Inf last). */
export type HistogramSnapshot = { values: string[]; counts: number[]; sum: number; count: number }[];

const keyOf = (values: readonly string[]) => values.join('\u0001');

/** Several processes' series of one counter family, summed series by series (new arrays). */
export function sumCounters(snapshots: Iterable<CounterSnapshot>): CounterSnapshot {
  const byKey = new Map<string, CounterSnapshot[number]>();
  for (const snapshot of snapshots)
    for (const x of snapshot) {
      const s = byKey.get(keyOf(x.values));
      if (s) s.value += x.value;
      else byKey.set(keyOf(x.values), { values: x.values, value: x.value });
    }
  return [...byKey.values()];
}

/**
 * Several processes' series of one histogram family, summed bucket by bucket (new arrays). A series
 * with another number of buckets than the first of its labels (another build's bounds) is left out.
 */
export function sumHistograms(snapshots: Iterable<HistogramSnapshot>): HistogramSnapshot {
  const byKey = new Map<string, HistogramSnapshot[number]>();
  for (const snapshot of snapshots)
    for (const x of snapshot) {
      const s = byKey.get(keyOf(x.values));
      if (!s) byKey.set(keyOf(x.values), { ...x, counts: [...x.counts] });
      else if (s.counts.length === x.counts.length) {
        for (let i = 0; i < x.counts.length; i++) s.counts[i]! += x.counts[i]!;
        s.sum += x.sum;
        s.count += x.count;
      }
    }
  return [...byKey.values()];
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
  private others: (() => Iterable<CounterSnapshot>) | undefined;

  constructor(
    readonly name: string,
    readonly help: string,
    readonly labelNames: readonly L[],
    registry: Registry,
    /** How a value is shown when scraped (money: to the nano-dollar); the sum kept is not rounded. */
    private readonly shown: (v: number) => number = (v) => v,
  ) {
    registry.registerMetric(this as never);
  }

  /** Label values in the order of `labelNames`. */
  inc(values: readonly string[], by = 1): void {
    const key = keyOf(values);
    const s = this.series.get(key);
    if (s) s.value += by;
    else this.series.set(key, { values: [...values], labels: labelsOf(this.labelNames, values), value: by });
  }

  snapshot(): CounterSnapshot {
    return [...this.series.values()].map((s) => ({ values: [...s.values], value: s.value }));
  }

  /** Other processes' series, read at each scrape and added to this process's. */
  mergeFrom(read: () => Iterable<CounterSnapshot>): void {
    this.others = read;
  }

  get(): Promise<Family> {
    const all: Iterable<{ labels: Record<string, string>; value: number }> = this.others
      ? sumCounters([this.snapshot(), ...this.others()]).map((x) => ({
          labels: labelsOf(this.labelNames, x.values),
          value: x.value,
        }))
      : this.series.values();
    const values = [...all].map((s) => ({ labels: s.labels, value: this.shown(s.value) }));
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
  private others: (() => Iterable<HistogramSnapshot>) | undefined;

  constructor(
    readonly name: string,
    readonly help: string,
    readonly labelNames: readonly L[],
    readonly bounds: readonly number[],
    registry: Registry,
    /** How the `_sum` is shown when scraped (money: to the nano-dollar); the sum kept is not rounded. */
    private readonly shown: (v: number) => number = (v) => v,
  ) {
    registry.registerMetric(this as never);
  }

  observe(values: readonly string[], value: number): void {
    const key = keyOf(values);
    let s = this.series.get(key);
    if (!s) {
      s = this.empty(values);
      this.series.set(key, s);
    }
    let i = 0;
    while (i < this.bounds.length && value > this.bounds[i]!) i++;
    s.counts[i]!++;
    s.sum += value;
    s.count++;
  }

  private empty(values: readonly string[]): HistogramSeries {
    return {
      values: [...values],
      labels: labelsOf(this.labelNames, values),
      counts: new Array(this.bounds.length + 1).fill(0),
      sum: 0,
      count: 0,
    };
  }

  snapshot(): HistogramSnapshot {
    return [...this.series.values()].map((s) => ({
      values: [...s.values],
      counts: [...s.counts],
      sum: s.sum,
      count: s.count,
    }));
  }

  /** Other processes' series, read at each scrape and added to this process's (same bounds). */
  mergeFrom(read: () => Iterable<HistogramSnapshot>): void {
    this.others = read;
  }

  /** This process's series, plus the others' when there are any. */
  private scraped(): Iterable<Omit<HistogramSeries, 'values'>> {
    if (!this.others) return this.series.values();
    return sumHistograms([this.snapshot(), ...this.others()])
      .filter((x) => x.counts.length === this.bounds.length + 1)
      .map((x) => ({ ...x, labels: labelsOf(this.labelNames, x.values) }));
  }

  get(): Promise<Family> {
    const values: Sample[] = [];
    for (const s of this.scraped()) {
      let cumulative = 0;
      for (let i = 0; i <= this.bounds.length; i++) {
        cumulative += s.counts[i]!;
        const le = i < this.bounds.length ? this.bounds[i]! : '+Inf';
        values.push({ metricName: `${this.name}_bucket`, labels: { le, ...s.labels }, value: cumulative });
      }
      values.push({ metricName: `${this.name}_sum`, labels: s.labels, value: this.shown(s.sum) });
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
