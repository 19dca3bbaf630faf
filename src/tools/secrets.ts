// Secrets: tools get them by name; their values never reach the store, the run's output or the model.
// Values come from the role's secrets file (KEY=VALUE lines) or the environment, and only for the names
// the role declares. Everything the engine persists passes through the redactor first.
import { readFileSync } from 'node:fs';
import { NightshiftError } from '../errors.js';
import type { Role } from '../roles/schema.js';

export interface Secrets {
  /** The value of a declared secret, or undefined when it is not set. Undeclared names throw. */
  get(name: string): string | undefined;
  readonly names: readonly string[];
}

const MIN_REDACT_LENGTH = 4;

export function parseSecretsFile(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    if (eq <= 0) continue;
    const key = line
      .slice(0, eq)
      .trim()
      .replace(/^export\s+/, '');
    let value = line.slice(eq + 1).trim();
    if ((value.startsWith('"') && value.endsWith('"')) || (value.startsWith("'") && value.endsWith("'")))
      value = value.slice(1, -1);
    out.set(key, value);
  }
  return out;
}

export function loadSecrets(
  role: Pick<Role, 'secrets' | 'secretsFile' | 'name'>,
  env: NodeJS.ProcessEnv,
): Secrets {
  let fromFile = new Map<string, string>();
  if (role.secretsFile) {
    try {
      fromFile = parseSecretsFile(readFileSync(role.secretsFile, 'utf8'));
    } catch (err) {
      throw new NightshiftError(
        'CONFIG_INVALID',
        `role ${role.name}: cannot read its secrets file ${role.secretsFile}: ${(err as Error).message}`,
      );
    }
  }
  const values = new Map<string, string>();
  for (const name of role.secrets) {
    const v = fromFile.get(name) ?? env[name];
    if (v !== undefined && v !== '') values.set(name, v);
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

export const noSecrets: Secrets = { names: [], get: () => undefined };

/** A function that replaces every secret value inside a JSON-like value with `[secret NAME]`. */
export type Redactor = <T>(value: T) => T;

export function redactorFor(secrets: Secrets): Redactor | undefined {
  const values = (secrets as unknown as Record<symbol, Map<string, string> | undefined>)[REDACT_VALUES];
  if (!values) return undefined;
  const pairs = [...values.entries()]
    .filter(([, v]) => v.length >= MIN_REDACT_LENGTH)
    .sort((a, b) => b[1].length - a[1].length);
  if (pairs.length === 0) return undefined;
  const scrub = (text: string): string => {
    let out = text;
    for (const [name, v] of pairs) if (out.includes(v)) out = out.split(v).join(`[secret ${name}]`);
    return out;
  };
  const walk = (value: unknown): unknown => {
    if (typeof value === 'string') return scrub(value);
    if (Array.isArray(value)) return value.map(walk);
    if (value !== null && typeof value === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) out[scrub(k)] = walk(v);
      return out;
    }
    return value;
  };
  return <T>(value: T) => walk(value) as T;
}
