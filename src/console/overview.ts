// GET /console/agents (continuous agents: state, lease holder and expiry, inbox depth; and the run queue) and
// GET /console/stats (the five metrics per role over time, charts.ts; then those of `nightshift stats`
// over every run, each as a bar chart drawn on the server as inline SVG: no chart library, no script).
import type { AgentStatusView } from '../runtime/types.js';
import { computeStats, type RoleStats } from '../stats/report.js';
import { computeSeries, parseRange } from '../stats/series.js';
import { type ChartMetric, pct, seriesBody } from './charts.js';
import type { ConsoleContext } from './context.js';
import { formatTime, formatUsd, html, type Raw } from './page.js';

/** Who holds the agent's lease and until when, in the words of `nightshift agents` (cli/format.ts). */
function lease(a: AgentStatusView, now: number): string {
  if (!a.owner) return 'not held';
  const until = formatTime(a.leaseUntil);
  if (a.live) return `held by ${a.owner} until ${until}`;
  return (a.leaseUntil ?? 0) >= now
    ? `holder gone (${a.owner}, a process of this host that no longer runs)`
    : `expired at ${until} (${a.owner})`;
}

export async function agentsBody(o: ConsoleContext): Promise<Raw> {
  const [agents, queued, running] = await Promise.all([
    o.runtime.agents(),
    o.runtime.list({ status: ['queued'], limit: 1000 }),
    o.runtime.list({ status: ['running'], limit: 1000 }),
  ]);
  const now = Date.now();
  const rows = agents.map(
    (a) => html`<tr><td>${a.role}</td><td>${a.status}</td><td>${lease(a, now)}</td><td>${a.inbox}</td>
<td>${formatTime(a.heartbeatAt)}</td><td>${a.restarts}</td><td>${a.runId ? html`<a href="/console/runs/${a.runId}">${a.runId}</a>` : '—'}</td>
<td>${a.lastError ? `${a.lastError.code}: ${a.lastError.message}` : ''}</td></tr>`,
  );
  return html`<p id="queue">Queue: <a href="/console/runs?status=queued">${queued.length}${queued.length === 1000 ? '+' : ''} queued</a> · <a href="/console/runs?status=running">${running.length} running</a></p>
${
  agents.length === 0
    ? html`<p id="empty">No continuous agents.</p>`
    : html`<table id="agents"><thead><tr><th scope="col">Role</th><th scope="col">State</th><th scope="col">Lease</th><th scope="col">Inbox depth</th><th scope="col">Heartbeat</th><th scope="col">Restarts</th><th scope="col">Run</th><th scope="col">Last error</th></tr></thead><tbody>${rows}</tbody></table>`
}`;
}

type Metric = ChartMetric<RoleStats>;

/** The five per role: does it work, how long, what it costs, how often it needs a person, how often approved. */
const METRICS: Metric[] = [
  { id: 'success', title: 'Success rate', value: (g) => g.runs.successRate, format: pct },
  {
    id: 'duration',
    title: 'Duration p50',
    value: (g) => g.latency.durationMs.p50,
    format: (v) => `${(v / 1000).toFixed(1)} s`,
  },
  { id: 'cost', title: 'Cost per task (mean)', value: (g) => g.cost.perTask.meanUsd, format: formatUsd },
  { id: 'escalations', title: 'Escalation rate', value: (g) => g.escalations.rate, format: pct },
  { id: 'approvals', title: 'Approve rate', value: (g) => g.approvals.approveRate, format: pct },
];

const ROW = 22;
const LABEL = 180;
const BAR = 260;

function chart(m: Metric, groups: RoleStats[]): Raw {
  const values = groups.map((g) => m.value(g));
  const max = Math.max(0, ...values.map((v) => v ?? 0));
  const height = groups.length * ROW + 8;
  const bars = groups.map((g, i) => {
    const v = values[i];
    const y = i * ROW + 4;
    const w = v !== null && v !== undefined && max > 0 ? Math.max(1, Math.round((v / max) * BAR)) : 0;
    return html`<text x="0" y="${y + 14}">${g.role}@${g.roleVersion}</text>
<rect class="bar" x="${LABEL}" y="${y + 3}" width="${w}" height="${ROW - 8}"></rect>
<text x="${LABEL + w + 6}" y="${y + 14}">${v === null || v === undefined ? 'n/a' : m.format(v)}</text>`;
  });
  return html`<figure id="chart-${m.id}"><figcaption><h3>${m.title}</h3></figcaption>
<svg role="img" aria-label="${m.title} per role" width="${LABEL + BAR + 90}" height="${height}" viewBox="0 0 ${LABEL + BAR + 90} ${height}">${bars}</svg></figure>`;
}

/** The five metrics per role over the range asked (`?range=`, charts.ts), then every run's figures. */
export async function statsBody(o: ConsoleContext, query: URLSearchParams): Promise<Raw> {
  const range = parseRange(query.get('range'));
  const series = await computeSeries(o.runtime.store, range);
  const report = await computeStats(o.runtime.store, {});
  if (report.groups.length === 0) return html`<p id="empty">No runs yet.</p>`;
  return html`${seriesBody(series)}
<h2>All time</h2>
<p class="muted">Over every run in the store, per role and version (as <code>nightshift stats</code>).</p>
${METRICS.map((m) => chart(m, report.groups))}`;
}
