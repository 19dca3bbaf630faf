// Compiling the JSON Schemas roles and tools declare (a role's input and output, an MCP tool's arguments).
// Each schema gets its own ajv instance: ajv registers every compiled schema (and every sub-schema) by its
// `$id`, so one shared instance refuses the second schema with an `$id` it has seen — two roles whose
// schemas share an `$id` (or two versions of one role) made the run that compiled second throw, over and
// over. Compiled validators are cached per schema object.
import { Ajv, type ValidateFunction } from 'ajv';
import { RE2JS } from 're2js';
import { z } from 'zod';

const compiled = new WeakMap<object, ValidateFunction>();

/**
 * A schema's `pattern` (and `patternProperties`) runs on RE2, as a role's other patterns do
 * (role-regex.ts): a role's input schema is checked on what an event, a webhook or a caller sends, on
 * the daemon's request path, and ajv's default `new RegExp` backtracks. `^([a-z0-9]+)+@x$` against 30
 * letters and a `!` took 34 s of CPU before being refused; RE2's time grows with the text only. A pattern
 * RE2 cannot run (a lookahead, a backreference: valid in a JSON Schema) keeps JavaScript's engine in a
 * schema the role's author wrote; in one from an MCP server (`untrusted`) it is refused, since a hostile
 * server could otherwise make every check of its tool's arguments backtrack for minutes.
 */
function schemaRegExp(untrusted: boolean) {
  return Object.assign(
    (pattern: string, flags: string): { test(text: string): boolean; toString(): string } => {
      let re: RE2JS;
      try {
        re = RE2JS.compile(pattern);
      } catch (err) {
        if (untrusted) {
          throw new Error(
            `pattern ${JSON.stringify(pattern.slice(0, 200))} cannot run on RE2 (${(err as Error).message}); patterns from an MCP server may not use lookaround or backreferences`,
          );
        }
        return new RegExp(pattern, flags);
      }
      // ajv caches compiled patterns under toString(): one entry per pattern, as a RegExp's would be.
      return { test: (text: string) => re.test(text), toString: () => `re2:/${pattern}/${flags}` };
    },
    { code: 'schemaRegExp' },
  );
}

const trustedRegExp = schemaRegExp(false);
const untrustedRegExp = schemaRegExp(true);
/** Kept apart: a schema object compiled once as the author's must not be reused as a server's. */
const compiledUntrusted = new WeakMap<object, ValidateFunction>();

export interface CompileOptions {
  /** The schema comes from outside the project (an MCP server): patterns RE2 cannot run are refused. */
  untrusted?: boolean;
}

/** A validator for `schema`; throws ajv's error when the schema is invalid. */
export function compileJsonSchema(
  schema: Record<string, unknown>,
  options: CompileOptions = {},
): ValidateFunction {
  const cache = options.untrusted ? compiledUntrusted : compiled;
  let validate = cache.get(schema);
  if (!validate) {
    const regExp = options.untrusted ? untrustedRegExp : trustedRegExp;
    validate = new Ajv({ allErrors: true, strict: false, code: { regExp } }).compile(schema);
    cache.set(schema, validate);
  }
  return validate;
}

/**
 * A zod schema that checks a value against a JSON Schema (an MCP tool's arguments, a specialist's input),
 * its error naming where and what, so arguments given by JSON Schema go through the same checks as a
 * zod-typed tool's.
 */
export function zodFromJsonSchema(
  schema: Record<string, unknown>,
  options: CompileOptions = {},
): z.ZodType<Record<string, unknown>> {
  const validate = compileJsonSchema(schema, options);
  return z.custom<Record<string, unknown>>((v) => validate(v ?? {}) === true, {
    error: () =>
      (validate.errors ?? []).map((e) => `${e.instancePath || '(arguments)'} ${e.message}`).join('; ') ||
      'does not match the tool schema',
  });
}
