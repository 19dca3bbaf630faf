// How a built-in tool says it failed. The model gets `{ error, code }` (engine/tool-call.ts), so the code
// tells it what to do next without parsing the message: change the call, or try again later.
// SCOPE_VIOLATION (outside the role's scope) and SANDBOX_UNAVAILABLE are thrown where they are checked.
import { NightshiftError } from '../errors.js';

/** TOOL_CALL_INVALID: the call cannot be done as asked (no such file, a folder, text not found, too big). */
export function callInvalid(message: string, cause?: unknown): NightshiftError {
  return new NightshiftError('TOOL_CALL_INVALID', message, { cause });
}

/** TOOL_FAILED: what the tool called refused or broke (an HTTP error, a mail server, an MCP server, the disk). */
export function toolFailed(message: string, cause?: unknown): NightshiftError {
  return new NightshiftError('TOOL_FAILED', message, { cause });
}

/** TOOL_TIMEOUT: the tool's own time limit ran out. */
export function toolTimeout(message: string, cause?: unknown): NightshiftError {
  return new NightshiftError('TOOL_TIMEOUT', message, { cause });
}
