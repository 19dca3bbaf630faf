// Headers for every HTML page serve shows: a strict Content-Security-Policy (scripts, styles and images
// only from serve itself, no inline script or style, no CDN, no framing), no MIME sniffing, no Referer to
// other sites (a login link's secret is in its URL), and no caching of pages that show a person's data.
import type { ServerResponse } from 'node:http';

export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "font-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join('; ');

export function pageHeaders(): Record<string, string> {
  return {
    'content-security-policy': CONTENT_SECURITY_POLICY,
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'DENY',
    // Not no-referrer: the browser would then send `Origin: null` with a form, refused as cross-site.
    'referrer-policy': 'same-origin',
    'cache-control': 'no-store',
  };
}

/** Answers with an HTML page under the page headers (plus `extra`, e.g. Set-Cookie or Location). */
export function sendPage(
  res: ServerResponse,
  status: number,
  html: string,
  extra: Record<string, string> = {},
): void {
  res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', ...pageHeaders(), ...extra });
  res.end(html);
}
