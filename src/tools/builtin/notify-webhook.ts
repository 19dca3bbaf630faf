// notify.webhook: a signed JSON POST to one of the role's named webhook targets. The signature header is
// `x-nightshift-signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">` with the target's
// secret; `x-nightshift-delivery` carries the call's idempotency key so receivers can drop repeats, and
// `x-nightshift-fencing-token` (also in the signed body) the worker's lease epoch.
import { createHmac } from 'node:crypto';
import { z } from 'zod';
import { NightshiftError } from '../../errors.js';
import { secretNameForMessage } from '../../secret-name.js';
import { defineTool } from '../define.js';
import { postJson } from '../net/post-json.js';
import type { ScopeVerdict } from '../types.js';

export function signWebhook(secret: string, timestamp: number, body: string): string {
  return `t=${timestamp},v1=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

export const notifyWebhook = defineTool({
  name: 'notify.webhook',
  description: "POST a signed JSON event to one of the role's webhook targets.",
  input: z.strictObject({
    target: z.string().min(1).describe('the name of a webhook target from the role'),
    event: z.string().min(1).max(200),
    payload: z.record(z.string(), z.unknown()).default({}),
  }),
  effect: 'external',
  // Receivers deduplicate by the delivery id (the idempotency key), so a retry after a crash is safe.
  idempotent: true,
  scope: ({ target }, ctx): ScopeVerdict => {
    const names = Object.keys(ctx.role.notify.webhooks);
    return Object.hasOwn(ctx.role.notify.webhooks, target)
      ? { kind: 'inside' }
      : {
          kind: 'outside',
          reason: `no webhook target '${target}' in this role (notify.webhooks: ${names.join(', ') || 'none'})`,
        };
  },
  run: async ({ target, event, payload }, ctx) => {
    const hook = Object.hasOwn(ctx.role.notify.webhooks, target)
      ? ctx.role.notify.webhooks[target]
      : undefined;
    if (!hook) throw new NightshiftError('SCOPE_VIOLATION', `no webhook target '${target}'`);
    const secret = ctx.secrets.get(hook.secret);
    if (!secret)
      throw new NightshiftError(
        'SCOPE_VIOLATION',
        `secret ${secretNameForMessage(hook.secret)} for webhook '${target}' is not set`,
      );
    // The fencing token is in the signed body (and a header): a receiver refuses a lower one than it has
    // seen for the run, so a worker that woke up after losing its lease cannot deliver (docs/tools.md).
    const body = {
      event,
      payload,
      role: ctx.role.name,
      runId: ctx.runId,
      deliveryId: ctx.idempotencyKey,
      fencingToken: ctx.fencingToken,
    };
    const text = JSON.stringify(body);
    const t = Math.floor(Date.now() / 1000);
    // postJson serialises the same object the same way, so the signature covers the exact bytes sent.
    const res = await postJson(hook.url, body, {
      headers: {
        'x-nightshift-signature': signWebhook(secret, t, text),
        'x-nightshift-delivery': ctx.idempotencyKey,
        'x-nightshift-fencing-token': String(ctx.fencingToken),
        'x-nightshift-event': event,
      },
      timeoutMs: ctx.role.limits.fetchSeconds * 1000,
      signal: ctx.signal,
      what: `webhook '${target}'`,
    });
    return { delivered: true, target, status: res.status, deliveryId: ctx.idempotencyKey };
  },
});
