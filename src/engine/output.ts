// The final output: the model's last answer parsed as JSON and checked against the role's output schema.
import { compileJsonSchema } from '../roles/json-schema.js';

export type OutputCheck = { ok: true; value: unknown } | { ok: false; errors: string[] };

/** Parses the answer text as JSON, tolerating a surrounding code fence, since models add them. */
export function parseAnswer(text: string): { ok: true; value: unknown } | { ok: false; error: string } {
  let body = text.trim();
  const fence = /^```(?:json)?\s*\n([\s\S]*?)\n```$/.exec(body);
  if (fence) body = fence[1]!.trim();
  try {
    return { ok: true, value: JSON.parse(body) };
  } catch (err) {
    return { ok: false, error: `the answer is not JSON (${(err as Error).message})` };
  }
}

export function checkOutput(text: string, schema: Record<string, unknown> | undefined): OutputCheck {
  const parsed = parseAnswer(text);
  if (!schema) return { ok: true, value: parsed.ok ? parsed.value : text };
  if (!parsed.ok) return { ok: false, errors: [parsed.error] };
  const validate = compileJsonSchema(schema);
  if (validate(parsed.value)) return { ok: true, value: parsed.value };
  const errors = (validate.errors ?? []).map(
    (e) => `${e.instancePath || '(root)'} ${e.message ?? 'is invalid'}`,
  );
  return { ok: false, errors };
}
