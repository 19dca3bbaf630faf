// What the API's operations are given: the runtime (the same public API the CLI uses), the roles this
// server serves, a logger, and how to wake its worker.
import type { Logger } from 'pino';
import type { Authenticator } from '../../auth/index.js';
import type { Role } from '../../roles/schema.js';
import type { Runtime } from '../../runtime.js';

export interface ApiContext {
  runtime: Runtime;
  roles: Role[];
  log: Logger;
  /** Who is asking (src/auth/): tokens, sessions, scopes, and the people who may decide. */
  auth: Authenticator;
  /** Tells this process's worker there is work (an event just recorded, a decision handed back). */
  wake(): void;
  /** Whether a store failure belongs to an outage already logged once (decision 013): then no line. */
  absorbs?: ((err: unknown) => boolean) | undefined;
  /**
   * Server-sent events: how often a stream looks for new steps and sends a heartbeat comment (which also
   * checks the credentials again), and how many may be open at once per token and in all.
   */
  stream?: StreamSettings;
}

export interface StreamSettings {
  pollMs?: number;
  heartbeatMs?: number;
  /** Streams one token (or the sessions opened with it) may hold open at once (default 8). */
  perToken?: number;
  /** Streams this server holds open at once, all callers together (default 256). */
  total?: number;
}
