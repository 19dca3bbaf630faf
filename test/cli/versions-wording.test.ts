// What `versions`, `promote`, `eval` and `validate` say, run as a child process against a temp store:
// a first promotion says there was no active version (not the version it was judged against, which
// never was); `versions` lists newest first in its text and its --json alike; an open range reads
// `≥ 0`, not `from 0 to Infinity`; and `validate --json` keeps its warnings in the JSON.
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parse, stringify } from 'yaml';
import { json, runCli } from '../support/cli.js';
import { writeTestRole } from '../support/roles.js';

const role = () =>
  writeTestRole({
    name: 'word-bot',
    autonomy: 'full',
    tools: [],
    ledgerTools: false,
    turns: [{ final: {} }],
  });

/** Rewrites the role's instructions (a change that widens nothing) and registers that version. */
async function register(file: string, data: string[], instructions: string): Promise<void> {
  writeFileSync(file, stringify({ ...parse(readFileSync(file, 'utf8')), instructions }));
  const out = await runCli(['versions', file, '--json', ...data]);
  assert.equal(out.code, 0, out.stderr);
}

describe('versions and promote: what they say', () => {
  it('versions lists newest first in its text and its --json alike', async () => {
    const r = role();
    try {
      const data = ['--data-dir', r.dataDir];
      await register(r.file, data, 'first');
      await register(r.file, data, 'second');
      const listed = json<{ versions: { version: string; createdAt: number }[] }>(
        await runCli(['versions', 'word-bot', '--json', ...data]),
      ).versions;
      assert.equal(listed.length, 2);
      const text = (await runCli(['versions', 'word-bot', ...data])).stdout;
      const rows = text.split('\n').filter((l) => /^ {2}[0-9a-f]{8}/.test(l));
      // Newest first in both: the text's rows and the JSON's versions in the same order.
      assert.deepEqual(
        rows.map((l) => l.trim().split(' ')[0]),
        listed.map((v) => v.version),
      );
      assert.ok(listed[0]!.createdAt >= listed[1]!.createdAt, 'newest first');
    } finally {
      r.cleanup();
    }
  });

  it('versions and autonomy of a role the store has never seen: exit 2 naming the role, alike', async () => {
    const r = role();
    try {
      const data = ['--data-dir', r.dataDir];
      await register(r.file, data, 'first');
      // `versions` printed "no stored versions of word-bto" and exited 0 where `autonomy` exited 2.
      for (const command of ['versions', 'autonomy']) {
        const out = await runCli([command, 'word-bto', ...data]);
        assert.equal(out.code, 2, `${command}: ${out.stdout}${out.stderr}`);
        assert.match(
          out.stderr,
          /error \[VERSION_NOT_FOUND\]: no stored version of role 'word-bto' in this store/,
          command,
        );
        assert.equal(out.stdout, '', command);
      }
      assert.equal((await runCli(['versions', 'word-bot', ...data])).code, 0);
    } finally {
      r.cleanup();
    }
  });

  it('a role name beside a folder of that name is the role, not the folder (versions, autonomy)', async () => {
    const r = role();
    try {
      const data = ['--data-dir', r.dataDir];
      await register(r.file, data, 'first');
      // A project folder named after its role: `versions word-bot` was "ROLE_NOT_FOUND: word-bot: is a directory".
      mkdirSync(join(r.dir, 'word-bot'));
      for (const command of ['versions', 'autonomy']) {
        const out = await runCli([command, 'word-bot', ...data], { cwd: r.dir });
        assert.equal(out.code, 0, `${command}: ${out.stdout}${out.stderr}`);
      }
    } finally {
      r.cleanup();
    }
  });

  it('a promotion with nothing active says so, not "was" the version it was judged against', async () => {
    const r = role();
    try {
      const data = ['--data-dir', r.dataDir];
      await register(r.file, data, 'first');
      await register(r.file, data, 'second');
      const listed = json<{ versions: { version: string; createdAt: number }[] }>(
        await runCli(['versions', 'word-bot', '--json', ...data]),
      ).versions;
      // Whatever order the JSON lists them in: by when each was first seen.
      const [first, second] = [...listed].sort((a, b) => a.createdAt - b.createdAt).map((v) => v.version) as [
        string,
        string,
      ];

      // Nothing active: `second` is judged against `first` (it widens nothing) and takes effect at once.
      const promoted = await runCli(['promote', 'word-bot', second, '--as', 'alice', ...data]);
      assert.equal(promoted.code, 0, promoted.stdout + promoted.stderr);
      assert.match(
        promoted.stdout,
        new RegExp(
          `active version is now ${second} \\(before: no active version, the role file ran; judged against ${first}\\)`,
        ),
      );
      assert.doesNotMatch(promoted.stdout, /\(was /);

      // With one active, it names that one.
      const again = await runCli(['promote', 'word-bot', first, '--as', 'alice', ...data]);
      assert.equal(again.code, 0, again.stdout + again.stderr);
      assert.match(again.stdout, new RegExp(`active version is now ${first} \\(was ${second}\\)`));
    } finally {
      r.cleanup();
    }
  });

  it('eval --max-cost refuses a negative number as "≥ 0", never "from 0 to Infinity"', async () => {
    const r = role();
    try {
      const out = await runCli(['eval', r.file, '--max-cost', '-1', '--data-dir', r.dataDir]);
      assert.equal(out.code, 2, out.stdout + out.stderr);
      assert.match(out.stderr, /--max-cost must be a number ≥ 0, got '-1'/);
      assert.doesNotMatch(out.stderr, /Infinity/);
      const threshold = await runCli(['eval', r.file, '--threshold', '2', '--data-dir', r.dataDir]);
      assert.equal(threshold.code, 2, threshold.stdout + threshold.stderr);
      assert.match(threshold.stderr, /--threshold must be a number from 0 to 1, got '2'/);
    } finally {
      r.cleanup();
    }
  });

  it('validate --json puts warnings in the JSON only; without --json they go to stderr', async () => {
    const r = writeTestRole({
      name: 'warn-bot',
      autonomy: 'full',
      tools: [],
      ledgerTools: false,
      turns: [{ final: {} }],
      // A model whose key this environment lacks is a warning, not a problem.
      extra: { model: 'anthropic:claude-sonnet-4-5' },
    });
    try {
      const env = { ANTHROPIC_API_KEY: '' };
      const plain = await runCli(['validate', r.file], { env });
      assert.equal(plain.code, 0, plain.stdout + plain.stderr);
      assert.match(plain.stderr, /warning: /);
      const out = await runCli(['validate', r.file, '--json'], { env });
      assert.equal(out.code, 0, out.stdout + out.stderr);
      const [result] = json<{ file: string; warnings: string[] }[]>(out);
      assert.ok(
        result!.warnings.some((w) => w.startsWith('warning: ')),
        out.stdout,
      );
      assert.equal(out.stderr, '');
    } finally {
      r.cleanup();
    }
  });
});
