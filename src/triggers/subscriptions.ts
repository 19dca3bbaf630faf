// Named events across processes. A worker serves the roles it was given; an event emitted in any process
// (an HTTP POST to any daemon, another role's output, library code) must reach every role with that event
// trigger, including roles that only other processes serve. So every worker records, in the store, which
// events its roles listen to (renewed every RENEW_MS while it serves, with the role's version so others
// can read the role), and an emitter delivers to the roles of live subscriptions it does not serve itself:
// a queued run (no model client, tools or MCP servers needed to queue it) or an inbox item.
//
// A subscription not renewed for TTL_MS is dead (no worker serves that role any more) and gets nothing:
// events for a role nobody runs are not queued forever.
import type { Clock } from '../clock.js';
import { roleFromRecord, roleRecordSpec } from '../engine/start.js';
import type { Role } from '../roles/schema.js';
import type { RoleVersions, SubscriptionRecord, Subscriptions } from '../store/types.js';

export const RENEW_MS = 30_000;
export const TTL_MS = 120_000;
/** How long an emitter reuses the list of live subscriptions it read. */
const CACHE_MS = 2_000;

function eventsOf(role: Role): string[] {
  return role.triggers.flatMap((t) => ('event' in t ? [t.event] : []));
}

/**
 * Records the served roles (their versions, then their event subscriptions) and renews the subscriptions
 * until `signal` aborts. Resolves once the first record is written. `runnable` gives the version a role's
 * new runs get (its active one): each renewal advertises that version's events, so a promoted version's
 * new event trigger reaches emitters in other processes within RENEW_MS (plus their cache), without a
 * restart; emitters check the active version themselves, so a dropped trigger stops at once.
 */
export async function advertise(
  store: RoleVersions & Subscriptions,
  clock: Clock,
  roles: readonly Role[],
  signal: AbortSignal,
  onError: (err: unknown) => void,
  runnable: (role: Role) => Promise<Role> = async (role) => role,
): Promise<void> {
  for (const role of roles.filter((r) => eventsOf(r).length > 0)) {
    await store.putRoleVersion({
      name: role.name,
      version: role.version,
      spec: roleRecordSpec(role),
      createdAt: clock.now(),
    });
  }
  const renew = async () => {
    const served = await Promise.all(roles.map(runnable));
    const seenAt = clock.now();
    const records: SubscriptionRecord[] = served.flatMap((role) =>
      eventsOf(role).map((event) => ({ event, role: role.name, roleVersion: role.version, seenAt })),
    );
    if (records.length > 0) await store.putSubscriptions(records);
  };
  await renew();
  if (signal.aborted) return;
  const timer = setInterval(() => {
    renew().catch(onError);
  }, RENEW_MS);
  timer.unref();
  signal.addEventListener('abort', () => clearInterval(timer), { once: true });
}

/** The roles other processes serve for an event, read from the store (cached for a moment). */
export class RemoteListeners {
  private cached: { at: number; list: Promise<SubscriptionRecord[]> } | undefined;
  private readonly roles = new Map<string, Promise<{ role: Role; createdAt: number } | undefined>>();

  constructor(
    private readonly store: RoleVersions & Subscriptions,
    private readonly clock: Clock,
  ) {}

  async forEvent(event: string, servedHere: (role: string) => boolean): Promise<Role[]> {
    const now = this.clock.now();
    if (!this.cached || now - this.cached.at > CACHE_MS) {
      // Shared while in flight: a burst of events arriving as the cache expires reads the list once, not
      // once per event (measured: 0.13–0.73 listings per run in a 2,000-event burst before).
      const cached = { at: now, list: this.store.listSubscriptions(now - TTL_MS) };
      this.cached = cached;
      cached.list.catch(() => {
        if (this.cached === cached) this.cached = undefined;
      });
    }
    const list = await this.cached.list;
    // Several live versions of a role (a rolling upgrade): the newest one stored wins.
    const newest = new Map<string, { role: Role; createdAt: number }>();
    for (const sub of list) {
      if (sub.event !== event || servedHere(sub.role)) continue;
      const found = await this.role(sub.role, sub.roleVersion);
      if (!found) continue;
      const best = newest.get(sub.role);
      if (!best || found.createdAt > best.createdAt) newest.set(sub.role, found);
    }
    return [...newest.values()].map((x) => x.role);
  }

  private role(name: string, version: string): Promise<{ role: Role; createdAt: number } | undefined> {
    const key = `${name}@${version}`;
    let p = this.roles.get(key);
    if (!p) {
      p = this.store
        .getRoleVersion(name, version)
        .then((stored) =>
          stored ? { role: roleFromRecord(stored), createdAt: stored.createdAt } : undefined,
        );
      p.catch(() => this.roles.delete(key));
      this.roles.set(key, p);
    }
    return p;
  }
}
