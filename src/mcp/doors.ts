// What the MCP server needs from the process around it: the runtime, the roles it serves, who is calling,
// and how a started run is driven. `nightshift mcp` (stdio) drives runs itself, as `nightshift run` does;
// `/mcp` on serve queues them for serve's workers, as POST /events does (decision 033).
import type { Logger } from 'pino';
import type { RunSummary } from '../engine/summary.js';
import type { Role } from '../roles/schema.js';
import type { Delivery, EmitOptions, Runtime } from '../runtime.js';

/** The scopes the MCP tools need. There is no decide scope here: no tool approves, rejects or answers. */
export type McpScope = 'runs:read' | 'events:send';

export interface StartedRun {
  runId: string;
  /** Resolves when the run finished or paused, when this process drives it; else the store is polled. */
  settled?: Promise<RunSummary> | undefined;
}

export interface McpDoors {
  runtime: Runtime;
  /** The roles runs.start may start and roles.list shows. */
  roles: readonly Role[];
  /** Who is calling, for the audit log (`mcp:<name>`). */
  actor: string;
  /** Throws (a refusal the client sees) when the caller lacks the scope. */
  requireScope(scope: McpScope): void;
  /** Records a run and has it driven (here, or by the workers). */
  start(
    role: Role,
    input: unknown,
    o: { idempotencyKey?: string | undefined; actor: string },
  ): Promise<StartedRun>;
  /** Sends a named event (runtime.emit, and a wake-up for this process's workers when it has any). */
  emit(event: string, payload: unknown, o: EmitOptions): Promise<Delivery[]>;
  /** What events.send says happened when no role took the event. */
  noListener: string;
  /**
   * Where a server-side failure's detail goes (serve's scrubbed log): given, the client reads only a
   * generic INTERNAL or the store-outage answer (mcp/failure.ts). Stdio gives none: it shows everything.
   */
  log?: Logger | undefined;
}
