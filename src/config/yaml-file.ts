// YAML files validated by zod, with every problem reported at its line: "roles/refund.yaml:7 autonomy:
// expected one of observe|draft|sandbox|full, got 'ful'". Used for role files, model scripts and config.
import { readFileSync } from 'node:fs';
import { type Document, isMap, isScalar, isSeq, LineCounter, parseDocument } from 'yaml';
import type { z } from 'zod';
import { formatIssue, type Issue, NightshiftError } from '../errors.js';

export type PathSegment = string | number;

/** A parsed YAML document that can tell the line of any key path. */
export class YamlSource {
  readonly doc: Document;
  private readonly lines: LineCounter;

  constructor(
    readonly text: string,
    readonly displayPath: string,
  ) {
    this.lines = new LineCounter();
    this.doc = parseDocument(text, { lineCounter: this.lines, uniqueKeys: true, prettyErrors: false });
  }

  syntaxIssues(): Issue[] {
    return this.doc.errors.map((e) => {
      const pos = e.linePos?.[0] ?? (e.pos ? this.lines.linePos(e.pos[0]) : undefined);
      const message = e.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
      return {
        file: this.displayPath,
        ...(pos ? { line: pos.line, column: pos.col } : {}),
        path: '',
        message: `YAML: ${message}`,
      };
    });
  }

  data(): unknown {
    return this.doc.toJS();
  }

  private lineOfOffset(offset: number): number {
    return this.lines.linePos(offset).line;
  }

  /** Line of the key at `path` (or of the item, for a list index); falls back to the nearest parent. */
  lineOf(path: readonly PathSegment[]): number | undefined {
    for (let n = path.length; n >= 0; n--) {
      const line = this.exactLine(path.slice(0, n));
      if (line !== undefined) return line;
    }
    return undefined;
  }

  private exactLine(path: readonly PathSegment[]): number | undefined {
    const contents = this.doc.contents;
    if (path.length === 0) return contents?.range ? this.lineOfOffset(contents.range[0]) : 1;
    const parent = path.length === 1 ? contents : this.doc.getIn(path.slice(0, -1) as PathSegment[], true);
    const last = path[path.length - 1];
    if (isMap(parent)) {
      const pair = parent.items.find((p) => (isScalar(p.key) ? p.key.value : p.key) === last);
      const key = pair?.key as { range?: [number, number, number] } | undefined;
      if (key?.range) return this.lineOfOffset(key.range[0]);
    }
    if (isSeq(parent) && typeof last === 'number') {
      const item = parent.items[last] as { range?: [number, number, number] } | undefined;
      if (item?.range) return this.lineOfOffset(item.range[0]);
    }
    return undefined;
  }

  issue(path: readonly PathSegment[], message: string): Issue {
    const line = this.lineOf(path);
    return { file: this.displayPath, ...(line ? { line } : {}), path: formatPath(path), message };
  }
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

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  if (typeof v === 'string') return `'${v}'`;
  return String(v);
}

function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'list';
  if (typeof v === 'object') return 'mapping';
  return typeof v;
}

/** Keys a zod schema accepts at a path (best effort, for "did you mean" hints). */
function knownKeys(schema: z.ZodType, path: readonly PathSegment[]): string[] {
  // biome-ignore lint/suspicious/noExplicitAny: walking zod's internal definition tree.
  let cur: any = schema;
  const unwrap = () => {
    for (let i = 0; i < 10 && cur; i++) {
      const def = cur._zod?.def;
      if (!def) return;
      if (
        def.type === 'optional' ||
        def.type === 'default' ||
        def.type === 'nullable' ||
        def.type === 'prefault'
      )
        cur = def.innerType;
      else if (def.type === 'lazy') cur = def.getter();
      else if (def.type === 'pipe') cur = def.in;
      else return;
    }
  };
  unwrap();
  for (const seg of path) {
    const def = cur?._zod?.def;
    if (!def) return [];
    if (def.type === 'object') cur = def.shape[seg as string];
    else if (def.type === 'array') cur = def.element;
    else if (def.type === 'record') cur = def.valueType;
    else return [];
    unwrap();
  }
  const def = cur?._zod?.def;
  return def?.type === 'object' ? Object.keys(def.shape) : [];
}

function editDistance(a: string, b: string): number {
  const dp = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array(b.length).fill(0)] as number[]);
  for (let j = 1; j <= b.length; j++) dp[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      dp[i]![j] = Math.min(
        dp[i - 1]![j]! + 1,
        dp[i]![j - 1]! + 1,
        dp[i - 1]![j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    }
  }
  return dp[a.length]![b.length]!;
}

function suggestion(key: string, known: string[]): string {
  let best: string | undefined;
  let bestD = Number.POSITIVE_INFINITY;
  for (const k of known) {
    const d = editDistance(key.toLowerCase(), k.toLowerCase());
    if (d < bestD) {
      bestD = d;
      best = k;
    }
  }
  return best !== undefined && bestD <= Math.max(2, Math.floor(key.length / 3))
    ? ` (did you mean '${best}'?)`
    : '';
}

interface ZodIssueLike {
  code: string;
  path: PropertyKey[];
  message: string;
  values?: unknown[];
  keys?: string[];
  expected?: string;
  errors?: ZodIssueLike[][];
}

/** Turns zod's issues into human ones with lines. */
export function zodIssues(
  source: YamlSource | undefined,
  data: unknown,
  schema: z.ZodType,
  issues: ZodIssueLike[],
  file?: string,
): Issue[] {
  const out: Issue[] = [];
  const make = (path: PathSegment[], message: string): Issue =>
    source ? source.issue(path, message) : { ...(file ? { file } : {}), path: formatPath(path), message };
  for (const issue of issues) {
    const path = issue.path.filter((p): p is PathSegment => typeof p === 'string' || typeof p === 'number');
    const value = readAt(data, path);
    switch (issue.code) {
      case 'invalid_value':
        if (issue.values && issue.values.length > 1) {
          out.push(
            make(path, `expected one of ${issue.values.map(String).join('|')}, got ${describe(value)}`),
          );
        } else if (issue.values?.length === 1) {
          out.push(make(path, `expected ${JSON.stringify(issue.values[0])}, got ${describe(value)}`));
        } else out.push(make(path, issue.message));
        break;
      case 'invalid_type':
        out.push(
          make(path, value === undefined ? 'required' : `expected ${issue.expected}, got ${typeName(value)}`),
        );
        break;
      case 'unrecognized_keys': {
        const known = knownKeys(schema, path);
        for (const key of issue.keys ?? [])
          out.push(make([...path, key], `unknown key '${key}'${suggestion(key, known)}`));
        break;
      }
      case 'invalid_union': {
        // Report the branch that came closest (fewest problems), instead of every alternative.
        const branches = (issue.errors ?? []).filter((b) => b.length > 0).sort((a, b) => a.length - b.length);
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

export type Parsed<T> =
  | { ok: true; value: T; source: YamlSource }
  | { ok: false; issues: Issue[]; source?: YamlSource };

/** Reads, parses and validates; never throws for bad content (returns every issue). */
export function parseYamlText<T>(text: string, displayPath: string, schema: z.ZodType<T>): Parsed<T> {
  const source = new YamlSource(text, displayPath);
  const syntax = source.syntaxIssues();
  if (syntax.length > 0) return { ok: false, issues: syntax, source };
  const data = source.data();
  if (data === null || data === undefined || typeof data !== 'object' || Array.isArray(data)) {
    return {
      ok: false,
      issues: [
        { file: displayPath, line: 1, path: '', message: 'expected a YAML mapping (key: value lines)' },
      ],
      source,
    };
  }
  const parsed = schema.safeParse(data);
  if (parsed.success) return { ok: true, value: parsed.data, source };
  return {
    ok: false,
    issues: zodIssues(source, data, schema, parsed.error.issues as unknown as ZodIssueLike[]),
    source,
  };
}

export function readYamlText(
  file: string,
  displayPath: string,
  code: 'ROLE_NOT_FOUND' | 'CONFIG_INVALID' = 'CONFIG_INVALID',
): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const why = e.code === 'ENOENT' ? 'no such file' : e.code === 'EISDIR' ? 'is a directory' : e.message;
    throw new NightshiftError(code, `${displayPath}: ${why}`, { cause: err });
  }
}

/** Reads and validates a YAML file, throwing CONFIG_INVALID with every issue. */
export function parseYamlFile<T>(file: string, displayPath: string, schema: z.ZodType<T>): T {
  const result = parseYamlText(readYamlText(file, displayPath), displayPath, schema);
  if (result.ok) return result.value;
  throw new NightshiftError(
    'CONFIG_INVALID',
    `invalid ${displayPath}:\n${result.issues.map((i) => `  ${formatIssue(i)}`).join('\n')}`,
    {
      details: { issues: result.issues },
    },
  );
}
