// GET /console/: what waits for a person. Drafted change sets (each call as a diff or its exact arguments)
// and escalations (reason, category, the chain of runs above a specialist), each with approve / reject /
// answer forms only when the logged-in person may decide for that role (src/auth mayDecideFor).
import type { Principal } from '../auth/index.js';
import { CSRF_FIELD, mayDecideFor } from '../auth/index.js';
import type { ChainLink } from '../delegation/chain.js';
import type { Inbox } from '../runtime/types.js';
import type { ApprovalRecord, EscalationRecord } from '../store/types.js';
import { fileScrubFor, renderCall } from './change-set.js';
import type { ConsoleContext } from './context.js';
import { formatTime, html, type Raw } from './page.js';

function chainOf(links: ChainLink[] | undefined): Raw {
  if (!links || links.length < 2) return html``;
  const hops = links.map((l, i) => html`${i ? ' → ' : ''}<a href="/console/runs/${l.runId}">${l.role}</a>`);
  return html`<p class="facts">Chain: ${hops}</p>`;
}

function csrf(who: Principal): Raw {
  return html`<input type="hidden" name="${CSRF_FIELD}" value="${who.csrf ?? ''}">`;
}

/** A form posting one decision; `field` is the note/reason/answer text box. */
function decideForm(
  who: Principal,
  action: string,
  id: string,
  label: string,
  field: { name: string; label: string; required: boolean },
): Raw {
  const input = `${action}-${id}`;
  return html`<form method="post" action="/console/decide/${action}/${id}">${csrf(who)}
<label for="${input}">${field.label}</label>
<input type="text" id="${input}" name="${field.name}" size="28" maxlength="3000"${field.required ? html` required` : ''}>
<button type="submit" id="${action}-button-${id}">${label}</button></form>`;
}

async function approvalItem(o: ConsoleContext, who: Principal, a: ApprovalRecord, chain: Raw): Promise<Raw> {
  const role = o.roles.find((r) => r.name === a.role);
  // Read once for the change set: the files shown are scrubbed of the role's secret values.
  const scrub = fileScrubFor(role, o.env);
  const calls = await Promise.all(a.calls.map((c) => renderCall(c, role, scrub)));
  const decide = mayDecideFor(who, a.role, o.auth.people)
    ? html`<div class="decide">
${decideForm(who, 'approve', a.id, 'Approve', { name: 'note', label: 'Note', required: false })}
${decideForm(who, 'reject', a.id, 'Reject', { name: 'reason', label: 'Why', required: true })}</div>`
    : html`<p class="muted">You may not decide for ${a.role}.</p>`;
  return html`<article class="matter" id="${a.id}" aria-labelledby="h-${a.id}">
<h3 id="h-${a.id}">Change set of ${a.role} <span class="muted">(${a.autonomy})</span></h3>
<p class="facts">Approval ${a.id} · run <a href="/console/runs/${a.runId}">${a.runId}</a> · requested ${formatTime(a.requestedAt)}</p>
${chain}
<details open><summary>${a.calls.length} drafted call${a.calls.length === 1 ? '' : 's'}</summary>${calls}</details>
${decide}</article>`;
}

function escalationItem(o: ConsoleContext, who: Principal, e: EscalationRecord, chain: Raw): Raw {
  const call = (e.context as { call?: { tool: string; args: unknown } }).call;
  const decide = mayDecideFor(who, e.role, o.auth.people)
    ? html`<div class="decide">${decideForm(who, 'answer', e.id, 'Answer', { name: 'text', label: 'Answer', required: true })}</div>`
    : html`<p class="muted">You may not decide for ${e.role}.</p>`;
  return html`<article class="matter" id="${e.id}" aria-labelledby="h-${e.id}">
<h3 id="h-${e.id}">Escalation of ${e.role} <span class="muted">[${e.category}]</span></h3>
<p>${e.reason}</p>
${e.missing ? html`<p class="facts">Missing: ${e.missing}</p>` : ''}
<p class="facts">Escalation ${e.id} · ${e.source} · run <a href="/console/runs/${e.runId}">${e.runId}</a> · raised ${formatTime(e.createdAt)}</p>
${chain}
${call && call.tool !== 'escalate' ? html`<p>Held call <code>${call.tool}</code></p><pre class="args">${JSON.stringify(call.args, null, 2)}</pre>` : ''}
${decide}</article>`;
}

export async function inboxBody(o: ConsoleContext, who: Principal, inbox: Inbox): Promise<Raw> {
  if (inbox.approvals.length === 0 && inbox.escalations.length === 0)
    return html`<p id="empty">Nothing waits for a person.</p>`;
  const approvals = await Promise.all(
    inbox.approvals.map((a) => approvalItem(o, who, a, chainOf(inbox.chains[a.runId]))),
  );
  const escalations = inbox.escalations.map((e) => escalationItem(o, who, e, chainOf(inbox.chains[e.runId])));
  return html`<section aria-labelledby="approvals"><h2 id="approvals">Change sets to approve (${approvals.length})</h2>${approvals}</section>
<section aria-labelledby="escalations"><h2 id="escalations">Escalations to answer (${escalations.length})</h2>${escalations}</section>`;
}
