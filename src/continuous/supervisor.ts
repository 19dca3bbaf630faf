// Continuous mode. A role with `mode: continuous` is one long-lived agent across the cluster: the worker
// holding its lease (renewed by heartbeat) takes events from its inbox one at a time, handles each with
// an ordinary durable run whose input carries the agent's persistent context, and stores the context the
// run returns. Nothing lives only in memory: a worker that dies or hangs stops renewing, its lease
// expires, and another worker takes the agent over and continues the current run from its last step.
// A handling that fails is restarted with exponential backoff; after `maxFailures` failures in a row the
// agent stops and escalates to a human (ops), and answering that escalation lets it try again.
import type { Clock } from '../clock.js';
import { holderIsDeadHere } from '../engine/lease.js';
import { NightshiftError } from '../errors.js';
import {
  type NightshiftEvent,
  type NightshiftEventListener,
  type NightshiftEventMap,
  type NightshiftEventName,
  safeEmit,
} from '../lifecycle-events.js';
import type { Role } from '../roles/schema.js';
import type {
  AgentInbox,
  AgentRecord,
  Agents,
  Escalations,
  InboxItem,
  RunLog,
  RunRecord,
} from '../store/types.js';
import { continuousSettings, nextContext } from './settings.js';
import { keptThread, threadOfRun } from './thread.js';

export interface AgentHost {
  store: Agents & AgentInbox & Pick<RunLog, 'getRun' | 'loadRun'> & Pick<Escalations, 'getEscalation'>;
  clock: Clock;
  owner: string;
  /** Records (idempotently, once per inbox item) the run that handles `item`, without driving it. */
  createRun(role: Role, item: InboxItem, context: unknown): Promise<RunRecord>;
  /** Drives the run in this process until it finishes or pauses; returns the run as it then is. */
  driveRun(role: Role, runId: string): Promise<RunRecord>;
  /** Makes a failed run runnable again (it continues from its last step). */
  reopenRun(runId: string, why: string): Promise<void>;
  /** Parks the run with an escalation to ops; returns the escalation id. */
  escalate(run: RunRecord, reason: string, context: Record<string, unknown>): Promise<string>;
}

export interface SupervisorOptions {
  host: AgentHost;
  roles: Role[];
  pollMs: number;
  signal: AbortSignal;
  /** Hear the agents' lifecycle (lifecycle-events.ts); a listener that throws is reported to onError. */
  listeners?: NightshiftEventListener[];
  onError: (err: unknown, role: string) => void;
}

export interface Supervisor {
  wake(): void;
  /** Roles whose agent this process holds now. */
  held(): string[];
  done: Promise<void>;
}

export function startSupervisor(o: SupervisorOptions): Supervisor {
  const { host } = o;
  const held = new Map<string, AgentRecord>();
  const busy = new Map<string, Promise<void>>();
  const byName = new Map(o.roles.map((r) => [r.name, r]));
  const listeners = o.listeners ?? [];
  const emit = <K extends NightshiftEventName>(name: K, data: NightshiftEventMap[K]) =>
    safeEmit(listeners, { name, data } as NightshiftEvent, (err, event) => o.onError(err, event.data.role));

  const leaseMs = (role: Role) => continuousSettings(role).leaseSeconds * 1000;

  async function save(agent: AgentRecord): Promise<AgentRecord | undefined> {
    const next = { ...agent, updatedAt: host.clock.now() };
    if (await host.store.saveAgent(next, host.owner)) {
      held.set(agent.role, next);
      return next;
    }
    // Another worker took the agent over (our heartbeat was late): stop handling it here.
    held.delete(agent.role);
    emit('agent:lost', { role: agent.role });
    return undefined;
  }

  async function onFailure(role: Role, agent: AgentRecord, run: RunRecord | undefined, err: unknown) {
    const settings = continuousSettings(role);
    const failures = agent.failures + 1;
    const lastError =
      run?.error ??
      (NightshiftError.isInstance(err)
        ? { code: err.code, message: err.message }
        : { code: 'INTERNAL', message: String((err as Error)?.message ?? err) });
    if (failures >= settings.maxFailures && run) {
      const escalationId = await host.escalate(
        run,
        `continuous agent ${role.name} failed ${failures} times in a row; last error: ${lastError.message}`,
        { failures, restarts: agent.restarts, lastError },
      );
      emit('agent:escalated', { role: role.name, failures, escalationId });
      await save({ ...agent, status: 'escalated', failures, lastError, escalationId, nextAttemptAt: null });
      return;
    }
    const delay = Math.min(
      settings.maxBackoffSeconds,
      settings.backoffSeconds * 2 ** Math.max(0, failures - 1),
    );
    const nextAttemptAt = host.clock.now() + Math.round(delay * 1000);
    emit('agent:failed', {
      role: role.name,
      failures,
      retryInMs: Math.round(delay * 1000),
      error: lastError,
    });
    await save({ ...agent, status: 'backoff', failures, lastError, nextAttemptAt });
  }

  /** One step of one agent: handle the head of its inbox, or settle what it waits for. */
  async function step(role: Role): Promise<void> {
    let agent = held.get(role.name);
    if (!agent) return;
    const now = host.clock.now();
    if (agent.status === 'escalated') {
      const esc = agent.escalationId ? await host.store.getEscalation(agent.escalationId) : undefined;
      if (esc?.status === 'pending') return;
      const saved = await save({ ...agent, status: 'idle', failures: 0, escalationId: null });
      if (!saved) return;
      agent = saved;
    }
    if (agent.status === 'backoff' && agent.nextAttemptAt !== null && now < agent.nextAttemptAt) return;
    const item = await host.store.inboxHead(role.name);
    if (!item) {
      if (agent.status !== 'idle') await save({ ...agent, status: 'idle', runId: null });
      return;
    }
    let run = agent.runId ? await host.store.getRun(agent.runId) : undefined;
    if (!run || run.idempotencyKey !== `inbox:${item.id}`) {
      try {
        run = await host.createRun(role, item, agent.context);
      } catch (err) {
        // The run could not even be recorded (the store failed; the role's active version cannot be
        // prepared here): backed off and counted like a failed handling, not retried on every tick.
        await onFailure(role, agent, undefined, err);
        return;
      }
      const saved = await save({ ...agent, status: 'working', runId: run.id });
      if (!saved) return;
      agent = saved;
    }
    if (run.status === 'failed') {
      // Due for a restart (backoff over): continue the failed run from its last persisted step.
      await host.reopenRun(run.id, `restart ${agent.restarts + 1} of continuous agent ${role.name}`);
      const saved = await save({ ...agent, status: 'working', restarts: agent.restarts + 1 });
      if (!saved) return;
      agent = saved;
      emit('agent:restarted', { role: role.name, restarts: agent.restarts, runId: run.id });
    }
    if (run.status === 'awaiting_approval' || run.status === 'escalated') {
      if (agent.status !== 'waiting') await save({ ...agent, status: 'waiting' });
      return;
    }
    if (run.status !== 'succeeded' && run.status !== 'cancelled') {
      if (agent.status !== 'working') {
        const saved = await save({ ...agent, status: 'working' });
        if (!saved) return;
        agent = saved;
      }
      try {
        run = await host.driveRun(role, run.id);
      } catch (err) {
        // Someone else (a human's `approve` continuing it) is driving the run right now: look again later.
        if (NightshiftError.isInstance(err) && err.code === 'RUN_LEASED') return;
        await onFailure(role, agent, await host.store.getRun(run.id), err);
        return;
      }
      if (run.status === 'failed') return onFailure(role, agent, run, undefined);
      if (run.status !== 'succeeded' && run.status !== 'cancelled') {
        await save({ ...agent, status: run.status === 'running' ? 'working' : 'waiting' });
        return;
      }
    }
    // Handled (or cancelled by a human): store the new context and take the item off the inbox together,
    // with the executor thread the event's session ran in (the next event continues it).
    const thread = keptThread(agent.thread, threadOfRun(await host.store.loadRun(run.id)));
    const done: AgentRecord = {
      ...agent,
      status: 'idle',
      runId: null,
      failures: 0,
      nextAttemptAt: null,
      lastError: run.status === 'cancelled' ? agent.lastError : null,
      context: run.status === 'succeeded' ? nextContext(agent.context, run.output) : agent.context,
      ...(thread ? { thread } : {}),
      updatedAt: host.clock.now(),
    };
    if (await host.store.finishInboxItem(item.id, run.id, done, host.owner, done.updatedAt)) {
      held.set(role.name, done);
      emit('inbox:handled', { role: role.name, inboxId: item.id, runId: run.id, status: run.status });
      wake(); // there may be more in the inbox
    } else {
      held.delete(role.name);
    }
  }

  // An idle agent costs nothing between events: it is looked at when woken (an event delivered here, a
  // NOTIFY from elsewhere) or, to catch events delivered by other processes without a wake-up, every
  // IDLE_CHECK_MS. Agents with something in progress are stepped on every tick.
  const IDLE_CHECK_MS = Math.max(o.pollMs, 1000);
  const lastLook = new Map<string, number>();
  let wokenAll = true;

  /** Idle held agents due for a look; of those, only the ones with inbox items waiting get stepped. */
  async function quiet(now: number, all: boolean): Promise<Set<string>> {
    const due = o.roles
      .map((r) => r.name)
      .filter((name) => {
        const agent = held.get(name);
        return (
          agent?.status === 'idle' &&
          !busy.has(name) &&
          (all || now - (lastLook.get(name) ?? 0) >= IDLE_CHECK_MS)
        );
      });
    const skip = new Set(
      o.roles.map((r) => r.name).filter((name) => held.get(name)?.status === 'idle' && !due.includes(name)),
    );
    if (due.length === 0) return skip;
    let waiting: Set<string>;
    try {
      waiting = new Set(await host.store.rolesWithInbox(due));
    } catch (err) {
      o.onError(err, due.join(','));
      waiting = new Set(due);
    }
    for (const name of due) {
      lastLook.set(name, now);
      if (!waiting.has(name)) skip.add(name);
    }
    return skip;
  }

  /**
   * Roles this process does not hold whose agent is free: never started, released, or its lease expired.
   * One query per tick however many agents other workers hold, instead of a claim attempt per role.
   */
  async function claimable(now: number): Promise<Map<string, string | undefined>> {
    const unheld = o.roles.filter((r) => !held.has(r.name) && !busy.has(r.name));
    if (unheld.length === 0) return new Map();
    let agents: AgentRecord[];
    try {
      agents = await host.store.listAgents();
    } catch (err) {
      o.onError(err, 'listing agents');
      return new Map();
    }
    const byRole = new Map(agents.map((a) => [a.role, a]));
    const free = new Map<string, string | undefined>();
    for (const r of unheld) {
      const a = byRole.get(r.name);
      if (!a || a.owner === null || a.owner === host.owner || (a.leaseUntil ?? 0) < now)
        free.set(r.name, undefined);
      // Held by a process of this host that is gone (a daemon killed with `kill -9` and started again, a
      // crashed `--workers` sibling): taken over at once, as its runs are (queue/dead-holders.ts), instead
      // of after up to `leaseSeconds` with the agent's inbox waiting. From exactly that holder: a live
      // worker that took the agent meanwhile keeps it.
      else if (holderIsDeadHere(a.owner)) free.set(r.name, a.owner);
    }
    return free;
  }

  async function tick(): Promise<void> {
    const now = host.clock.now();
    const all = wokenAll;
    wokenAll = false;
    const skip = await quiet(now, all);
    const free = await claimable(now);
    for (const role of o.roles) {
      if (busy.has(role.name) || o.signal.aborted || skip.has(role.name)) continue;
      if (!held.has(role.name)) {
        if (!free.has(role.name)) continue;
        let agent: AgentRecord | undefined;
        try {
          agent = await host.store.claimAgent(
            role.name,
            host.owner,
            now + leaseMs(role),
            now,
            free.get(role.name),
          );
        } catch (err) {
          o.onError(err, role.name);
          continue;
        }
        if (!agent) continue;
        held.set(role.name, agent);
        emit(agent.takenOver ? 'agent:taken-over' : 'agent:started', {
          role: role.name,
          takeovers: agent.takeovers,
          runId: agent.runId,
        });
      }
      const p = step(role)
        .catch((err) => o.onError(err, role.name))
        .finally(() => {
          busy.delete(role.name);
        });
      busy.set(role.name, p);
    }
  }

  // Heartbeat: one UPDATE renews every agent this process holds with the same lease length.
  const beatEvery = Math.max(
    50,
    Math.min(...o.roles.map((r) => continuousSettings(r).heartbeatSeconds * 1000), 60_000),
  );
  const heartbeat = setInterval(() => {
    const groups = new Map<number, string[]>();
    for (const name of held.keys()) {
      const ms = leaseMs(byName.get(name)!);
      groups.set(ms, [...(groups.get(ms) ?? []), name]);
    }
    const now = host.clock.now();
    for (const [ms, names] of groups) {
      host.store.heartbeatAgents(host.owner, names, now + ms, now).then(
        (kept) => {
          for (const name of names) {
            if (!kept.includes(name) && held.delete(name)) emit('agent:lost', { role: name });
          }
        },
        (err) => o.onError(err, names.join(',')),
      );
    }
  }, beatEvery);
  heartbeat.unref();

  let wakeUp: (() => void) | undefined;
  let pending = false;
  function wake() {
    pending = true;
    wokenAll = true;
    wakeUp?.();
  }

  const done = (async () => {
    while (!o.signal.aborted) {
      pending = false;
      await tick();
      if (pending || o.signal.aborted) continue;
      await new Promise<void>((resolve) => {
        const finish = () => {
          clearTimeout(timer);
          o.signal.removeEventListener('abort', finish);
          resolve();
        };
        const timer = setTimeout(finish, o.pollMs);
        wakeUp = finish;
        o.signal.addEventListener('abort', finish, { once: true });
      });
      wakeUp = undefined;
    }
    clearInterval(heartbeat);
    await Promise.allSettled(busy.values());
    // Hand the agents over at once on a graceful stop, instead of making others wait out the lease.
    await Promise.allSettled([...held.keys()].map((name) => host.store.releaseAgent(name, host.owner)));
  })();

  return { wake, held: () => [...held.keys()], done };
}
