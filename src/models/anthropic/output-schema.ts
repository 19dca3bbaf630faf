// A role's output schema in the subset the Messages API's structured outputs accept: every object closed
// (additionalProperties: false, which the API requires), keywords it refuses (minLength, pattern, minimum, ...)
// moved into the description so the model still reads them, unsupported string formats likewise. The engine
// still checks the answer against the full schema. It sends what @ai-sdk/anthropic 3.0.140 sent (nightshift
// went through that provider before decision 039), written here for our own adapter.

type Schema = Record<string, unknown>;

const SUPPORTED_STRING_FORMATS = new Set([
  'date-time',
  'time',
  'date',
  'duration',
  'email',
  'hostname',
  'uri',
  'ipv4',
  'ipv6',
  'uuid',
]);
const DESCRIBED_KEYWORDS = [
  'minimum',
  'maximum',
  'exclusiveMinimum',
  'exclusiveMaximum',
  'multipleOf',
  'minLength',
  'maxLength',
  'pattern',
  'minItems',
  'maxItems',
  'uniqueItems',
  'minProperties',
  'maxProperties',
  'not',
];

const isSchema = (v: unknown): v is Schema => typeof v === 'object' && v !== null && !Array.isArray(v);
const child = (v: unknown): unknown => (isSchema(v) ? sanitize(v) : v);
const all = (defs: unknown): Schema =>
  Object.fromEntries(Object.entries(defs as Schema).map(([k, v]) => [k, child(v)]));

function definitions(s: Schema): Schema {
  return {
    ...(s.definitions != null ? { definitions: all(s.definitions) } : {}),
    ...(s.$defs != null ? { $defs: all(s.$defs) } : {}),
  };
}

function constraints(s: Schema): string | undefined {
  const parts = DESCRIBED_KEYWORDS.flatMap((key) => {
    const value = s[key];
    if (value == null || value === false) return [];
    const name = key.replace(/[A-Z]/g, (m) => ` ${m.toLowerCase()}`);
    return `${name}: ${typeof value === 'string' ? value : JSON.stringify(value)}`;
  });
  if (typeof s.format === 'string' && !SUPPORTED_STRING_FORMATS.has(s.format))
    parts.push(`format: ${s.format}`);
  return parts.length === 0 ? undefined : `${parts.join('; ')}.`;
}

function sanitize(s: Schema): Schema {
  if (s.$ref != null) return { $ref: s.$ref, ...definitions(s) };
  const out: Schema = {};
  for (const key of ['$schema', '$id', 'title', 'description', 'default', 'const', 'enum', 'type'])
    if (s[key] !== undefined && s[key] !== null) out[key] = s[key];
  if (Array.isArray(s.anyOf)) out.anyOf = s.anyOf.map(child);
  else if (Array.isArray(s.oneOf)) out.anyOf = s.oneOf.map(child);
  if (Array.isArray(s.allOf)) out.allOf = s.allOf.map(child);
  Object.assign(out, definitions(s));
  if (s.type === 'object' || s.properties != null) {
    if (s.properties != null) out.properties = all(s.properties);
    out.additionalProperties = false;
    if (s.required != null) out.required = s.required;
  }
  if (s.items != null) out.items = Array.isArray(s.items) ? s.items.map(child) : child(s.items);
  if (typeof s.format === 'string' && SUPPORTED_STRING_FORMATS.has(s.format)) out.format = s.format;
  const described = constraints(s);
  if (described) out.description = out.description == null ? described : `${out.description}\n${described}`;
  return out;
}

/** Sanitized once per schema object: a role's schema is the same object on every turn of every run. */
const cache = new WeakMap<object, Schema>();

export function anthropicOutputSchema(schema: Schema): Schema {
  let out = cache.get(schema);
  if (!out) {
    out = sanitize(schema);
    cache.set(schema, out);
  }
  return out;
}
