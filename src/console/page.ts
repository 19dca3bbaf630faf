// The console's page shell: the header with who is logged in and the navigation, the stylesheet and the
// one script (both files of the package, served by serve itself), and the clear page every error gets.
// Everything a page shows goes through escapeHtml; no inline script or style (the CSP of src/auth forbids it).
import type { ServerResponse } from 'node:http';
import { CSRF_FIELD, type Principal, redactSecrets, sendPage } from '../auth/index.js';
import { escapeHtml } from '../server/escape-html.js';

export { escapeHtml };

/** Tagged template: interpolated values are escaped unless wrapped in `raw()`. */
export interface Raw {
  readonly html: string;
}
export const raw = (html: string): Raw => ({ html });
export function html(parts: TemplateStringsArray, ...values: unknown[]): Raw {
  let out = parts[0]!;
  values.forEach((v, i) => {
    out += renderValue(v) + parts[i + 1]!;
  });
  return raw(out);
}
function renderValue(v: unknown): string {
  if (v === undefined || v === null || v === false) return '';
  if (Array.isArray(v)) return v.map(renderValue).join('');
  if (typeof v === 'object' && 'html' in v) return (v as Raw).html;
  return escapeHtml(String(v));
}

const NAV: [string, string][] = [
  ['/console/', 'Inbox'],
  ['/console/runs', 'Runs'],
  ['/console/agents', 'Agents'],
  ['/console/stats', 'Stats'],
];

function shell(title: string, who: Principal | undefined, body: Raw): string {
  const nav = NAV.map(([href, label]) => html`<a href="${href}">${label}</a>`);
  const user = who
    ? html`<form method="post" action="/logout"><span id="who">${who.name}</span>
<input type="hidden" name="${CSRF_FIELD}" value="${who.csrf ?? ''}"> <button type="submit">Log out</button></form>`
    : html`<a href="/login">Log in</a>`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<meta name="robots" content="noindex"><title>${escapeHtml(title)} · nightshift</title>
<link rel="stylesheet" href="/console/assets/console.css">
<script src="/console/assets/console.js" defer></script></head>
<body><header><strong>nightshift</strong><nav aria-label="Console">${renderValue(nav)}</nav>${user.html}</header>
<main><h1>${escapeHtml(title)}</h1>
${body.html}
</main></body></html>`;
}

/** Sends a console page (status 200 unless given). */
export function sendConsolePage(
  res: ServerResponse,
  title: string,
  who: Principal | undefined,
  body: Raw,
  status = 200,
): void {
  sendPage(res, status, shell(title, who, body));
}

/** The page for a refusal or failure: what happened, in words, and where to go. Nothing was changed. */
export function sendErrorPage(
  res: ServerResponse,
  status: number,
  code: string,
  message: string,
  who?: Principal,
): void {
  const titles: Record<number, string> = {
    400: 'Bad request',
    401: 'Log in first',
    403: 'Not allowed',
    404: 'Not found',
    409: 'Already decided',
    413: 'Too large',
    415: 'Not a form',
  };
  sendConsolePage(
    res,
    titles[status] ?? 'Something went wrong',
    who,
    // The message may quote what the browser sent (a run id, a filter), where a credential can be: redacted
    // as every JSON refusal is (server/router.ts send).
    html`<p class="error" id="error" role="alert" data-code="${code}">${redactSecrets(message)}</p>
<p><a href="/console/">Back to the inbox</a>${status === 401 ? raw(' · <a href="/login">Log in</a>') : ''}</p>`,
    status,
  );
}

export function formatTime(ms: number | null | undefined): string {
  return ms ? new Date(ms).toISOString().replace('T', ' ').slice(0, 19) : '—';
}

export function formatUsd(usd: number): string {
  return `$${usd.toFixed(4)}`;
}
