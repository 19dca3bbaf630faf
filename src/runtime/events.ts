// Event routing: where a named event, a webhook or a cron tick goes. Each role that takes it gets a
// queued run (job mode) or an inbox item (continuous mode), recorded before the caller hears back, with
// roles served only by other processes found through their subscriptions (triggers/subscriptions.ts).
// Which job roles take a named event is decided by their active version (versions/active.ts), read once
// per emit and role, the same read that decides which version the run gets: a promoted version's new
// event trigger is served without a restart, a trigger it dropped starts nothing, and no run ever starts
// on a version that lacks the trigger that started it.
import { canonicalJson } from '../canonical-json.js';
import type { EngineContext } from '../engine/context.js';
import { checkRunInput, isSameStart, newRun, recordRun } from '../engine/start.js';
import { isNightshiftError, NightshiftError } from '../errors.js';
import { agentSpec } from '../models/resolve.js';
import type { Role } from '../roles/schema.js';
import type { EventDelivered, EventDelivery, RunRecord } from '../store/types.js';
import type { Redactor } from '../tools/secrets.js';
import { RemoteListeners } from '../triggers/subscriptions.js';
import { checkIdempotencyKey } from './idempotency-key.js';
import type { KnownRoles } from './roles.js';
import type { DeliverOptions, Delivery, EmitOptions } from './types.js';

export interface EventRouting {
  /** These roles take their events in this process from now on (they were given to `work`). */
  listen(roles: Role[]): void;
  /** The definition the role's new runs get, whose event triggers route (its active version). */
  runnable(role: Role): Promise<Role>;
  emit(event: string, payload: unknown, options?: EmitOptions): Promise<Delivery[]>;
  deliver(role: Role, payload: unknown, options: DeliverOptions): Promise<Delivery>;
  /**
   * A role's `emit` events for its run's output, delivered before the run's success is committed
   * (idempotent per run and event, so a crash between the two delivers nothing twice). Returns what is
   * kept in the run's last step: where the output went, and which listeners refused it.
   */
  emitOutput(role: Role, run: RunRecord, output: unknown): Promise<Record<string, unknown> | undefined>;
}

export function createEventRouting(
  ctx: EngineContext,
  roles: KnownRoles,
  /** The definition a new run of the role gets (its active version: src/versions/active.ts). */
  current: (role: Role) => Promise<Role> = async (role) => role,
): EventRouting {
  const { store, clock } = ctx;
  // Roles that receive events here (those given to work()), by name.
  const listeners = new Map<string, Role>();
  const remote = new RemoteListeners(store, clock);

  /**
   * The definition a new run or inbox item of the role gets: its active version. A continuous role's
   * agent is held by the supervisor of the process that loaded it, so a version that is not continuous
   * cannot take its events there: the role keeps running as loaded until a restart (decision 035).
   */
  const runnable = async (given: Role): Promise<Role> => {
    const role = await current(given);
    return given.mode === 'continuous' && role.mode !== 'continuous' ? given : role;
  };

  /**
   * A payload, already checked against the role's input schema, for one role: an inbox item for a
   * continuous role, a queued run for a job role. `local`: this process serves the role (it prepares
   * it, as running it here needs); otherwise the run is only recorded, for the process that serves it.
   */
  /**
   * The model spec and redactor a queued run of `role` is recorded with: prepared here when this process
   * serves the role (its agent's spec, its secrets' redactor), else the role's own spec and readable secrets.
   */
  async function queuedRunSetup(
    role: Role,
    local: boolean,
  ): Promise<{ model: Role['model']; redact: Redactor | undefined }> {
    if (!local) return { model: role.model, redact: roles.readableSecrets(role) };
    roles.remember(role);
    const ready = await roles.prepare(role);
    return { model: agentSpec(ready.agent), redact: ready.redact };
  }

  async function deliverTo(
    given: Role,
    payload: unknown,
    d: DeliverOptions,
    local: boolean,
  ): Promise<Delivery> {
    const role = await runnable(given);
    // Checked against the given role already; the active version may take another input.
    if (role !== given) checkRunInput(role, payload);
    if (role.mode === 'continuous') {
      const now = clock.now();
      const redact = roles.readableSecrets(role);
      // The agent's inbox keeps the payload only as the run it becomes would: secret values by name.
      const stored = (redact ? redact(payload) : payload) ?? null;
      const { item, created } = await store.pushInbox({
        id: ctx.ids.next('evt'),
        role: role.name,
        event: typeof d.trigger.event === 'string' ? d.trigger.event : d.trigger.kind,
        payload: stored,
        idempotencyKey: d.idempotencyKey ?? null,
        createdAt: now,
        handledAt: null,
        runId: null,
      });
      // As for a job role's run (engine/start.ts): a key already used for another payload is refused,
      // not answered with an item that is not the one sent.
      if (!created && canonicalJson(item.payload) !== canonicalJson(JSON.parse(JSON.stringify(stored)))) {
        throw new NightshiftError(
          'IDEMPOTENCY_KEY_REUSED',
          `idempotency key '${d.idempotencyKey}' already added another payload to ${role.name}'s inbox (${item.id}); nothing was recorded: use a new key for a new event`,
          { details: { inboxId: item.id, status: item.handledAt ? 'handled' : 'inbox' } },
        );
      }
      return { role: role.name, inboxId: item.id, status: item.handledAt ? 'handled' : 'inbox', created };
    }
    const options = {
      idempotencyKey: d.idempotencyKey,
      actor: d.actor ?? `trigger:${d.trigger.kind}`,
      trigger: d.trigger,
    };
    const { model, redact } = await queuedRunSetup(role, local);
    const { state, created } = await recordRun(ctx, role, model, payload, {
      ...options,
      queue: true,
      inputChecked: true,
      redact,
    });
    return { role: role.name, runId: state.run.id, status: state.run.status, created };
  }

  /**
   * What an emitted event records for one role (its active version, payload already checked), built but
   * not written: an inbox item for a continuous role, a queued run for a job role (prepared here when
   * this process serves it, as in deliverTo). `stored`: the payload as kept, to compare with a record
   * found under the same key.
   */
  async function deliveryFor(
    role: Role,
    payload: unknown,
    d: DeliverOptions,
    local: boolean,
  ): Promise<{ delivery: EventDelivery; stored: unknown }> {
    if (role.mode === 'continuous') {
      const redact = roles.readableSecrets(role);
      const kept = (redact ? redact(payload) : payload) ?? null;
      const item = {
        id: ctx.ids.next('evt'),
        role: role.name,
        event: typeof d.trigger.event === 'string' ? d.trigger.event : d.trigger.kind,
        payload: kept,
        idempotencyKey: d.idempotencyKey ?? null,
        createdAt: clock.now(),
        handledAt: null,
        runId: null,
      };
      return { delivery: { kind: 'inbox', item }, stored: JSON.parse(JSON.stringify(kept)) };
    }
    const { model, redact } = await queuedRunSetup(role, local);
    const { run, init, stored } = await newRun(ctx, role, model, payload, {
      idempotencyKey: d.idempotencyKey,
      actor: d.actor ?? `trigger:${d.trigger.kind}`,
      trigger: d.trigger,
      queue: true,
      inputChecked: true,
      redact,
    });
    return { delivery: { kind: 'run', run, init }, stored };
  }

  const routing: EventRouting = {
    listen(given) {
      for (const role of given) listeners.set(role.name, role);
    },
    runnable,
    async emit(event, payload, emitOptions = {}) {
      checkIdempotencyKey(emitOptions.idempotencyKey, 'the idempotency key');
      const d = (role: Role): DeliverOptions => ({
        idempotencyKey: emitOptions.idempotencyKey
          ? `event:${event}:${emitOptions.idempotencyKey}:${role.name}`
          : undefined,
        actor: emitOptions.actor,
        trigger: { kind: 'event', event },
      });
      // Every role served here, by its active version's triggers (not the loaded file's): one indexed
      // read per role, reused below as the version the run gets.
      const resolve = async (given: Role, local: boolean) => {
        try {
          return { given, role: await runnable(given), local };
        } catch (err) {
          // A role that cannot start a run at all (given with inline tools while its active version is
          // another; its active version missing from the store) fails the events it was loaded with, as
          // before, not every other event. A store outage fails the emit: the role might take this event.
          const unrunnable =
            isNightshiftError(err) && (err.code === 'ROLE_INVALID' || err.code === 'VERSION_NOT_FOUND');
          if (unrunnable && !takesEvent(given, event)) return undefined;
          throw err;
        }
      };
      const here = await Promise.all([...listeners.values()].map((given) => resolve(given, true)));
      // Roles only other processes serve: queued here, run there. Their subscriptions name the version
      // the serving worker last advertised; the active one decides here too (a dropped trigger starts
      // nothing even before the subscription expires).
      const elsewhere = await remote.forEvent(event, (name) => listeners.has(name));
      const remoteTargets = await Promise.all(elsewhere.map((given) => resolve(given, false)));
      const targets = [...here, ...remoteTargets].flatMap((t) =>
        t !== undefined && takesEvent(t.role, event) ? [t] : [],
      );
      const invalid = new Map<string, string>();
      for (const { role } of targets) {
        try {
          checkRunInput(role, payload);
        } catch (err) {
          if (!emitOptions.skipInvalid) throw err;
          invalid.set(role.name, (err as Error).message);
        }
      }
      // Every role's run or inbox item is recorded in one write, all or none: a key used before for
      // another payload (or by fewer roles, one of them with another payload) refuses the whole event,
      // instead of leaving the roles recorded before the refused one with a run the caller was told failed.
      const taking = targets.filter((t) => !invalid.has(t.role.name));
      const deliveries: EventDelivery[] = [];
      const stored: unknown[] = [];
      for (const { role, local } of taking) {
        const made = await deliveryFor(role, payload, d(role), local);
        deliveries.push(made.delivery);
        stored.push(made.stored);
      }
      const recorded =
        deliveries.length === 0
          ? []
          : await store.recordEvent(deliveries, (found, i) => {
              const role = taking[i]!.role.name;
              const same =
                found.kind === 'run'
                  ? isSameStart(found.run, role, stored[i])
                  : canonicalJson(found.item.payload) === canonicalJson(stored[i]);
              if (same) return;
              const id = found.kind === 'run' ? found.run.id : found.item.id;
              throw new NightshiftError(
                'IDEMPOTENCY_KEY_REUSED',
                `idempotency key '${emitOptions.idempotencyKey}' of event '${event}' was used before with another payload (${role}: ${id}); nothing was recorded for any of the ${taking.length} roles that take the event (${taking.map((t) => t.role.name).join(', ')}): use a new key for a new event`,
                { details: { event, role, ...(found.kind === 'run' ? { runId: id } : { inboxId: id }) } },
              );
            });
      const byRole = new Map(recorded.map((r, i) => [taking[i]!.role.name, asDelivery(r)]));
      return targets.map(({ role }) => {
        const error = invalid.get(role.name);
        if (error !== undefined) return { role: role.name, status: 'rejected', created: false, error };
        return byRole.get(role.name)!;
      });
    },
    async deliver(role, payload, d) {
      checkRunInput(role, payload);
      return deliverTo(role, payload, d, true);
    },
    async emitOutput(role, run, output) {
      const emitted: (Delivery & { event: string })[] = [];
      for (const event of role.emit ?? []) {
        const out = await routing.emit(event, output, {
          idempotencyKey: `run:${run.id}`,
          actor: `role:${role.name}`,
          skipInvalid: true,
        });
        emitted.push(...out.map((d) => ({ event, ...d })));
      }
      return emitted.length > 0 ? { emitted } : undefined;
    },
  };
  return routing;
}

/** What the caller hears of one role's recorded (or found) run or inbox item. */
function asDelivery(r: EventDelivered): Delivery {
  return r.kind === 'run'
    ? { role: r.run.role, runId: r.run.id, status: r.run.status, created: r.created }
    : {
        role: r.item.role,
        inboxId: r.item.id,
        status: r.item.handledAt ? 'handled' : 'inbox',
        created: r.created,
      };
}

/** Whether the role (as it runs: its active version) has a trigger for this named event. */
function takesEvent(role: Role, event: string): boolean {
  return role.triggers.some((t) => 'event' in t && t.event === event);
}
