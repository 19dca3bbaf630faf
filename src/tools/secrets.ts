// Secrets: tools get them by name; their values never reach the store, the run's output or the model.
// Values come from the role's secrets file (KEY=VALUE lines) or the environment, and only for the names
// the role declares. Everything the engine persists passes through the redactor first, which puts
// `[secret NAME]` where a value was (and `[secret NAME base64]` and so on where an encoded form of it was:
// secret-forms.ts); the revealer puts the values back by name, for the one place that
// needs them: a tool call's arguments, when the call runs (engine/call-args.ts checks the result against
// the hash of what the model asked).
import { type CappedText, readCappedText, tooLargeReason } from '../config/capped-read.js';
import { NightshiftError } from '../errors.js';
import type { RoleSettings } from '../roles/settings.js';
import { encodedForm, encodedForms, SECRET_ENCODINGS, type SecretEncoding } from '../secret-forms.js';

export interface Secrets {
  /** The value of a declared secret, or undefined when it is not set. Undeclared names throw. */
  get(name: string): string | undefined;
  readonly names: readonly string[];
}

const MIN_REDACT_LENGTH = 4;

/**
 * The NAME=VALUE lines of a secrets file (blank lines and `#` comments aside). A line with no `=`, or none
 * before it, is refused (CONFIG_INVALID naming `where` and the line number): skipped, it left a declared
 * secret unset without a word (a value pasted on its own line, a name typed `API_TOKEN: x`). The line itself
 * is not quoted: it may hold a secret's value.
 */
export function parseSecretsFile(text: string, where: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const [i, raw] of text.split(/\r?\n/).entries()) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    const key =
      eq <= 0
        ? ''
        : line
            .slice(0, eq)
            .trim()
            .replace(/^export\s+/, '');
    if (key === '')
      throw new NightshiftError(
        'CONFIG_INVALID',
        `${where}, line ${i + 1}: ${eq < 0 ? 'no "="' : 'no name before "="'}: write NAME=VALUE (the line is not shown: it may hold a secret)`,
        { details: { line: i + 1 } },
      );
    let value = line.slice(eq + 1).trim();
    if ((value.startsWith('"') && value.endsWith('"')) || (value.startsWith("'") && value.endsWith("'")))
      value = value.slice(1, -1);
    out.set(key, value);
  }
  return out;
}

export function loadSecrets(
  role: Pick<RoleSettings, 'secrets' | 'secretsFile' | 'name'> & Partial<Pick<RoleSettings, 'mcp'>>,
  env: NodeJS.ProcessEnv,
): Secrets {
  let fromFile = new Map<string, string>();
  if (role.secretsFile) {
    let read: CappedText;
    try {
      read = readCappedText(role.secretsFile);
    } catch (err) {
      throw new NightshiftError(
        'CONFIG_INVALID',
        `role ${role.name}: cannot read its secrets file ${role.secretsFile}: ${(err as Error).message}`,
      );
    }
    if (!read.ok)
      throw new NightshiftError(
        'CONFIG_INVALID',
        `role ${role.name}: its secrets file ${role.secretsFile} ${tooLargeReason(read.size)}`,
      );
    fromFile = parseSecretsFile(read.text, `role ${role.name}: its secrets file ${role.secretsFile}`);
  }
  const values = new Map<string, string>();
  for (const name of role.secrets) {
    const v = fromFile.get(name) ?? env[name];
    if (v !== undefined && v !== '') values.set(name, v);
  }
  // What the role hands its MCP servers (mcp[].env: the secrets file's value, else the environment's, as
  // mcpEnvironment passes it) is scrubbed as a secret's value, not offered to tools: a server that echoes
  // its token (a crash's stderr in a TOOL_FAILED message, a result) put it in the store and the model's
  // context. Not offered to tools either when the file holds it: a credential meant for the server alone
  // stays out of `ctx.secrets` and `{{secret:NAME}}` unless the role also declares it under `secrets:`.
  for (const server of role.mcp ?? [])
    for (const name of server.env) {
      const v = fromFile.get(name) ?? env[name];
      if (!values.has(name) && v !== undefined && v !== '') values.set(name, v);
    }
  return {
    names: role.secrets,
    get(name) {
      if (!role.secrets.includes(name)) {
        throw new NightshiftError(
          'SCOPE_VIOLATION',
          `secret ${name} is not declared by role ${role.name} (secrets: in the role file)`,
        );
      }
      return values.get(name);
    },
    ...({ [REDACT_VALUES]: values } as object),
  };
}

const REDACT_VALUES = Symbol('secret values');

/**
 * Every value `secrets` scrubs: the declared secrets and what the role hands its MCP servers (from the
 * secrets file or the environment). Logs scrub these too: a server printing its token at start lands
 * in a TOOL_FAILED message that serve's log carries.
 */
export function scrubbedValues(secrets: Secrets): string[] {
  const values = (secrets as unknown as Record<symbol, Map<string, string> | undefined>)[REDACT_VALUES];
  return values ? [...values.values()] : [];
}

/**
 * The environment a role's MCP servers are started from (connect.ts takes `PATH` and each server's
 * `mcp[].env` names from it): `env`, with each of those names the role's secrets file sets taking the
 * file's value, so a credential kept in the file (not in nightshift's own environment) reaches its server.
 */
export function mcpEnvironment(
  role: Pick<RoleSettings, 'mcp'>,
  secrets: Secrets,
  env: NodeJS.ProcessEnv,
): NodeJS.ProcessEnv {
  const values = (secrets as unknown as Record<symbol, Map<string, string> | undefined>)[REDACT_VALUES];
  const out: NodeJS.ProcessEnv = { ...env };
  for (const server of role.mcp)
    for (const name of server.env) {
      const v = values?.get(name);
      if (v !== undefined) out[name] = v;
    }
  return out;
}

export const noSecrets: Secrets = { names: [], get: () => undefined };

/** A function that rewrites every string (and key) inside a JSON-like value. */
export type Redactor = <T>(value: T) => T;

/** What stands in a stored value where a secret's value was. */
export function secretPlaceholder(name: string): string {
  return `[secret ${name}]`;
}

/**
 * What stands where an encoded form of a secret's value was (secret-forms.ts): `[secret NAME base64]`.
 * The encoding is named so the revealer can write back exactly the text that was there.
 */
function encodedPlaceholder(name: string, encoding: SecretEncoding): string {
  return `[secret ${name} ${encoding}]`;
}

/** The placeholders in a text: `[secret NAME]` or `[secret NAME <encoding>]`, NAME as `secrets:` allows it. */
const PLACEHOLDER = new RegExp(
  `\\[secret ([A-Za-z_][A-Za-z0-9_]*)(?: (${SECRET_ENCODINGS.join('|')}))?\\]`,
  'g',
);

/** The names of the secrets whose placeholders occur anywhere in a JSON-like value. */
export function placeholderNames(value: unknown): Set<string> {
  const names = new Set<string>();
  mapStrings(value, (text) => {
    for (const m of text.matchAll(PLACEHOLDER)) names.add(m[1]!);
    return text;
  });
  return names;
}

function secretValues(secrets: Secrets): [string, string][] {
  const values = (secrets as unknown as Record<symbol, Map<string, string> | undefined>)[REDACT_VALUES];
  return [...(values ?? new Map<string, string>()).entries()].filter(
    ([, v]) => v.length >= MIN_REDACT_LENGTH,
  );
}

function mapStrings(value: unknown, f: (text: string) => string): unknown {
  if (typeof value === 'string') return f(value);
  if (Array.isArray(value)) return value.map((v) => mapStrings(v, f));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    // Defined, not assigned: a `__proto__` key stays a key (assigned, it would set the prototype).
    for (const [k, v] of Object.entries(value))
      Object.defineProperty(out, f(k), {
        value: mapStrings(v, f),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    return out;
  }
  return value;
}

export function redactorFor(secrets: Secrets): Redactor | undefined {
  // Each value and its encoded forms (computed here, once per secret set, not per string), longest first,
  // so a value that contains another is replaced whole.
  const pairs: [text: string, placeholder: string][] = [];
  for (const [name, v] of secretValues(secrets)) {
    pairs.push([v, secretPlaceholder(name)]);
    for (const form of encodedForms(v)) pairs.push([form.text, encodedPlaceholder(name, form.encoding)]);
  }
  pairs.sort((a, b) => b[0].length - a[0].length);
  if (pairs.length === 0) return undefined;
  const scrub = (text: string): string => {
    let out = text;
    for (const [v, placeholder] of pairs) if (out.includes(v)) out = out.split(v).join(placeholder);
    return out;
  };
  return <T>(value: T) => mapStrings(value, scrub) as T;
}

/**
 * The inverse of the redactor, for a call's stored arguments: each `[secret NAME]` of a secret set here
 * becomes its value. Placeholders of secrets not set here stay as they are. Whether the result is what
 * the model really asked is for the caller to check (against the call's hash): the model may have
 * written a placeholder itself.
 */
export function revealerFor(secrets: Secrets): Redactor | undefined {
  const values = new Map(secretValues(secrets));
  if (values.size === 0) return undefined;
  const fill = (text: string) =>
    text.replace(PLACEHOLDER, (whole, name: string, encoding: SecretEncoding | undefined) => {
      const value = values.get(name);
      if (value === undefined) return whole;
      return encoding ? (encodedForm(value, encoding) ?? whole) : value;
    });
  return <T>(value: T) => mapStrings(value, fill) as T;
}
