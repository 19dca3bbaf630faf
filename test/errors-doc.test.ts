// docs/errors.md is the contract for error codes: every code the source raises is listed there, every code
// listed is raised somewhere (or says it is reserved), each section's exit code is the one the CLI gives,
// and the HTTP column is the status the API answers with. Read from the files, so a new code without its
// row (or a row left after its code went) fails here.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { exitCodeForError } from '../src/cli/exit-codes.js';
import type { ErrorCode } from '../src/errors.js';
import { NightshiftError } from '../src/errors.js';
import { apiErrorAnswer } from '../src/server/api/errors.js';

// dist/test/errors-doc.test.js → the repository root.
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const read = (file: string): string => readFileSync(path.join(root, file), 'utf8');

function sourceFiles(dir: string): string[] {
  return readdirSync(path.join(root, dir), { withFileTypes: true }).flatMap((e) => {
    const rel = path.join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(rel);
    return e.name.endsWith('.ts') ? [rel] : [];
  });
}

/** The codes of the ErrorCode union, in src/errors.ts. */
function unionCodes(): string[] {
  return [...read('src/errors.ts').matchAll(/^\s*\| '([A-Z_]+)'/gm)].map((m) => m[1]!);
}

interface Row {
  codes: string[];
  text: string;
  http: string;
  exit: number;
}

/** The rows of docs/errors.md's tables: the codes of the first column, the section's exit code, the HTTP column. */
function docRows(): Row[] {
  const rows: Row[] = [];
  let exit = -1;
  for (const line of read('docs/errors.md').split('\n')) {
    const section = /^## .*\(exit (\d)\)/.exec(line);
    if (section) exit = Number(section[1]);
    if (!line.startsWith('| `')) continue;
    const cells = line.split(' | ');
    const codes = [...cells[0]!.matchAll(/`([A-Z_]+)`/g)].map((m) => m[1]!);
    rows.push({
      codes,
      text: cells.slice(1, -1).join(' | '),
      http: cells.at(-1)!.replace(/\|/g, '').trim(),
      exit,
    });
  }
  return rows;
}

// Lines that raise or record a code: `new NightshiftError('X'`, `code: 'X'`, a helper's first argument.
// Comparisons (`code === 'X'`) and the lookup tables that map codes to statuses or exit codes are not raises.
const LOOKUP_TABLES = new Set(['src/errors.ts', 'src/cli/exit-codes.ts', 'src/server/api/errors.ts']);
function raisedIn(code: string): string[] {
  const quoted = `'${code}'`;
  return sourceFiles('src').filter((file) => {
    if (LOOKUP_TABLES.has(file)) return false;
    return read(file)
      .split('\n')
      .some((line) => line.includes(quoted) && !new RegExp(`[!=]==\\s*${quoted}`).test(line));
  });
}

describe('docs/errors.md and the source', () => {
  const rows = docRows();
  const documented = new Set(rows.flatMap((r) => r.codes));

  it('lists every code of the ErrorCode union', () => {
    const missing = unionCodes().filter((c) => !documented.has(c));
    assert.deepEqual(missing, [], 'codes in src/errors.ts without a row in docs/errors.md');
  });

  it('lists every code a run, a tool result or an HTTP answer records as an object literal', () => {
    const recorded = new Set<string>();
    for (const file of sourceFiles('src'))
      for (const m of read(file).matchAll(/\bcode: '([A-Z][A-Z_]+)'/g)) recorded.add(m[1]!);
    // errno-style codes of Node and SQLite are compared, not raised; the API's own HTTP-level codes are in
    // docs/api.md (src/server/api/errors.ts's HttpErrorCode).
    const foreign = /^(E[A-Z]+|SQLITE_[A-Z]+|ERR_[A-Z_]+|DUPLICATE_KEY|MULTIPLE_DOCS)$/;
    const http = new Set(
      [...read('src/server/api/errors.ts').matchAll(/^\s*\| '([A-Z_]+)'/gm)].map((m) => m[1]!),
    );
    const missing = [...recorded].filter((c) => !foreign.test(c) && !http.has(c) && !documented.has(c));
    assert.deepEqual(missing, [], 'codes recorded in src/ without a row in docs/errors.md');
  });

  it('lists no code that nothing raises, except the one it says is reserved', () => {
    const unraised = [...documented].filter((c) => raisedIn(c).length === 0);
    assert.deepEqual(unraised, ['POLICY_DENIED']);
    const row = rows.find((r) => r.codes.includes('POLICY_DENIED'))!;
    assert.match(row.text, /reserved/);
  });

  it('gives each code the exit code of its section, as the CLI maps it', () => {
    const union = new Set(unionCodes());
    const wrong = rows
      .flatMap((r) => r.codes.filter((c) => union.has(c)).map((c) => ({ code: c, doc: r.exit })))
      .map((x) => ({ ...x, cli: exitCodeForError(x.code as ErrorCode) }))
      .filter((x) => x.doc !== x.cli);
    assert.deepEqual(wrong, []);
  });

  it('gives each code the HTTP status the API answers it with', () => {
    const union = new Set(unionCodes());
    const wrong = rows.flatMap((r) =>
      r.codes
        .filter((c) => union.has(c))
        .map((c) => {
          const answer = apiErrorAnswer(new NightshiftError(c as ErrorCode, 'x'));
          return { code: c, doc: r.http, api: answer ? String(answer.status) : '' };
        })
        // A code the API does not map is a 500 there; the page names a status only where it has its own
        // (an HTTP answer that is not a thrown error, STORE_BUSY / STORE_UNAVAILABLE / DISK_FULL, is answered
        // by the doors themselves).
        .filter((x) => x.api !== '' && x.doc !== x.api),
    );
    assert.deepEqual(wrong, []);
    const unmapped = rows.flatMap((r) =>
      r.codes.filter(
        (c) => union.has(c) && r.http === '' && apiErrorAnswer(new NightshiftError(c as ErrorCode, 'x')),
      ),
    );
    assert.deepEqual(
      unmapped,
      [],
      'codes the API answers with a status of their own, without it on the page',
    );
  });
});
