// A parsed value that is not a JSON-RPC message: the -32600 answer JSON-RPC 2.0 asks for, with the first rule
// it breaks, under its own id when it has a usable one. Shared by the stdio transport and /mcp on serve, so
// both answer a malformed message in the same words (the SDK's HTTP transport would call it a parse error).
import { type JSONRPCMessage, JSONRPCMessageSchema } from '@modelcontextprotocol/sdk/types.js';

export type Id = string | number | null;

/** Why a parsed value is not a JSON-RPC message, in one short sentence (the first rule it breaks). */
function whyInvalid(value: unknown): string {
  if (Array.isArray(value)) return 'batches are not supported: send one message per line';
  if (value === null || typeof value !== 'object') return 'a message is a JSON object';
  const m = value as Record<string, unknown>;
  if (m.jsonrpc !== '2.0') return 'jsonrpc must be "2.0"';
  if ('id' in m && typeof m.id !== 'string' && typeof m.id !== 'number')
    return 'id must be a string or a number';
  if ('method' in m && typeof m.method !== 'string') return 'method must be a string';
  if ('params' in m && (m.params === null || typeof m.params !== 'object' || Array.isArray(m.params)))
    return 'params must be an object (MCP passes parameters by name)';
  return 'not a JSON-RPC 2.0 request, notification or response';
}

/** The id to answer an invalid message with: its own when it has a usable one, else null (as the spec says). */
function idOf(value: unknown): Id {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return null;
  const id = (value as { id?: unknown }).id;
  return typeof id === 'string' || typeof id === 'number' ? id : null;
}

/** The message when `value` is one, else the id and text of its -32600 answer. */
export function invalidMessage(
  value: unknown,
): { ok: true; message: JSONRPCMessage } | { ok: false; id: Id; message: string } {
  const parsed = JSONRPCMessageSchema.safeParse(value);
  if (parsed.success) return { ok: true, message: parsed.data as JSONRPCMessage };
  return { ok: false, id: idOf(value), message: `Invalid Request: ${whyInvalid(value)}` };
}
