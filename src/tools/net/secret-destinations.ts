// Where http.fetch may send a secret. Any allowed host answering with what it was sent (an echo API, an
// error page that quotes the request) hands the value back to the model, which can then post it anywhere
// the role reaches; so a secret's destinations are part of the role's scope, decided before the call.
import type { RoleSettings } from '../../roles/settings.js';
import { matchHost } from './host-allowlist.js';

/** `{{secret:NAME}}` in a header value or the body of an http.fetch call. */
export const SECRET_REF = /\{\{secret:([A-Za-z_][A-Za-z0-9_]*)\}\}/g;

/** The secret names a text refers to, in order of first mention. */
export function secretNames(text: string): string[] {
  return [...new Set(Array.from(text.matchAll(SECRET_REF), (m) => m[1]!))];
}

/**
 * Secrets the role's own configuration holds for nightshift itself: the keys its webhook triggers verify
 * senders with (whoever holds one can forge events) and the credentials of its notify destinations. They
 * are kept for that use and never inserted into a request the model writes. By name, with what uses it.
 */
export function heldByRuntime(role: RoleSettings): Map<string, string> {
  const held = new Map<string, string>();
  for (const t of role.triggers) {
    if ('webhook' in t) held.set(t.webhook.secret, `the webhook trigger /hooks/${t.webhook.path}`);
  }
  const { slack, email, webhooks } = role.notify;
  if (slack?.webhook) held.set(slack.webhook, 'notify.slack');
  if (slack?.token) held.set(slack.token, 'notify.slack');
  if (email?.user) held.set(email.user, 'notify.email');
  if (email?.password) held.set(email.password, 'notify.email');
  for (const [name, target] of Object.entries(webhooks)) held.set(target.secret, `notify.webhook ${name}`);
  return held;
}

/** Why these secrets may not go to `host`, or undefined when they may. */
export function secretDestinationProblem(
  role: RoleSettings,
  host: string,
  names: readonly string[],
): string | undefined {
  if (names.length === 0) return undefined;
  const held = heldByRuntime(role);
  for (const name of names) {
    const use = held.get(name);
    if (use !== undefined)
      return `secret ${name} is ${use}'s; it is never sent by http.fetch (whoever holds it could act as nightshift or its senders)`;
    const binding = role.scope.hosts.filter((h) => typeof h !== 'string' && h.secrets?.includes(name));
    if (binding.length > 0 && !matchHost(binding, host)) {
      const hosts = binding.map((h) => (typeof h === 'string' ? h : h.host)).join(', ');
      return `secret ${name} may be sent only to ${hosts} (scope.hosts), not to ${host}`;
    }
  }
  return undefined;
}
