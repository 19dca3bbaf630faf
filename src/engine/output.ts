// Checking JSON against a role's schemas: the model's final answer (text, parsed first) against the
// role's output schema, and a run's input (already a value) against its input schema.
import { syntaxErrorWithoutQuote } from '../json-syntax-error.js';
import { textForMessage } from '../message-text.js';
import { compileJsonSchema } from '../roles/json-schema.js';

export type JsonCheck = { ok: true; value: unknown } | { ok: false; errors: string[] };

/** Parses the answer text as JSON, tolerating a surrounding code fence, since models add them. */
export function parseAnswer(text: string): { ok: true; value: unknown } | { ok: false; error: string } {
  let body = text.trim();
  const fence = /^```(?:json)?\s*\n([\s\S]*?)\n```$/.exec(body);
  if (fence) body = fence[1]!.trim();
  try {
    return { ok: true, value: JSON.parse(body) };
  } catch (err) {
    return { ok: false, error: `the answer is not JSON (${syntaxErrorWithoutQuote(err as Error)})` };
  }
}

/** Checks a JSON value against a JSON Schema; the errors name where (`/path`) and what is wrong. */
export function validateJson(value: unknown, schema: Record<string, unknown>): JsonCheck {
  const validate = compileJsonSchema(schema);
  if (validate(value)) return { ok: true, value };
  // A path names the value's own keys, which can hold a newline or a bidi control (an event's sender
  // chooses them): escaped, so the message that quotes it stays one line.
  const errors = (validate.errors ?? []).map((e) =>
    textForMessage(`${e.instancePath || '(root)'} ${e.message ?? 'is invalid'}`),
  );
  return { ok: false, errors };
}

/**
 * The model's final answer as the run's output: parsed and checked against the role's output schema.
 * Without a schema any answer goes: its JSON value when it is JSON, else the text.
 */
export function checkOutput(text: string, schema: Record<string, unknown> | undefined): JsonCheck {
  const parsed = parseAnswer(text);
  if (!schema) return { ok: true, value: parsed.ok ? parsed.value : text };
  if (!parsed.ok) return { ok: false, errors: [parsed.error] };
  return validateJson(parsed.value, schema);
}
