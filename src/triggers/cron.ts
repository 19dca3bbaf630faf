// Cron triggers (croner). Every worker runs the schedules; each tick becomes a run with the idempotency
// key `cron:<role>:<tick>`, so however many workers fire, the store creates one run per tick.
import { Cron } from 'croner';
import type { Role } from '../roles/schema.js';
import { storeOutageOf } from '../store/outage.js';

/**
 * How a schedule is read, across daylight-saving changes too (docs/deployment.md, "Cron"): croner's rules,
 * which follow Vixie cron, with every schedule that names its times of day (no `*` and no step in the
 * seconds, minutes and hours) read as fixed times — such a time that falls in a spring-forward gap runs
 * once, right after the gap, and one that occurs twice in a fall-back runs once, at its first occurrence.
 * croner's default counts a list or a range (`30 2,14 * * *`) as an interval: on the day the clocks go
 * forward its 02:30 tick would be lost, and on the day they go back it would run twice.
 */
export function cronOptions(timezone: string) {
  return { timezone, fixedTimeRule: 'no-wildcard' as const };
}

export function cronProblem(
  schedule: string,
  timezone: string,
): { field: 'schedule' | 'timezone'; message: string } | undefined {
  try {
    new Intl.DateTimeFormat('en', { timeZone: timezone });
  } catch {
    return {
      field: 'timezone',
      message: `unknown time zone '${timezone}' (an IANA name such as Europe/Paris)`,
    };
  }
  let next: Date | null;
  try {
    const cron = new Cron(schedule, { ...cronOptions(timezone), paused: true });
    next = cron.nextRun();
    cron.stop();
  } catch (err) {
    return { field: 'schedule', message: `invalid cron schedule '${schedule}': ${(err as Error).message}` };
  }
  // A valid pattern may still name no time at all (February 31, a year gone by): the role would be
  // served and never run, without a word.
  if (next === null)
    return { field: 'schedule', message: `cron schedule '${schedule}' never fires (no such date ahead)` };
  return undefined;
}

export interface CronOptions {
  roles: Role[];
  /** Enqueues the tick's run (idempotent on the key) with the trigger's input (`{}` when it has none). */
  fire: (role: Role, tick: Date, key: string, input: Record<string, unknown>) => Promise<void>;
  /** Whether the role has a run queued or running (for overlap: skip); a continuous role, inbox items. */
  busy: (role: Role) => Promise<boolean>;
  /**
   * Whether a run of the role was under way at a past tick (for the catch-up under overlap: skip): such
   * a tick was skipped, or would have been, so it is not run late (triggers/under-way.ts).
   */
  busyAt?: (role: Role, tick: Date) => Promise<boolean>;
  onError: (err: unknown, role: Role) => void;
  /** A tick overlap: skip left out (`late`: the catch-up at start, for a run under way at the tick). */
  onSkip?: (role: Role, tick: Date, late: boolean) => void;
  now?: () => Date;
  /** First wait before a tick that could not be enqueued is tried again (doubling, at most 30 s). */
  retryMs?: number;
}

export interface CronTriggers {
  stop(): void;
}

export function tickKey(role: Role, tick: Date): string {
  return `cron:${role.name}:${tick.toISOString()}`;
}

export function startCronTriggers(o: CronOptions): CronTriggers {
  const jobs: Cron[] = [];
  const retries = new Set<ReturnType<typeof setTimeout>>();
  let stopped = false;
  const now = o.now ?? (() => new Date());
  const firstRetryMs = o.retryMs ?? 1000;
  for (const role of o.roles) {
    for (const t of role.triggers) {
      if (!('cron' in t)) continue;
      const { schedule, timezone, catchUp, overlap } = t.cron;
      const input = t.cron.input ?? {};
      // A tick the store could not take for now (the database cut, the disk full) is tried again with backoff
      // until it is enqueued or the next tick is due, rather than lost: the key makes a retry that did
      // land the first time a no-op (docs/deployment.md, "Outages").
      const tick = async (at: Date, waitMs = firstRetryMs, late = false): Promise<void> => {
        try {
          if (
            overlap === 'skip' &&
            ((late && o.busyAt && (await o.busyAt(role, at))) || (await o.busy(role)))
          ) {
            o.onSkip?.(role, at, late);
            return;
          }
          await o.fire(role, at, tickKey(role, at), input);
        } catch (err) {
          o.onError(err, role);
          const next = job.nextRun();
          if (stopped || storeOutageOf(err) === undefined) return;
          if (next && next.getTime() <= now().getTime() + waitMs) return;
          const timer = setTimeout(() => {
            retries.delete(timer);
            void tick(at, Math.min(waitMs * 2, 30_000), late);
          }, waitMs);
          timer.unref();
          retries.add(timer);
        }
      };
      // The scheduled time to the second, not the wall clock: every worker names the tick the same way.
      const second = (at: Date) => new Date(Math.floor(at.getTime() / 1000) * 1000);
      const job = new Cron(schedule, { ...cronOptions(timezone), protect: true }, (self: Cron) =>
        tick(second(self.currentRun() ?? now())),
      );
      jobs.push(job);
      if (catchUp) {
        // A tick a live worker enqueued is found by its key; one it skipped left no trace, hence busyAt.
        const [last] = job.previousRuns(1, now());
        if (last) void tick(second(last), firstRetryMs, true);
      }
    }
  }
  return {
    stop() {
      stopped = true;
      for (const j of jobs) j.stop();
      for (const r of retries) clearTimeout(r);
      retries.clear();
    },
  };
}
