// The email confirm page's HTML: what will be decided and by whom, and a form that posts the link's
// token. Everything shown is escaped (escape-html.ts, bidi controls included); the page loads nothing
// from anywhere (its CSP allows only its own inline style, by nonce, and posting the form back here).
import { randomBytes } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import type { DecisionAction } from '../notifications/apply-decision.js';
import { escapeHtml } from './escape-html.js';

const STYLE = `body{font:16px/1.5 system-ui,sans-serif;max-width:46rem;margin:2rem auto;padding:0 1rem;color:#222}
dt{font-weight:600}dd{margin:0 0 .5rem}pre{background:#f4f4f4;padding:.75rem;overflow:auto;white-space:pre-wrap}
textarea{width:100%;min-height:6rem}button{font-size:1rem;padding:.5rem 1rem}.refused{color:#a00}`;

/** Sends a page with the strict headers every confirm page carries. */
export function sendPage(res: ServerResponse, status: number, title: string, bodyHtml: string): void {
  const nonce = randomBytes(16).toString('base64');
  res.writeHead(status, {
    'content-type': 'text/html; charset=utf-8',
    'content-security-policy': `default-src 'none'; style-src 'nonce-${nonce}'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'`,
    'x-frame-options': 'DENY',
    'x-content-type-options': 'nosniff',
    // The token is in the URL: no other site may learn it from a Referer header. (Not no-referrer: the
    // browser would then send `Origin: null` with the form, which the POST refuses as cross-site.)
    'referrer-policy': 'same-origin',
    'cache-control': 'no-store',
  });
  res.end(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<meta name="robots" content="noindex"><title>${escapeHtml(title)}</title>
<style nonce="${nonce}">${STYLE}</style></head>
<body><h1>${escapeHtml(title)}</h1>
${bodyHtml}
</body></html>`);
}

export interface ConfirmView {
  title: string;
  action: DecisionAction;
  person: string;
  facts: [string, string][];
  details: string;
  token: string;
  expiresAt: number;
}

const VERB: Record<DecisionAction, { button: string; field: string; required: boolean }> = {
  approve: { button: 'Approve', field: 'Note (optional)', required: false },
  reject: { button: 'Reject', field: 'Why (the agent is told)', required: true },
  answer: { button: 'Send answer', field: 'Your answer (the agent is told)', required: true },
};

export function confirmPage(v: ConfirmView): string {
  const verb = VERB[v.action];
  const facts = v.facts.map(([k, val]) => `<dt>${escapeHtml(k)}</dt><dd>${escapeHtml(val)}</dd>`).join('');
  return `<p>You are about to <strong>${escapeHtml(v.action)}</strong> as <strong id="person">${escapeHtml(v.person)}</strong>.
Nothing has been decided yet. This link works once, until ${escapeHtml(new Date(v.expiresAt).toISOString())}.</p>
<dl>${facts}</dl>
<pre>${escapeHtml(v.details)}</pre>
<form method="post" action="/decide">
<input type="hidden" name="token" value="${escapeHtml(v.token)}">
<p><label for="text">${escapeHtml(verb.field)}</label><br>
<textarea id="text" name="text" maxlength="3000"${verb.required ? ' required' : ''}></textarea></p>
<p><button type="submit" id="confirm">${escapeHtml(verb.button)} as ${escapeHtml(v.person)}</button></p>
</form>`;
}

export function messagePage(text: string, refused = false): string {
  return `<p${refused ? ' class="refused"' : ''} id="message">${escapeHtml(text)}</p>`;
}
