// Compiling the JSON Schemas roles and tools declare (a role's input and output, an MCP tool's arguments).
// Each schema gets its own ajv instance: ajv registers every compiled schema (and every sub-schema) by its
// `$id`, so one shared instance refuses the second schema with an `$id` it has seen — two roles whose
// schemas share an `$id` (or two versions of one role) made the run that compiled second throw, over and
// over. Compiled validators are cached per schema object.
import { Ajv, type ValidateFunction } from 'ajv';

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
