// What a failed MCP tool call tells the model: the SDK's errors ("MCP error -32001: Request timed out",
// "Connection closed", a zod error on a malformed result) name neither the server nor what to do, and a
// zod error read as the engine reads one would blame the model's arguments. Each becomes a NightshiftError
// whose code says what happened and whose message names the tool and the server.
import { NightshiftError } from '../../errors.js';
import { toolFailed, toolTimeout } from '../failures.js';

/** The SDK's JSON-RPC error code for a request it stopped waiting for (it also sets `data.timeout`). */
const REQUEST_TIMEOUT = -32001;

export interface CallErrorContext {
  /** The tool as the role names it (`notes.add_note`). */
  tool: string;
  server: string;
  timeoutSeconds: number;
  /** Whether the connection closed (the SDK's "Connection closed" code is one a server may send too). */
  closed(): boolean;
  /** Why the connection went away, when the transport said (an oversized message, the process's stderr). */
  closedBecause(): string;
}

function zodIssues(err: unknown): string | undefined {
  if (!err || typeof err !== 'object' || !('issues' in err) || !Array.isArray(err.issues)) return undefined;
  return (err.issues as { path?: PropertyKey[]; message?: string }[])
    .map((i) => `${i.path?.length ? `${i.path.map(String).join('.')}: ` : ''}${i.message ?? 'invalid'}`)
    .join('; ');
}

export function mcpCallError(err: unknown, c: CallErrorContext): NightshiftError {
  if (NightshiftError.isInstance(err)) return err;
  const issues = zodIssues(err);
  if (issues !== undefined)
    return new NightshiftError(
      'TOOL_RESULT_INVALID',
      `${c.tool}: MCP server ${c.server} answered with something that is not an MCP tool result (${issues})`,
      { cause: err },
    );
  const { code, data } = (err ?? {}) as { code?: unknown; data?: { timeout?: unknown } };
  if (code === REQUEST_TIMEOUT && typeof data?.timeout === 'number')
    return toolTimeout(
      `${c.tool}: MCP server ${c.server} did not answer within limits.execSeconds (${c.timeoutSeconds} s)`,
      err,
    );
  if (c.closed()) {
    const why = c.closedBecause();
    return toolFailed(
      `${c.tool}: MCP server ${c.server} closed the connection during the call${why ? ` (${why})` : ''}; it is started again for the next call`,
      err,
    );
  }
  return toolFailed(`${c.tool} failed: ${(err as Error)?.message ?? String(err)}`, err);
}
