// What the console's routes need from the daemon: the same runtime the CLI uses, the roles served, who is
// asking (src/auth), and the worker to wake after a decision hands a run back to the queue.
import type { Logger } from 'pino';
import type { Authenticator } from '../auth/index.js';
import type { Role } from '../roles/schema.js';
import type { Runtime } from '../runtime.js';

export interface ConsoleContext {
  runtime: Runtime;
  roles: Role[];
  /** Where a role's secret values are read from besides its secrets file: the diffs shown are scrubbed of them. */
  env: NodeJS.ProcessEnv;
  auth: Authenticator;
  log: Logger;
  wake(): void;
  /** The origin people reach serve at (serve.publicUrl), accepted on a decision's form post besides Host's. */
  publicOrigin?: string | undefined;
}
