// The roles whose triggers `serve` answers: each role's active version (versions/active.ts) when one was
// promoted, else the role as loaded from its file. Runs already start on the active version, and named
// events are routed by it at each emit (runtime/events.ts); webhook paths and cron schedules are the
// daemon's own listeners and timers, so they are re-read here: the promotions are looked
// at every intervalMs (one indexed read per role, any store, any process that promoted), and when a role's
// active version changed, onChange gets the new list. A promotion or rollback thus reaches a running serve
// without a restart.
import type { Role } from '../roles/schema.js';
import type { Store } from '../store/types.js';
import { activeRoleFor } from '../versions/active.js';
import type { VersionSource } from '../versions/config.js';

export interface ActiveRoles {
  /** The roles as their triggers are served now. */
  current(): readonly Role[];
  stop(): void;
}

export interface ActiveRolesOptions {
  store: Pick<Store, 'activePromotion' | 'getRoleVersion'>;
  /** The roles as serve loaded them (their files). */
  roles: readonly Role[];
  /** `versions.source`: with `file`, the files' roles are served as they are and nothing is watched. */
  source: VersionSource;
  intervalMs: number;
  /** Called with the new list after a role's active version changed (not for the first read). */
  onChange(roles: readonly Role[]): void;
  /** A failed read (a store outage): the roles served stay as they were, and it is tried again. */
  onError(err: unknown): void;
}

/**
 * Reads the active versions once, then watches. A first read that fails (a store outage, a promoted
 * version missing from the store) is reported and the files' roles are served until a read succeeds: the
 * runs themselves still refuse to start on a version that cannot be found (versions/active.ts).
 */
export async function watchActiveRoles(o: ActiveRolesOptions): Promise<ActiveRoles> {
  const read = () => Promise.all(o.roles.map((r) => activeRoleFor(o.store, r, o.source)));
  const versions = (roles: readonly Role[]) => roles.map((r) => r.version).join('\n');
  let current: readonly Role[] = o.roles;
  try {
    current = await read();
  } catch (err) {
    o.onError(err);
  }
  if (o.source === 'file') return { current: () => current, stop() {} };
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const tick = async () => {
    try {
      const next = await read();
      if (!stopped && versions(next) !== versions(current)) {
        current = next;
        o.onChange(current);
      }
    } catch (err) {
      o.onError(err);
    }
    if (!stopped) timer = setTimeout(tick, o.intervalMs);
  };
  timer = setTimeout(tick, o.intervalMs);
  return {
    current: () => current,
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
  };
}
