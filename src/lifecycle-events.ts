// Lifecycle events: what a worker tells its host (the log of `nightshift serve`, a library user's
// listener) about continuous agents. One typed map with namespaced keys instead of free-form strings, so
// a listener's `switch (event.name)` narrows the payload, and `safeEmit`, so a throwing listener is an
// error reported like any other and never stops the loop that emitted it.
import type { RunStatus } from './domain.js';

/** Every lifecycle event by name, with its payload. */
export interface NightshiftEventMap {
  /** This process claimed a continuous agent whose lease was free (never held, or released). */
  'agent:started': { role: string; takeovers: number; runId: string | null };
  /** This process claimed a continuous agent whose holder's lease had expired (a dead or hung worker). */
  'agent:taken-over': { role: string; takeovers: number; runId: string | null };
  /** Another worker holds the agent now (this process's heartbeat was late): it stops handling it here. */
  'agent:lost': { role: string };
  /** Handling an inbox item failed; the agent backs off and restarts the run after `retryInMs`. */
  'agent:failed': {
    role: string;
    failures: number;
    retryInMs: number;
    error: { code: string; message: string };
  };
  /** The agent's failed run was reopened after its backoff, to continue from its last step. */
  'agent:restarted': { role: string; restarts: number; runId: string };
  /** The agent failed `maxFailures` times in a row and waits for a human to answer the escalation. */
  'agent:escalated': { role: string; failures: number; escalationId: string };
  /** An inbox item was handled (or its run cancelled): the agent's context is saved, the item done. */
  'inbox:handled': { role: string; inboxId: string; runId: string; status: RunStatus };
}

export type NightshiftEventName = keyof NightshiftEventMap;

/** One lifecycle event; `switch (event.name)` narrows `event.data`. */
export type NightshiftEvent = {
  [K in NightshiftEventName]: { name: K; data: NightshiftEventMap[K] };
}[NightshiftEventName];

export type NightshiftEventListener = (event: NightshiftEvent) => void;

/**
 * The message `nightshift serve` logs each event with, which is also the name the deprecated
 * `work({ onAgentEvent })` listener receives (the strings before the events were typed).
 */
export const EVENT_LOG_MESSAGES: { readonly [K in NightshiftEventName]: string } = {
  'agent:started': 'agent started',
  'agent:taken-over': 'agent taken over',
  'agent:lost': 'agent lost',
  'agent:failed': 'agent failed',
  'agent:restarted': 'agent restarted',
  'agent:escalated': 'agent escalated',
  'inbox:handled': 'event handled',
};

/**
 * Calls every listener with the event; one that throws is reported to `onListenerError` and the rest
 * still hear it. The emitter goes on either way: a bug in a log hook must not stop a supervisor.
 */
export function safeEmit(
  listeners: readonly NightshiftEventListener[],
  event: NightshiftEvent,
  onListenerError: (err: unknown, event: NightshiftEvent) => void,
): void {
  for (const listener of listeners) {
    try {
      listener(event);
    } catch (err) {
      try {
        onListenerError(err, event);
      } catch {
        // The error report itself threw: nothing left to tell, and the emitter must go on.
      }
    }
  }
}
