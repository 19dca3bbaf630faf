// A tool's scope function is the runtime's own boundary check (workspace paths, hosts, commands), but its
// answer comes from tool code: a library user's defineTool, an MCP wrapper. An answer that is not one of
// the three verdicts (a typo'd kind, `{ allowed: false }`, a forgotten return) must not read as
// "unscoped", which `full` allows: it is taken as outside, with a reason that says what came back.
import { z } from 'zod';
import type { ScopeVerdict } from './types.js';

const Verdict = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('inside'), canonical: z.record(z.string(), z.unknown()).optional() }),
  z.object({ kind: z.literal('outside'), reason: z.string() }),
  z.object({ kind: z.literal('unscoped') }),
]);

/** `value` as a verdict, or `outside` when it is not one. */
export function scopeVerdict(tool: string, value: unknown): ScopeVerdict {
  const parsed = Verdict.safeParse(value);
  if (parsed.success) return parsed.data as ScopeVerdict;
  const got =
    value === null || typeof value !== 'object'
      ? String(value)
      : `an object with kind ${JSON.stringify((value as { kind?: unknown }).kind) ?? 'missing'}`;
  return {
    kind: 'outside',
    reason: `${tool}'s scope check gave no verdict (got ${got.slice(0, 80)}; expected { kind: 'inside' }, { kind: 'outside', reason } or { kind: 'unscoped' })`,
  };
}
