// What an MCP server says about a tool is passed to the model (its description, its input schema) and
// compiled to check arguments (the schema): both come from a process the role author does not write, so
// both are bounded. A server offering a 5 MB description made every model call of the role carry it.
import { NightshiftError } from '../../errors.js';

/** The longest tool description taken from an MCP server: 8 KiB (a long real one is 1–2 KB). */
export const MAX_MCP_DESCRIPTION_BYTES = 8 * 1024;
/** The largest input schema taken from an MCP server, as JSON: 64 KiB. */
export const MAX_MCP_SCHEMA_BYTES = 64 * 1024;

const bytes = (n: number) => n.toLocaleString('en-US');

/**
 * Refuses (TOOL_NOT_FOUND, naming the server, the tool and both sizes) a listed tool whose description or
 * input schema is over its cap. Refused rather than cut short: a truncated description or schema is not
 * what the server meant, and the model would act on half of it without anyone being told.
 */
export function checkOfferedSize(
  server: string,
  tool: string,
  offered: { description?: string | undefined; inputSchema?: unknown },
): void {
  const refuse = (what: string, size: number, cap: number) =>
    new NightshiftError(
      'TOOL_NOT_FOUND',
      `MCP server ${server}: tool '${tool}' has ${what} of ${bytes(size)} bytes; nightshift takes at most ${bytes(cap)} bytes from an MCP server`,
      { details: { server, tool, size, maxBytes: cap } },
    );
  const description = Buffer.byteLength(offered.description ?? '', 'utf8');
  if (description > MAX_MCP_DESCRIPTION_BYTES)
    throw refuse('a description', description, MAX_MCP_DESCRIPTION_BYTES);
  const schema = Buffer.byteLength(JSON.stringify(offered.inputSchema ?? {}), 'utf8');
  if (schema > MAX_MCP_SCHEMA_BYTES) throw refuse('an input schema', schema, MAX_MCP_SCHEMA_BYTES);
}
