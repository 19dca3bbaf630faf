// defineTool: the one way to make a tool, for built-ins and user modules alike.
import { NightshiftError } from '../errors.js';
import { TOOL_NAME } from '../roles/settings.js';
import { type AnyTool, EFFECTS, type Tool, type ToolDefinition } from './types.js';

/**
 * Defines a tool the runtime can offer to a role.
 *
 * @example
 * export const issueRefund = defineTool({
 *   name: 'refunds.issue',
 *   description: 'Refund an order',
 *   input: z.object({ orderId: z.string(), amount: z.number().positive() }),
 *   effect: 'external',
 *   approval: 'always',
 *   run: async ({ orderId, amount }, ctx) => payments.refund(orderId, amount, { idempotencyKey: ctx.idempotencyKey }),
 * });
 */
export function defineTool<Input, Output>(def: ToolDefinition<Input, Output>): Tool<Input, Output> {
  if (!TOOL_NAME.test(def.name)) {
    throw new NightshiftError(
      'TOOL_MODULE_INVALID',
      `tool name ${JSON.stringify(def.name)} is invalid: use letters, digits, "_" or "-" in dot-separated parts, e.g. refunds.issue`,
    );
  }
  if (def.name === 'escalate') {
    throw new NightshiftError(
      'TOOL_MODULE_INVALID',
      'tool name "escalate" is reserved for the built-in escalation tool',
    );
  }
  if (!EFFECTS.includes(def.effect)) {
    throw new NightshiftError(
      'TOOL_MODULE_INVALID',
      `tool ${def.name}: effect must be one of ${EFFECTS.join('|')}, got ${JSON.stringify(def.effect)}`,
    );
  }
  if (typeof def.run !== 'function') {
    throw new NightshiftError('TOOL_MODULE_INVALID', `tool ${def.name}: run must be a function`);
  }
  return {
    kind: 'nightshift.tool',
    name: def.name,
    description: def.description,
    input: def.input,
    effect: def.effect,
    approval: def.approval ?? 'policy',
    // Unknown means unsafe: a tool with a side effect must opt in to being re-run after an unknown
    // outcome. A read has none (the policy runs it at observe on that word), so running it again is safe:
    // asking a person whether a lost read "happened", or syncing its claim to disk, buys nothing. Left
    // unsaid here and defaulted where it is read (isIdempotent), so role version hashes do not move.
    ...(def.idempotent === undefined ? {} : { idempotent: def.idempotent }),
    ...(def.scope ? { scope: def.scope } : {}),
    ...(def.jsonSchema ? { jsonSchema: def.jsonSchema } : {}),
    run: def.run,
  };
}

export function isTool(value: unknown): value is AnyTool {
  return (
    typeof value === 'object' && value !== null && (value as { kind?: unknown }).kind === 'nightshift.tool'
  );
}
