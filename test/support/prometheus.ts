// Parses the Prometheus text format (parse-prometheus-text-format, untyped CommonJS) into a lookup by
// metric name and labels, so a test states the exact value it expects of one series.
//
// That parser folds all of a histogram's series into one and drops their labels (it handles unlabelled
// histograms only), so a labelled histogram's _bucket, _sum and _count samples are read here from the
// lines of the family the parser found (its name and type come from the parser).
import { createRequire } from 'node:module';

interface ParsedSample {
  labels?: Record<string, string>;
  value?: string;
  buckets?: Record<string, string>;
  count?: string;
  sum?: string;
}
interface ParsedFamily {
  name: string;
  help: string;
  type: 'COUNTER' | 'GAUGE' | 'HISTOGRAM' | 'SUMMARY' | 'UNTYPED';
  metrics: ParsedSample[];
}

const parse = createRequire(import.meta.url)('parse-prometheus-text-format') as (
  text: string,
) => ParsedFamily[];

export interface Scrape {
  families: Map<string, ParsedFamily>;
  /** The type of a metric family, lower case. */
  type(name: string): string | undefined;
  /** A counter's or gauge's value for exactly these labels (undefined when there is no such series). */
  value(name: string, labels?: Record<string, string>): number | undefined;
  /** A histogram's count, sum and cumulative buckets for exactly these labels. */
  histogram(
    name: string,
    labels?: Record<string, string>,
  ): { count: number; sum: number; buckets: Record<string, number> } | undefined;
  /** Every series of a family, as `{labels, value}` (count for histograms). */
  series(name: string): { labels: Record<string, string>; value: number }[];
}

/** A histogram's sample lines: `<name>_<suffix>{labels} value`. */
function histogramSamples(text: string, name: string) {
  const line = /^(\w+)_(bucket|sum|count)(?:\{(.*)\})? (\S+)$/;
  const out: { suffix: string; labels: Record<string, string>; value: number }[] = [];
  for (const l of text.split('\n')) {
    const m = line.exec(l);
    if (!m || m[1] !== name) continue;
    const labels: Record<string, string> = {};
    for (const [, k, v] of (m[3] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[k!] = v!;
    out.push({ suffix: m[2]!, labels, value: Number(m[4]) });
  }
  return out;
}

const same = (a: Record<string, string> = {}, b: Record<string, string> = {}) =>
  Object.keys(a).length === Object.keys(b).length && Object.entries(a).every(([k, v]) => b[k] === v);

export function parseScrape(text: string): Scrape {
  const families = new Map(parse(text).map((f) => [f.name, f]));
  const find = (name: string, labels?: Record<string, string>) =>
    families.get(name)?.metrics.find((m) => same(m.labels, labels));
  return {
    families,
    type: (name) => families.get(name)?.type.toLowerCase(),
    value(name, labels) {
      const m = find(name, labels);
      return m?.value === undefined ? undefined : Number(m.value);
    },
    histogram(name, labels = {}) {
      if (families.get(name)?.type !== 'HISTOGRAM') return undefined;
      const out = { count: Number.NaN, sum: Number.NaN, buckets: {} as Record<string, number> };
      for (const s of histogramSamples(text, name)) {
        const { le, ...rest } = s.labels;
        if (!same(rest, labels)) continue;
        if (s.suffix === 'bucket' && le !== undefined) out.buckets[le] = s.value;
        else if (s.suffix === 'sum') out.sum = s.value;
        else if (s.suffix === 'count') out.count = s.value;
      }
      return Number.isNaN(out.count) ? undefined : out;
    },
    series(name) {
      if (families.get(name)?.type === 'HISTOGRAM')
        return histogramSamples(text, name)
          .filter((x) => x.suffix === 'count')
          .map((x) => ({ labels: x.labels, value: x.value }));
      return (families.get(name)?.metrics ?? []).map((m) => ({
        labels: m.labels ?? {},
        value: Number(m.value),
      }));
    },
  };
}
