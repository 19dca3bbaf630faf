// The five metrics per role over time on GET /console/stats?range=24h|7d|30d: one small bar chart per
// metric, drawn on the server as inline SVG (no chart library, no script; the CSP stays strict), each
// with a <title> naming it and a bar <title> per bucket, and the same figures as a table beneath
// (the text alternative a screen reader or a copy-paste wants). Figures come from src/stats/series.ts.
import {
  type RoleSeries,
  SERIES_RANGES,
  type SeriesPoint,
  type SeriesRange,
  type StatsSeries,
} from '../stats/series.js';
import { formatUsd, html, type Raw } from './page.js';

/** One figure a chart draws: where it is read from `T`, and how its value is written. */
export interface ChartMetric<T> {
  id: string;
  title: string;
  value(of: T): number | null;
  format(v: number): string;
}
type SeriesMetric = ChartMetric<SeriesPoint>;

export const pct = (v: number) => `${Math.round(v * 100)}%`;
const seconds = (v: number) => `${(v / 1000).toFixed(1)} s`;
const SERIES_METRICS: SeriesMetric[] = [
  { id: 'success', title: 'Success rate', value: (p) => p.successRate, format: pct },
  { id: 'latency', title: 'Duration p50', value: (p) => p.durationP50Ms, format: seconds },
  { id: 'tools', title: 'Tool calls per run', value: (p) => p.toolCallsPerRun, format: (v) => v.toFixed(1) },
  { id: 'cost', title: 'Cost per task', value: (p) => p.costPerTaskUsd, format: formatUsd },
  { id: 'escalations', title: 'Escalation rate', value: (p) => p.escalationRate, format: pct },
];

const WIDTH = 300;
const HEIGHT = 90;
const AXIS = 14;
/** Room above the tallest bar for its value's label. */
const TOP = 16;

/** A bucket's label: its hour (24h) or its day, in UTC like every time the console shows. */
function bucketLabel(series: StatsSeries, start: number): string {
  const iso = new Date(start).toISOString();
  return series.bucketMs < 86_400_000 ? `${iso.slice(0, 10)} ${iso.slice(11, 16)}` : iso.slice(0, 10);
}

/** A stable, safe id fragment for a role and version (ids must not carry spaces or '@'). */
const slug = (r: RoleSeries) => `${r.role}-${r.roleVersion}`.replace(/[^A-Za-z0-9_-]/g, '_');

function chart(series: StatsSeries, r: RoleSeries, m: SeriesMetric): Raw {
  const values = r.points.map((p) => (p ? m.value(p) : null));
  const max = Math.max(0, ...values.map((v) => v ?? 0));
  const slot = WIDTH / values.length;
  const id = `series-${slug(r)}-${m.id}`;
  const bars = values.map((v, i) => {
    const label = `${bucketLabel(series, series.buckets[i]!.start)}: ${v === null ? 'no runs' : m.format(v)}`;
    if (v === null) return html`<g><title>${label}</title></g>`;
    const h = max > 0 ? Math.max(1, Math.round((v / max) * (HEIGHT - AXIS - TOP))) : 1;
    return html`<rect class="bar" x="${(i * slot + 1).toFixed(1)}" y="${HEIGHT - AXIS - h}" width="${Math.max(1, slot - 2).toFixed(1)}" height="${h}"><title>${label}</title></rect>`;
  });
  const first = bucketLabel(series, series.buckets[0]!.start);
  const last = bucketLabel(series, series.buckets.at(-1)!.start);
  const top = max > 0 ? m.format(max) : '';
  return html`<figure class="spark" id="${id}"><figcaption id="${id}-t">${m.title}</figcaption>
<svg role="img" aria-labelledby="${id}-t ${id}-d" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}"><title>${m.title} of ${r.role}@${r.roleVersion}</title><desc id="${id}-d">per ${series.bucketMs < 86_400_000 ? 'hour' : 'day'} from ${first} to ${last}; highest ${top || 'n/a'}; the table below has every value</desc>
<line class="axis" x1="0" y1="${HEIGHT - AXIS}" x2="${WIDTH}" y2="${HEIGHT - AXIS}"></line>${bars}
<text x="0" y="${HEIGHT - 2}">${first}</text><text x="${WIDTH}" y="${HEIGHT - 2}" text-anchor="end">${last}</text>${top ? html`<text x="${WIDTH}" y="10" text-anchor="end">${top}</text>` : ''}</svg></figure>`;
}

function table(series: StatsSeries, r: RoleSeries): Raw {
  const cell = (m: SeriesMetric, p: SeriesPoint | null) => {
    const v = p ? m.value(p) : null;
    return html`<td>${v === null ? '—' : m.format(v)}</td>`;
  };
  const rows = r.points.map(
    (p, i) =>
      html`<tr><th scope="row">${bucketLabel(series, series.buckets[i]!.start)}</th><td>${p?.runs ?? 0}</td>${SERIES_METRICS.map((m) => cell(m, p))}</tr>`,
  );
  return html`<details><summary>The figures as a table</summary><table class="series" id="table-${slug(r)}">
<thead><tr><th scope="col">${series.bucketMs < 86_400_000 ? 'Hour (UTC)' : 'Day (UTC)'}</th><th scope="col">Runs</th>${SERIES_METRICS.map((m) => html`<th scope="col">${m.title}</th>`)}</tr></thead>
<tbody>${rows}</tbody></table></details>`;
}

/** The range links, the current one marked for assistive technology as well as by look. */
function rangeNav(current: SeriesRange): Raw {
  const links = Object.keys(SERIES_RANGES).map((r) =>
    r === current
      ? html`<a href="/console/stats?range=${r}" aria-current="page">${r}</a>`
      : html`<a href="/console/stats?range=${r}">${r}</a>`,
  );
  return html`<nav class="ranges" aria-label="Range">Over the last ${links}</nav>`;
}

export function seriesBody(series: StatsSeries): Raw {
  const roles = series.roles.map(
    (r) => html`<section class="role-series" id="series-${slug(r)}" aria-labelledby="series-${slug(r)}-h">
<h2 id="series-${slug(r)}-h">${r.role}@${r.roleVersion}</h2>
<div class="sparks">${SERIES_METRICS.map((m) => chart(series, r, m))}</div>
${table(series, r)}</section>`,
  );
  return html`${rangeNav(series.range)}
${roles.length ? roles : html`<p id="no-series">No runs in the last ${series.range}.</p>`}`;
}
