// zod's issues in the words of someone editing a YAML file: `expected one of a|b, got 'c'`, `unknown key
// 'x' (did you mean 'y'?)`, `required`, `expected number, got string`. zod's issues are post-processed here
// rather than through a global zod error map, so no other schema in the process gets these messages.
import type { z } from 'zod';
import type { Issue } from '../errors.js';

export type PathSegment = string | number;

/** Places an issue in its file (a YamlSource gives the line of the key). */
export interface IssueLocator {
  issue(path: readonly PathSegment[], message: string): Issue;
}

export function formatPath(path: readonly PathSegment[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else out += out === '' ? seg : `.${seg}`;
  }
  return out;
}

function readAt(value: unknown, path: readonly PathSegment[]): unknown {
  let cur = value;
  for (const seg of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string | number, unknown>)[seg];
  }
  return cur;
}

/** A value as a message shows it: strings quoted, collections by kind. */
function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  if (typeof v === 'string') return `'${v.length > 60 ? `${v.slice(0, 57)}...` : v}'`;
  return String(v);
}

/** The YAML word for a value's type. */
function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'list';
  if (typeof v === 'object') return 'mapping';
  return typeof v;
}

/** zod's names for expected types, in the words of someone writing YAML. */
const EXPECTED: Record<string, string> = {
  object: 'mapping',
  record: 'mapping',
  map: 'mapping',
  array: 'list',
  tuple: 'list',
  int: 'integer',
};

// biome-ignore lint/suspicious/noExplicitAny: walking zod's internal definition tree.
type ZodNode = any;

function unwrap(node: ZodNode): ZodNode[] {
  let cur = node;
  for (let i = 0; i < 20 && cur; i++) {
    const def = cur._zod?.def;
    if (!def) return [];
    if (['optional', 'default', 'nullable', 'prefault', 'readonly', 'catch'].includes(def.type))
      cur = def.innerType;
    else if (def.type === 'lazy') cur = def.getter();
    else if (def.type === 'pipe') cur = def.in;
    else if (def.type === 'union') return (def.options as ZodNode[]).flatMap(unwrap);
    else return [cur];
  }
  return [];
}

/** Keys a zod schema accepts at a path, across union branches (best effort, for "did you mean"). */
function knownKeys(schema: z.ZodType, path: readonly PathSegment[]): string[] {
  let candidates: ZodNode[] = unwrap(schema);
  for (const seg of path) {
    candidates = candidates.flatMap((node) => {
      const def = node._zod.def;
      if (def.type === 'object') return def.shape[seg] ? unwrap(def.shape[seg]) : [];
      if (def.type === 'array') return unwrap(def.element);
      if (def.type === 'record') return unwrap(def.valueType);
      return [];
    });
  }
  const keys = new Set<string>();
  for (const node of candidates)
    if (node._zod.def.type === 'object') for (const k of Object.keys(node._zod.def.shape)) keys.add(k);
  return [...keys];
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length]!;
}

/** ` (did you mean 'x'?)` when a known key is a small edit away from the unknown one. */
function suggestion(key: string, known: string[]): string {
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const k of known) {
    const d = editDistance(key.toLowerCase(), k.toLowerCase());
    if (d < bestDistance) {
      bestDistance = d;
      best = k;
    }
  }
  return best !== undefined && bestDistance <= Math.max(2, Math.floor(key.length / 3))
    ? ` (did you mean '${best}'?)`
    : '';
}

export interface ZodIssueLike {
  code: string;
  path: PropertyKey[];
  message: string;
  values?: unknown[];
  keys?: string[];
  expected?: string;
  origin?: string;
  format?: string;
  pattern?: string;
  minimum?: number | bigint;
  maximum?: number | bigint;
  inclusive?: boolean;
  errors?: ZodIssueLike[][];
}

function sizeMessage(issue: ZodIssueLike, value: unknown): string {
  const small = issue.code === 'too_small';
  const bound = Number(small ? issue.minimum : issue.maximum);
  const op = `${small ? '>' : '<'}${issue.inclusive ? '=' : ''}`;
  switch (issue.origin) {
    case 'string':
      if (small && bound === 1) return 'must not be empty';
      return `expected ${small ? 'at least' : 'at most'} ${bound} characters, got ${String(value).length}`;
    case 'array':
    case 'set':
      if (small && bound === 1) return 'must not be empty';
      return `expected ${small ? 'at least' : 'at most'} ${bound} items, got ${(value as unknown[]).length}`;
    case 'number':
    case 'int':
    case 'bigint':
      return `expected a number ${op} ${bound}, got ${describe(value)}`;
    default:
      return issue.message;
  }
}

const SECRET_NAME_MESSAGES = new Set<string>();

/**
 * The schema message of a field that takes a secret's *name* (`token: SLACK_BOT_TOKEN`). What fails there
 * is most often the secret itself pasted in its place (`token: xoxb-…`), so the issue never repeats the
 * value: it would reach stderr, CI logs and serve's log.
 */
export function secretNameMessage(message: string): string {
  SECRET_NAME_MESSAGES.add(message);
  return message;
}

const WHOLE_MESSAGES = new Set<string>();

/**
 * A schema message that is the whole message, shown as written: it already says what is wrong and why (an
 * escalation condition that can never mean anything, roles/void-conditions.ts), where zod's size words
 * ("must not be empty") would say only what.
 */
export function wholeMessage(message: string): string {
  WHOLE_MESSAGES.add(message);
  return message;
}

function formatMessage(issue: ZodIssueLike, value: unknown): string {
  if (SECRET_NAME_MESSAGES.has(issue.message))
    return `expected ${issue.message}; the value given is not repeated here, as it may be the secret itself (put the value in the environment or a secrets file, and its name here)`;
  // A message written in the schema describes what is wanted ("a tool name such as fs.read"); zod's own
  // defaults start with "Invalid".
  if (!issue.message.startsWith('Invalid')) return `expected ${issue.message}, got ${describe(value)}`;
  if (issue.format === 'regex') return `expected text matching ${issue.pattern}, got ${describe(value)}`;
  const what = issue.format === 'url' ? 'a URL' : `a valid ${issue.format}`;
  return `expected ${what}, got ${describe(value)}`;
}

/** Where each provider's API key is read from: the environment, never a file (config or role). */
const API_KEY_VARIABLES: Record<string, string> = {
  anthropic: 'ANTHROPIC_API_KEY',
  openai: 'OPENAI_API_KEY',
};

/**
 * Unknown keys whose writer meant something we know: a YAML merge key (`<<: *base`) reaches the schema as
 * a key named `<<` (nightshift parses YAML without merge keys, so a mapping is exactly what it spells), and
 * an API key written into the config file belongs in the environment.
 */
function unknownKeyHint(path: readonly PathSegment[], key: string): string | undefined {
  if (key === '<<')
    return "YAML merge keys ('<<: *anchor') are not supported: write the keys out in this mapping (an alias '*anchor' for a whole value works)";
  const variable = path.length === 2 && path[0] === 'models' ? API_KEY_VARIABLES[String(path[1])] : undefined;
  if (variable && /^api[-_]?key$/i.test(key))
    return `unknown key '${key}': API keys are not read from nightshift.config.yaml; set ${variable} in the environment of the processes that run the roles`;
  return undefined;
}

/**
 * Turns zod's issues into human ones: with the line of the key (when `source` is given), the dotted key
 * path, and a message in the words of the file (`expected one of a|b, got 'c'`, `unknown key 'x' (did you
 * mean 'y'?)`, `required`, `expected number, got string`).
 */
export function zodIssues(
  source: IssueLocator | undefined,
  data: unknown,
  schema: z.ZodType,
  issues: readonly ZodIssueLike[],
  file?: string,
): Issue[] {
  const out: Issue[] = [];
  const make = (path: PathSegment[], message: string): Issue =>
    source ? source.issue(path, message) : { ...(file ? { file } : {}), path: formatPath(path), message };
  for (const issue of issues) {
    const path = issue.path.filter((p): p is PathSegment => typeof p === 'string' || typeof p === 'number');
    const value = readAt(data, path);
    if (WHOLE_MESSAGES.has(issue.message)) {
      out.push(make(path, issue.message));
      continue;
    }
    switch (issue.code) {
      case 'invalid_value':
        // A key left out is `required`, as for every other key (not "got undefined"), with what it takes.
        if (value === undefined && issue.values && issue.values.length > 1) {
          out.push(make(path, `required: one of ${issue.values.map(String).join('|')}`));
        } else if (issue.values && issue.values.length > 1) {
          out.push(
            make(path, `expected one of ${issue.values.map(String).join('|')}, got ${describe(value)}`),
          );
        } else if (issue.values?.length === 1) {
          out.push(make(path, `expected ${JSON.stringify(issue.values[0])}, got ${describe(value)}`));
        } else out.push(make(path, issue.message));
        break;
      case 'invalid_type': {
        if (value === undefined) {
          out.push(make(path, 'required'));
          break;
        }
        const expected = EXPECTED[issue.expected ?? ''] ?? issue.expected;
        // YAML's `.inf` and `.nan` are numbers to JavaScript, which zod refuses as a number: saying
        // "expected number, got number" left the reader nothing to fix.
        if (typeof value === 'number' && !Number.isFinite(value)) {
          out.push(make(path, `expected a finite number, got ${value}`));
          break;
        }
        const got = issue.expected === 'int' && typeof value === 'number' ? String(value) : typeName(value);
        out.push(make(path, `expected ${expected}, got ${got}`));
        break;
      }
      case 'unrecognized_keys': {
        const known = knownKeys(schema, path);
        for (const key of issue.keys ?? []) {
          // A key of another form of a union field (`{ tool: x, result: {...} }` mixes two kinds of
          // escalation condition): "did you mean" would name the key itself.
          const otherForm = known.includes(key);
          const combine = path.includes('when') ? ' (combine two conditions with all: [...])' : '';
          out.push(
            make(
              [...path, key],
              otherForm
                ? `key '${key}' does not go with the other keys of this mapping: it belongs to another form of this field${combine}`
                : (unknownKeyHint(path, key) ?? `unknown key '${key}'${suggestion(key, known)}`),
            ),
          );
        }
        break;
      }
      case 'too_small':
      case 'too_big':
        out.push(make(path, sizeMessage(issue, value)));
        break;
      case 'invalid_format':
        out.push(make(path, formatMessage(issue, value)));
        break;
      case 'invalid_union': {
        // Report the branch that came closest, not every one: first a branch of the value's own kind (a
        // mapping with two bad keys is a mapping to fix, not "expected string, got mapping"), then the
        // fewest problems, then the one that got furthest into the value (`{ approveDrafts: 'yes' }`).
        const depth = (b: { path: readonly PropertyKey[] }[]) => Math.max(...b.map((i) => i.path.length));
        const otherKind = (b: { code: string; path: readonly PropertyKey[] }[]) =>
          b.length === 1 && b[0]!.code === 'invalid_type' && b[0]!.path.length === 0 ? 1 : 0;
        const branches = (issue.errors ?? [])
          .filter((b) => b.length > 0)
          .sort((a, b) => otherKind(a) - otherKind(b) || a.length - b.length || depth(b) - depth(a));
        if (branches[0]) {
          const nested = branches[0].map((i) => ({ ...i, path: [...issue.path, ...i.path] }));
          out.push(...zodIssues(source, data, schema, nested, file));
        } else out.push(make(path, issue.message));
        break;
      }
      default:
        out.push(make(path, issue.message.replace(/^Invalid input: /, '')));
    }
  }
  return out;
}
