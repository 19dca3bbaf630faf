// YAML files validated by zod, with every problem reported at its line: "roles/refund.yaml:7 autonomy:
// expected one of observe|draft|sandbox|full, got 'ful'". Used for role files, model scripts and config.
// The messages come from zod-issues.ts; this file owns parsing and finding the line of a key path.
import {
  type Document,
  isAlias,
  isMap,
  isPair,
  isScalar,
  isSeq,
  LineCounter,
  type Node,
  type Pair,
  parseDocument,
  visit,
} from 'yaml';
import type { z } from 'zod';
import { formatIssue, type Issue, NightshiftError, RoleInvalidError } from '../errors.js';
import {
  type CappedText,
  MAX_CONFIG_FILE_BYTES,
  notUtf8Reason,
  readCappedText,
  tooLargeReason,
} from './capped-read.js';
import {
  formatPath,
  type IssueLocator,
  type PathSegment,
  type ZodIssueLike,
  zodIssues,
} from './zod-issues.js';

export type { PathSegment } from './zod-issues.js';

/**
 * The tags a value may carry: JSON's types. yaml also resolves YAML 1.1's `!!binary` (bytes), `!!set` (a
 * Set), `!!omap` (a Map), `!!pairs`, `!!timestamp` (a Date) and `!!merge`, none of which any field takes
 * and which zod would describe as "got a mapping"; a tag it does not know (`!foo`) it drops with a warning,
 * keeping the text. Each is refused for what it is, at its line and column.
 */
const JSON_TAGS = new Set(
  ['str', 'int', 'float', 'bool', 'null', 'map', 'seq'].map((t) => `tag:yaml.org,2002:${t}`),
);

/** A tag as it is written: `!!set` for YAML's own, the tag itself otherwise. */
function writtenTag(tag: string): string {
  return tag.startsWith('tag:yaml.org,2002:') ? `!!${tag.slice('tag:yaml.org,2002:'.length)}` : tag;
}

/** yaml's warnings that say the file will not load as written: a tag it cannot apply, a directive it ignores. */
const MEANING_WARNINGS = new Set<string>(['TAG_RESOLVE_FAILED', 'BAD_COLLECTION_TYPE', 'BAD_DIRECTIVE']);

/** The key path down to a pair, from visit's ancestors (a mapping's pairs by key, a list's items by index). */
function keyPathOf(ancestors: readonly unknown[]): PathSegment[] {
  const out: PathSegment[] = [];
  for (const [i, node] of ancestors.entries()) {
    if (isPair(node) && isScalar(node.key)) out.push(String(node.key.value));
    else if (isSeq(node)) {
      const index = node.items.indexOf(ancestors[i + 1] as never);
      if (index >= 0) out.push(index);
    }
  }
  return out;
}

/** A parsed YAML document that can tell the line of any key path. */
export class YamlSource implements IssueLocator {
  readonly doc: Document;
  private readonly lines: LineCounter;

  constructor(
    readonly text: string,
    readonly displayPath: string,
  ) {
    this.lines = new LineCounter();
    // logLevel 'error': yaml would otherwise print its own warnings (an unknown tag, a key that is a list)
    // on stderr, in its API's words, next to the problem this file reports for the same thing.
    this.doc = parseDocument(text, {
      lineCounter: this.lines,
      uniqueKeys: true,
      prettyErrors: false,
      logLevel: 'error',
    });
  }

  syntaxIssues(): Issue[] {
    const parse = this.parseIssues();
    if (parse.length > 0) return parse;
    const tags = [...this.yaml11(), ...this.unsupportedTags(), ...this.collectionKeys(), ...this.mergeKeys()];
    if (tags.length > 0) return byLine(tags);
    const warned = this.warnings();
    if (warned.length > 0) return warned;
    const converted = this.converted();
    if (!('error' in converted)) return [];
    // yaml refuses to expand aliases past its limit (a "billion laughs" file, a few lines that would
    // expand to millions of values): a problem of the file, reported at its first alias, not a crash.
    let line: number | undefined;
    visit(this.doc, {
      Alias: (_key, node) => {
        if (node.range) line = this.lineOfOffset(node.range[0]);
        return visit.BREAK;
      },
    });
    const message = /alias count/i.test(converted.error.message)
      ? 'YAML: its aliases (*name) expand to too many values; write the values out instead'
      : `YAML: ${converted.error.message}`;
    return [{ file: this.displayPath, ...(line ? { line } : {}), path: '', message }];
  }

  /**
   * What yaml only warns of (a tag it cannot apply, such as `!!map` on a list; a directive it does not
   * know): the file would load as something other than what it says, so it is refused at its line, in
   * yaml's words (its own printing of them is off: logLevel 'error').
   */
  private warnings(): Issue[] {
    // Only warnings about what the file means; a style warning (BAD_INDENT: a flow list's `]` at its key's
    // indent, a common way to write one) changes nothing and is not a problem.
    return this.doc.warnings
      .filter((w) => MEANING_WARNINGS.has(w.code))
      .map((w) => {
        const pos = w.linePos?.[0] ?? this.lines.linePos(w.pos[0]);
        return {
          file: this.displayPath,
          line: pos.line,
          column: pos.col,
          path: '',
          message: `YAML: ${w.message.replace(/ at line \d+, column \d+.*$/s, '')} (at ${pos.line}:${pos.col})`,
        };
      });
  }

  /** Values tagged with anything but JSON's types (JSON_TAGS): `!!binary`, `!!set`, `!!omap`, `!foo`. */
  private unsupportedTags(): Issue[] {
    const issues: Issue[] = [];
    const check = (node: Node) => {
      if (!node.tag || JSON_TAGS.has(node.tag)) return;
      const pos = node.range ? this.lines.linePos(node.range[0]) : undefined;
      const tag = writtenTag(node.tag);
      // A `!!set` is written as a mapping of keys without values and means a list of them (`tools:`): say
      // what it meant, as docs/roles.md does, not how it is written.
      const instead =
        tag === '!!set' ? 'a list' : isMap(node) ? 'a mapping' : isSeq(node) ? 'a list' : 'text';
      issues.push({
        file: this.displayPath,
        ...(pos ? { line: pos.line, column: pos.col } : {}),
        path: '',
        message: `YAML: the value${pos ? ` at ${pos.line}:${pos.col}` : ''} is tagged ${tag}, which is not supported (values are text, numbers, booleans, lists and mappings); remove the tag and write the value as ${instead}`,
      });
    };
    visit(this.doc, {
      Scalar: (_k, node) => check(node),
      Map: (_k, node) => check(node),
      Seq: (_k, node) => check(node),
    });
    return issues;
  }

  /**
   * Keys that are lists or mappings (`? [a, b]`, `[a]: x`): no field has one, and as plain data yaml turns
   * them into the text "[ a, b ]", which would be reported as an unknown key at the mapping's first line.
   */
  private collectionKeys(): Issue[] {
    const issues: Issue[] = [];
    visit(this.doc, {
      Pair: (_k, pair) => {
        const written = pair.key as Node | null;
        // `*k : 1` where `&k` names a list is a list key too, reported where the alias is written. The
        // anchors are collected once: yaml's Alias.resolve walks the whole document for each alias.
        const key = isAlias(written) ? this.anchored().get(written.source) : written;
        if (!isMap(key) && !isSeq(key)) return;
        const pos = written?.range ? this.lines.linePos(written.range[0]) : undefined;
        issues.push({
          file: this.displayPath,
          ...(pos ? { line: pos.line, column: pos.col } : {}),
          path: '',
          message: `YAML: the key${pos ? ` at ${pos.line}:${pos.col}` : ''} is ${isMap(key) ? 'a mapping' : 'a list'}; keys are text (a name)`,
        });
      },
    });
    return issues;
  }

  /**
   * `<<` keys, wherever they are. The schema refuses one among known keys, but inside free-form values (an
   * `input`/`output` JSON Schema, a script's `final:`) it was kept as a key named `<<`: a schema with a
   * property "<<" that then refused every input. A quoted `'<<'` is a key of that name, and kept.
   */
  private mergeKeys(): Issue[] {
    const issues: Issue[] = [];
    visit(this.doc, {
      Pair: (_k, pair, ancestors) => {
        const key = pair.key;
        if (!isScalar(key) || key.value !== '<<' || key.type !== 'PLAIN') return;
        const pos = key.range ? this.lines.linePos(key.range[0]) : undefined;
        issues.push({
          file: this.displayPath,
          ...(pos ? { line: pos.line, column: pos.col } : {}),
          path: formatPath([...keyPathOf(ancestors), '<<']),
          message:
            "YAML merge keys ('<<: *anchor') are not supported: write the keys out in this mapping (an alias '*anchor' for a whole value works)",
        });
      },
    });
    return issues;
  }

  /**
   * A `%YAML 1.1` directive: yaml then reads the file by YAML 1.1's rules, where `<<` merges mappings and
   * `yes`/`no`/`on` are booleans, so the file would load as other than nightshift's YAML 1.2 reads it.
   */
  private yaml11(): Issue[] {
    const { version, explicit } = this.doc.directives?.yaml ?? {};
    if (!explicit || version === '1.2') return [];
    const at = this.text.search(/^%YAML\b/m);
    const line = at >= 0 ? this.lines.linePos(at).line : undefined;
    return [
      {
        file: this.displayPath,
        ...(line ? { line } : {}),
        path: '',
        message: `YAML: %YAML ${version} is not supported: nightshift reads YAML 1.2 (where '<<' merges nothing and yes/no are text); remove the directive`,
      },
    ];
  }

  private anchors: Map<string, Node> | undefined;

  /** The document's anchored nodes by name (a name anchored twice: its last node). */
  private anchored(): Map<string, Node> {
    if (!this.anchors) {
      const anchors = new Map<string, Node>();
      const note = (node: Node) => {
        if (node.anchor) anchors.set(node.anchor, node);
      };
      visit(this.doc, { Scalar: (_k, n) => note(n), Map: (_k, n) => note(n), Seq: (_k, n) => note(n) });
      this.anchors = anchors;
    }
    return this.anchors;
  }

  private conversion: { value: unknown } | { error: Error } | undefined;

  /** The document as plain data, once: converting it is where aliases are expanded (and may be refused). */
  private converted(): { value: unknown } | { error: Error } {
    if (!this.conversion) {
      try {
        this.conversion = { value: this.doc.toJS() };
      } catch (err) {
        this.conversion = { error: err as Error };
      }
    }
    return this.conversion;
  }

  private parseIssues(): Issue[] {
    return this.doc.errors.map((e) => {
      const pos = e.linePos?.[0] ?? (e.pos ? this.lines.linePos(e.pos[0]) : undefined);
      const where = pos ? { line: pos.line, column: pos.col } : {};
      if (e.code === 'DUPLICATE_KEY') {
        const path = this.pathOfKeyAt(e.pos[0]);
        if (path) {
          const first = this.lineOf(path);
          const earlier = first !== undefined && first !== pos?.line ? ` (already set at line ${first})` : '';
          return {
            file: this.displayPath,
            ...where,
            path: formatPath(path),
            message: `duplicate key${earlier}`,
          };
        }
      }
      // yaml's own advice here is for its API's callers ("please use YAML.parseAllDocuments()").
      if (e.code === 'MULTIPLE_DOCS')
        return {
          file: this.displayPath,
          ...where,
          path: '',
          message:
            'YAML: a second document starts here (after `---`); the file must hold one: remove it or split the file',
        };
      const message = e.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
      // yaml's parser recurses per level: ~900 levels of [ or { overflow its stack. Said as what it is.
      if (/^Maximum call stack size exceeded/.test(message))
        return {
          file: this.displayPath,
          ...where,
          path: '',
          message: `YAML: the value${pos ? ` at ${pos.line}:${pos.col}` : ''} is nested too deeply to read (hundreds of levels of lists or mappings); write it flatter`,
        };
      return { file: this.displayPath, ...where, path: '', message: `YAML: ${message}` };
    });
  }

  /** The document as plain data; undefined when it cannot be converted (syntaxIssues says why). */
  data(): unknown {
    const converted = this.converted();
    return 'value' in converted ? converted.value : undefined;
  }

  private lineOfOffset(offset: number): number {
    return this.lines.linePos(offset).line;
  }

  /** The key path of the map key that starts at `offset` (for duplicate-key errors). */
  private pathOfKeyAt(offset: number): PathSegment[] | undefined {
    let found: PathSegment[] | undefined;
    visit(this.doc, {
      Pair: (_key, pair, ancestors) => {
        const range = (pair.key as Node | null)?.range;
        if (range?.[0] !== offset) return undefined;
        found = keyPath([...ancestors, pair]);
        return visit.BREAK;
      },
    });
    return found;
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
      // The first pair with this key: after a duplicate key, that is where the reader looks first.
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

/** The key path of the last node of a chain of ancestors (as yaml's `visit` reports them). */
function keyPath(chain: readonly unknown[]): PathSegment[] {
  const out: PathSegment[] = [];
  for (const [i, node] of chain.entries()) {
    if (isPair(node)) {
      const key = (node as Pair).key;
      out.push(String(isScalar(key) ? key.value : key));
    } else if (isSeq(node)) {
      const index = node.items.indexOf(chain[i + 1] as never);
      if (index >= 0) out.push(index);
    }
  }
  return out;
}

/** Issues in file order (stable for issues on one line), as a reader goes through the file. */
export function byLine(issues: Issue[]): Issue[] {
  return issues
    .map((issue, i) => ({ issue, i }))
    .sort((a, b) => (a.issue.line ?? 0) - (b.issue.line ?? 0) || a.i - b.i)
    .map((x) => x.issue);
}

export type Parsed<T> =
  | { ok: true; value: T; source: YamlSource }
  | { ok: false; issues: Issue[]; source?: YamlSource };

/** Parses and validates; never throws for bad content (returns every issue, in file order). */
export function parseYamlText<T>(text: string, displayPath: string, schema: z.ZodType<T>): Parsed<T> {
  const source = new YamlSource(text, displayPath);
  const syntax = source.syntaxIssues();
  if (syntax.length > 0) return { ok: false, issues: byLine(syntax), source };
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
    issues: byLine(zodIssues(source, data, schema, parsed.error.issues as unknown as ZodIssueLike[])),
    source,
  };
}

/**
 * The text of a YAML file the user wrote, refused (before it is read) when it is larger than
 * MAX_CONFIG_FILE_BYTES. `kind` says which code the caller's users expect: a role file that does not exist
 * is ROLE_NOT_FOUND, one too large ROLE_INVALID; any other file CONFIG_INVALID.
 */
export function readYamlText(file: string, displayPath: string, kind: 'role' | 'other' = 'other'): string {
  let read: CappedText;
  try {
    read = readCappedText(file);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const why = e.code === 'ENOENT' ? 'no such file' : e.code === 'EISDIR' ? 'is a directory' : e.message;
    throw new NightshiftError(
      kind === 'role' ? 'ROLE_NOT_FOUND' : 'CONFIG_INVALID',
      `${displayPath}: ${why}`,
      {
        cause: err,
      },
    );
  }
  if (read.ok && read.notUtf8) {
    // Read as UTF-8 anyway, each bad byte would become U+FFFD: instructions, names and patterns changed
    // without a word (and a UTF-16 file read as "expected a YAML mapping"). Refused at its line instead.
    const { line, column } = read.notUtf8;
    const issue = { file: displayPath, line, column, path: '', message: notUtf8Reason(read.notUtf8) };
    if (kind === 'role') throw new RoleInvalidError([issue], displayPath);
    throw new NightshiftError('CONFIG_INVALID', `invalid ${displayPath}:\n  ${formatIssue(issue)}`, {
      details: { issues: [issue] },
    });
  }
  if (read.ok) return read.text;
  throw new NightshiftError(
    kind === 'role' ? 'ROLE_INVALID' : 'CONFIG_INVALID',
    `${displayPath} ${tooLargeReason(read.size)}`,
    { details: { file: displayPath, size: read.size ?? null, maxBytes: MAX_CONFIG_FILE_BYTES } },
  );
}

/**
 * Reads and validates a YAML file. Throws CONFIG_INVALID whose `details.issues` holds every issue
 * (`file` is `displayPath`, the path as the user typed it).
 *
 * @example
 * const config = parseYamlFile(abs, 'nightshift.config.yaml', ProjectConfigSpec);
 */
export function parseYamlFile<T>(file: string, displayPath: string, schema: z.ZodType<T>): T {
  const result = parseYamlText(readYamlText(file, displayPath), displayPath, schema);
  if (result.ok) return result.value;
  throw new NightshiftError(
    'CONFIG_INVALID',
    `invalid ${displayPath}:\n${result.issues.map((i) => `  ${formatIssue(i)}`).join('\n')}`,
    { details: { issues: result.issues } },
  );
}
