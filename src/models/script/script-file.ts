// The scripted model's file: what the "model" answers, turn by turn. For tests and offline demos; its
// output is always labelled `script:` and never presented as a real model's.
import { statSync } from 'node:fs';
import { z } from 'zod';
import { parseYamlText, readYamlText } from '../../config/yaml-file.js';
import { NightshiftError, RoleInvalidError } from '../../errors.js';

const Call = z.strictObject({ tool: z.string().min(1), args: z.unknown().optional() });
const Usage = z.strictObject({
  inputTokens: z.number().int().nonnegative().default(0),
  outputTokens: z.number().int().nonnegative().default(0),
  costUsd: z.number().nonnegative().default(0),
});

export const ScriptTurn = z
  .strictObject({
    call: z.string().min(1).optional(),
    args: z.unknown().optional(),
    calls: z.array(Call).min(1).optional(),
    escalate: z
      .strictObject({
        category: z.string().min(1),
        reason: z.string().min(1),
        missing: z.string().optional(),
      })
      .optional(),
    final: z.unknown().optional(),
    text: z.string().optional(),
    /** Assistant text alongside tool calls. */
    say: z.string().optional(),
    usage: Usage.optional(),
    /** Simulated model latency, for demos and crash tests. */
    delayMs: z.number().int().nonnegative().max(600_000).optional(),
  })
  .superRefine((t, ctx) => {
    const kinds = (['call', 'calls', 'escalate', 'final', 'text'] as const).filter((k) => t[k] !== undefined);
    if (kinds.length !== 1) {
      ctx.addIssue({
        code: 'custom',
        message:
          kinds.length === 0
            ? 'a turn needs one of call, calls, escalate, final or text'
            : `a turn has exactly one of call, calls, escalate, final or text; this one has ${kinds.join(' and ')}`,
      });
    }
    if (t.args !== undefined && t.call === undefined)
      ctx.addIssue({ code: 'custom', path: ['args'], message: 'args belongs to call' });
    if (t.say !== undefined && (t.final !== undefined || t.text !== undefined))
      ctx.addIssue({
        code: 'custom',
        path: ['say'],
        message: 'say goes with call, calls or escalate; for an answer use text or final alone',
      });
  });
export type ScriptTurn = z.infer<typeof ScriptTurn>;

export const ScriptFile = z.strictObject({
  turns: z.array(ScriptTurn).min(1),
  /**
   * A file (relative to the script) each request is appended to as one JSON line: what the "model" was
   * shown, so a test can check what reached it (the improve loop's held-out cases must not).
   */
  record: z.string().min(1).optional(),
});
export type ScriptFile = z.infer<typeof ScriptFile>;

const cache = new Map<string, { mtimeMs: number; size: number; script: ScriptFile }>();

/**
 * Loads and validates a script (cached by path and mtime, so a run of thousands of turns parses it once).
 * Throws RoleInvalidError with the file's lines, or MODEL_CONFIG when there is no such file.
 */
export function loadScript(file: string, displayPath = file): ScriptFile {
  let st: ReturnType<typeof statSync>;
  try {
    st = statSync(file);
  } catch (err) {
    throw new NightshiftError('MODEL_CONFIG', `script file not found: ${displayPath}`, { cause: err });
  }
  const hit = cache.get(file);
  if (hit && hit.mtimeMs === st.mtimeMs && hit.size === st.size) return hit.script;
  const parsed = parseYamlText(readYamlText(file, displayPath), displayPath, ScriptFile);
  if (!parsed.ok) throw new RoleInvalidError(parsed.issues, displayPath);
  cache.set(file, { mtimeMs: st.mtimeMs, size: st.size, script: parsed.value });
  return parsed.value;
}
