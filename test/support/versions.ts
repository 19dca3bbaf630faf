// Role versions as the versions tests make them: the role file rewritten with some keys changed, then
// registered through the CLI (`nightshift versions`), and promotions or rollbacks decided through it,
// granted by a person when they wait for one.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { parse, stringify } from 'yaml';
import { json, runCli } from './cli.js';

export interface VersionWriter {
  /** Rewrites the role file with `changes` over its keys and registers it; returns the one new version. */
  next(changes: Record<string, unknown>): Promise<string>;
  /** Versions registered so far (the file's first one included once `known()` or `next` was called). */
  readonly seen: Set<string>;
  /** Registers the file as it is now, and remembers every version the store lists. */
  known(): Promise<void>;
}

async function listed(file: string, data: string[]): Promise<string[]> {
  const out = await runCli(['versions', file, '--json', ...data]);
  assert.equal(out.code, 0, out.stderr);
  return json<{ versions: { version: string }[] }>(out).versions.map((v) => v.version);
}

export function versionWriter(file: string, data: string[]): VersionWriter {
  const seen = new Set<string>();
  return {
    seen,
    async known() {
      for (const v of await listed(file, data)) seen.add(v);
    },
    async next(changes) {
      const spec = parse(readFileSync(file, 'utf8'));
      writeFileSync(file, stringify({ ...spec, ...changes }));
      const fresh = (await listed(file, data)).filter((v) => !seen.has(v));
      assert.equal(fresh.length, 1, 'one new version');
      seen.add(fresh[0]!);
      return fresh[0]!;
    },
  };
}

/**
 * `nightshift promote|rollback ... --as alice --json`; a promotion that waits for a person is granted by
 * alice. Returns the outcome the command gave (`promoted` or `pending`).
 */
export async function decidePromotion(args: string[], data: string[]): Promise<string> {
  const out = await runCli([...args, '--as', 'alice', '--json', ...data]);
  const result = json<{ promotion: { id: string }; outcome: string }>(out);
  if (result.outcome === 'pending') {
    const granted = await runCli(['approve', result.promotion.id, '--as', 'alice', ...data]);
    assert.equal(granted.code, 0, granted.stderr);
  } else assert.equal(result.outcome, 'promoted', out.stderr);
  return result.outcome;
}
