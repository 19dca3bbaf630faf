// GET /console/runs (newest first, filtered by role and status, paged by cursor) and GET /console/runs/<id>: the run's
// facts, its timeline (every step, each decision with its reason, cost), its calls, its child runs. The
// timeline is also served alone (/console/runs/<id>/timeline) for console.js to refresh while it runs.
import { summarizeRun } from '../delegation/waiting-children.js';
import { TERMINAL_STATUSES } from '../domain.js';
import { NightshiftError } from '../errors.js';
import { idForMessage } from '../message-text.js';
import { decodeCursor, encodeCursor } from '../server/api/cursor.js';
import { RUN_STATUSES, type RunRecord, type RunSnapshot, type RunStatus } from '../store/types.js';
import type { ConsoleContext } from './context.js';
import { formatTime, formatUsd, html, type Raw } from './page.js';

const LIMIT = 200;
/** Runs per page of the runs list. */
export const PAGE = 50;

/** The filters of the runs list, checked: an unknown status is a 400 that says which ones exist. */
export function runFilters(query: URLSearchParams): { role?: string; status?: RunStatus } {
  const role = query.get('role')?.trim() || undefined;
  const status = query.get('status')?.trim() || undefined;
  if (status !== undefined && !(RUN_STATUSES as readonly string[]).includes(status))
    throw new NightshiftError(
      'USAGE',
      `unknown status '${status}' in the runs filter: one of ${RUN_STATUSES.join(', ')}`,
    );
  return { ...(role ? { role } : {}), ...(status ? { status: status as RunStatus } : {}) };
}

function runRow(r: RunRecord): Raw {
  return html`<tr><td><a href="/console/runs/${r.id}">${r.id}</a></td><td>${r.role}@${r.roleVersion}</td>
<td class="status-${r.status}">${r.status}</td><td>${r.turns}</td><td>${formatUsd(r.usage.costUsd)}</td><td>${formatTime(r.createdAt)}</td></tr>`;
}

/** The runs list's link to another page: the filters kept, the cursor (if any) added. */
function pageHref(f: { role?: string; status?: RunStatus }, cursor?: string): string {
  const q = new URLSearchParams({
    ...(f.role ? { role: f.role } : {}),
    ...(f.status ? { status: f.status } : {}),
    ...(cursor ? { cursor } : {}),
  }).toString();
  return `/console/runs${q ? `?${q}` : ''}`;
}

/**
 * One page of the runs list, newest first, paged by the API's keyset cursor (src/server/api/cursor.ts):
 * a cursor that does not decode to a position of the list is a 400 page (CURSOR_INVALID) that says to
 * start again. Cursors are not signed: one the API handed out, or one made by hand, pages from there.
 */
export async function runsBody(o: ConsoleContext, query: URLSearchParams): Promise<Raw> {
  const f = runFilters(query);
  const cursor = query.get('cursor') ?? undefined;
  const after = cursor === undefined ? undefined : decodeCursor('runs', cursor);
  const runs = await o.runtime.list({
    ...(f.role ? { role: f.role } : {}),
    ...(f.status ? { status: [f.status] } : {}),
    ...(after ? { after } : {}),
    limit: PAGE,
  });
  const last = runs.at(-1);
  const next =
    runs.length === PAGE && last ? encodeCursor('runs', { at: last.createdAt, id: last.id }) : null;
  const pages = html`<nav class="pages" aria-label="Pages">${after ? html`<a id="first-page" href="${pageHref(f)}">Newest runs</a>` : ''}${next ? html`<a id="next-page" rel="next" href="${pageHref(f, next)}">Older runs</a>` : ''}</nav>`;
  const roles = [...new Set(o.roles.map((r) => r.name))].sort();
  const roleOptions = roles.map((n) => html`<option${n === f.role ? html` selected` : ''}>${n}</option>`);
  const statusOptions = RUN_STATUSES.map(
    (s) => html`<option${s === f.status ? html` selected` : ''}>${s}</option>`,
  );
  return html`<form class="filters" method="get" action="/console/runs">
<p><label for="role">Role</label><br><select id="role" name="role"><option value="">any</option>${roleOptions}</select></p>
<p><label for="status">Status</label><br><select id="status" name="status"><option value="">any</option>${statusOptions}</select></p>
<p><button type="submit">Filter</button></p></form>
${
  runs.length === 0
    ? html`<p id="empty">No runs${f.role || f.status ? ' match these filters' : ''}.</p>`
    : html`<table id="runs"><thead><tr><th scope="col">Run</th><th scope="col">Role</th><th scope="col">Status</th><th scope="col">Turns</th><th scope="col">Cost</th><th scope="col">Created</th></tr></thead>
<tbody>${runs.map(runRow)}</tbody></table>`
}
${pages}`;
}

/** What one step says, in a line: the decision and its reason for a decision, the essentials otherwise. */
function stepSummary(kind: string, data: Record<string, unknown>): string {
  const pick = (...keys: string[]) =>
    keys
      .filter((k) => data[k] !== undefined && data[k] !== null)
      .map((k) => `${k}: ${typeof data[k] === 'string' ? data[k] : JSON.stringify(data[k])}`)
      .join(' · ');
  const line =
    kind === 'decision'
      ? pick('tool', 'decision', 'reason')
      : kind === 'model_turn'
        ? pick('text', 'calls', 'usage')
        : JSON.stringify(data);
  return line.length > 600 ? `${line.slice(0, 600)}…` : line;
}

/** The timeline section; live (polled by console.js) while the run has not ended. */
export function timeline(s: RunSnapshot): Raw {
  const live = !(TERMINAL_STATUSES as readonly string[]).includes(s.run.status);
  const rows = s.steps.map(
    (st) =>
      html`<tr><td>${st.seq}</td><td>${formatTime(st.at)}</td><td>${st.kind}</td><td>${stepSummary(st.kind, st.data)}</td></tr>`,
  );
  const calls = s.toolCalls.map(
    (c) =>
      html`<tr><td><code>${c.tool}</code></td><td>${c.decision}</td><td>${c.reason}</td><td>${c.status}</td></tr>`,
  );
  return html`<section id="timeline"${live ? html` data-live="/console/runs/${s.run.id}/timeline"` : ''} aria-live="polite">
<p>Status <strong id="run-status" class="status-${s.run.status}">${s.run.status}</strong> · ${s.run.turns} turns · cost ${formatUsd(s.run.usage.costUsd)} · ${s.run.usage.inputTokens + s.run.usage.outputTokens} tokens${live ? ' · refreshing while it runs' : ''}</p>
${s.run.error ? html`<p class="error">${s.run.error.code}: ${s.run.error.message}</p>` : ''}
<h2>Timeline</h2>
<table id="steps"><thead><tr><th scope="col">#</th><th scope="col">At</th><th scope="col">Step</th><th scope="col">What</th></tr></thead><tbody>${rows}</tbody></table>
${calls.length ? html`<h2>Tool calls</h2><table id="calls"><thead><tr><th scope="col">Tool</th><th scope="col">Decision</th><th scope="col">Reason</th><th scope="col">Outcome</th></tr></thead><tbody>${calls}</tbody></table>` : ''}
${s.run.output !== null && s.run.output !== undefined ? html`<h2>Output</h2><pre id="output">${JSON.stringify(s.run.output, null, 2)}</pre>` : ''}
</section>`;
}

/** The run, or RUN_NOT_FOUND (a 404 page). */
export async function snapshotOf(o: ConsoleContext, id: string): Promise<RunSnapshot> {
  const s = await o.runtime.get(id);
  if (!s) throw new NightshiftError('RUN_NOT_FOUND', `there is no run ${idForMessage(id)}`);
  return s;
}

export async function runBody(o: ConsoleContext, s: RunSnapshot): Promise<Raw> {
  const r = s.run;
  const children = await o.runtime.list({ parentRunId: r.id, limit: LIMIT });
  // Its own items, then those of the specialists' runs a paused orchestrator waits on (as `show`).
  const summary = await summarizeRun(o.runtime.store, s);
  const pending = [
    ...summary.pending,
    ...summary.escalations.filter((e) => e.status === 'pending').map((e) => e.id),
  ];
  return html`<p class="facts">Role ${r.role}@${r.roleVersion} · model ${r.model} · attempt ${r.attempt} · created ${formatTime(r.createdAt)}${r.finishedAt ? html` · finished ${formatTime(r.finishedAt)}` : ''}</p>
${r.parentRunId ? html`<p>Delegated by <a href="/console/runs/${r.parentRunId}">${r.parentRunId}</a></p>` : ''}
${pending.length ? html`<p>Waiting in the <a href="/console/#${pending[0]}">inbox</a>.</p>` : ''}
<details><summary>Input</summary><pre>${JSON.stringify(r.input, null, 2)}</pre></details>
${timeline(s)}
${children.length ? html`<h2>Child runs</h2><table id="children"><tbody>${children.map(runRow)}</tbody></table>` : ''}`;
}
