// Compiling the JSON Schemas roles and tools declare (a role's input and output, an MCP tool's arguments).
// Each schema gets its own ajv instance: ajv registers every compiled schema (and every sub-schema) by its
// `$id`, so one shared instance refuses the second schema with an `$id` it has seen — two roles whose
// schemas share an `$id` (or two versions of one role) made the run that compiled second throw, over and
// over. Compiled validators are cached per schema object.
import { Ajv, type ValidateFunction } from 'ajv';
import { z } from 'zod';

const compiled = new WeakMap<object, ValidateFunction>();

/** A validator for `schema`; throws ajv's error when the schema is invalid. */
export function compileJsonSchema(schema: Record<string, unknown>): ValidateFunction {
  let validate = compiled.get(schema);
  if (!validate) {
    validate = new Ajv({ allErrors: true, strict: false }).compile(schema);
    compiled.set(schema, validate);
  }
  return validate;
}

/**
 * A zod schema that checks a value against a JSON Schema (an MCP tool's arguments, a specialist's input),
 * its error naming where and what, so arguments given by JSON Schema go through the same checks as a
 * zod-typed tool's.
 */
export function zodFromJsonSchema(schema: Record<string, unknown>): z.ZodType<Record<string, unknown>> {
  const validate = compileJsonSchema(schema);
  return z.custom<Record<string, unknown>>((v) => validate(v ?? {}) === true, {
    error: () =>
      (validate.errors ?? []).map((e) => `${e.instancePath || '(arguments)'} ${e.message}`).join('; ') ||
      'does not match the tool schema',
  });
}
