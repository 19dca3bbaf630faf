// Bad input of every kind gets a clear error naming what and where, the documented exit code, and
// writes nothing.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { json, runCli } from '../support/cli.js';
import { testRoles } from '../support/roles.js';

const role = testRoles();
const done = { final: { summary: 'done' } };

describe('CLI errors', () => {
  it('an invalid role: exit 2, file:line key message, and no store is created', async () => {
    const r = role({ autonomy: 'full', turns: [done] });
    const text = readFileSync(r.file, 'utf8').replace('autonomy: full', 'autonomy: ful');
    writeFileSync(r.file, text);
    const line = text.split('\n').findIndex((l) => l.startsWith('autonomy:')) + 1;
    const res = await runCli(['run', r.file, '--json', '--data-dir', r.dataDir]);
    assert.equal(res.code, 2);
    assert.match(
      res.stderr,
      new RegExp(`role\\.yaml:${line} autonomy: expected one of observe\\|draft\\|sandbox\\|full, got 'ful'`),
    );
    assert.equal(res.stdout, '');
    assert.equal(existsSync(r.dataDir), false);
    const v = await runCli(['validate', r.file]);
    assert.equal(v.code, 2);
    assert.match(v.stderr, /autonomy: expected one of/);
  });

  it('validate of a missing file or a folder: exit 2, the file named once, as file: message', async () => {
    const r = role({ autonomy: 'full', turns: [done] });
    const missing = `${r.dataDir}-nope.yaml`;
    const v = await runCli(['validate', missing]);
    assert.equal(v.code, 2);
    assert.equal(v.stderr.trim(), `${missing}: no such file`);
    const j = json<{ issues: { message: string }[] }[]>(await runCli(['validate', missing, '--json']));
    assert.equal(j[0]!.issues[0]!.message, 'no such file');
  });

  it('--input that is not JSON: exit 2 and says which flag', async () => {
    const r = role({ autonomy: 'full', turns: [done] });
    const res = await runCli(['run', r.file, '--input', '{ticket: T-1}', '--data-dir', r.dataDir]);
    assert.equal(res.code, 2);
    assert.match(res.stderr, /--input is not valid JSON/);
    assert.equal(existsSync(r.dataDir), false);
  });

  it('an unknown flag or a missing argument: exit 2', async () => {
    assert.equal((await runCli(['run'])).code, 2);
    const res = await runCli(['runs', '--colour']);
    assert.equal(res.code, 2);
    assert.match(res.stderr, /unknown option '--colour'/);
    assert.equal((await runCli(['runs', '--status', 'exploded'])).code, 2);
  });

  it("commander's refusals carry the USAGE code as every other usage error does", async () => {
    const cases: [string[], string][] = [
      [['audit', 'bogus'], "too many arguments for 'audit'. Expected 0 arguments but got 1."],
      [['bogus'], "unknown command 'bogus'"],
      [['token', 'bogus'], "unknown command 'bogus'"],
      [['runs', '--colour'], "unknown option '--colour'"],
      [['versions'], "missing required argument 'role'"],
      [['runs', '--limit'], "option '--limit <n>' argument missing"],
    ];
    for (const [args, message] of cases) {
      const res = await runCli(args);
      assert.equal(res.code, 2, args.join(' '));
      assert.equal(res.stderr.split('\n')[0], `error [USAGE]: ${message}`, args.join(' '));
    }
    // Refusals worded by nightshift or commander alike start with the code (docs/errors.md).
    const more = [
      ['inbox', '--version'],
      ['run'],
      ['runs', '--status', 'exploded'],
      ['reject', 'apr_x'],
      ['runs', '--limit', '5', '--limit', '6'],
    ];
    for (const args of more) {
      const res = await runCli(args);
      assert.equal(res.code, 2, args.join(' '));
      assert.match(res.stderr, /^error \[USAGE\]: /, `${args.join(' ')}: ${res.stderr}`);
    }
  });

  it('a real provider with no API key fails at start, before any run is recorded', async () => {
    const r = role({ autonomy: 'full', turns: [done] });
    const res = await runCli(
      ['run', r.file, '--model', 'anthropic:claude-sonnet-4-5', '--data-dir', r.dataDir],
      { env: { ANTHROPIC_API_KEY: '' } },
    );
    assert.equal(res.code, 2);
    assert.match(res.stderr, /ANTHROPIC_API_KEY/);
    // Not even the store was made; `runs` says there is none (and makes none).
    const runs = await runCli(['runs', '--json', '--data-dir', r.dataDir]);
    assert.equal(runs.code, 2);
    assert.match(runs.stderr, /STORE_NOT_FOUND/);
    assert.equal(existsSync(r.dataDir), false);
  });

  it('unknown ids: exit 2 with a hint', async () => {
    const r = role({ autonomy: 'full', turns: [done] });
    // A store with a run in it: the ids asked for are not there.
    assert.equal((await runCli(['run', r.file, '--data-dir', r.dataDir])).code, 0);
    for (const args of [
      ['approve', 'apr_nope'],
      ['answer', 'esc_nope', 'hi'],
      ['show', 'run_nope'],
      ['resume', 'run_nope'],
    ]) {
      const res = await runCli([...args, '--data-dir', r.dataDir]);
      assert.equal(res.code, 2, `${args.join(' ')}: ${res.stderr}`);
      assert.match(res.stderr, /no (approval|escalation|run)/);
    }
  });

  it('an id of the wrong kind: exit 2, the not-found code, saying what the id is and what takes it', async () => {
    const r = role({ autonomy: 'full', turns: [done] });
    assert.equal((await runCli(['run', r.file, '--data-dir', r.dataDir])).code, 0);
    const cases: [string[], RegExp][] = [
      [
        ['show', 'apr_1'],
        /RUN_NOT_FOUND\]: no run apr_1: apr_1 is an approval's id, not a run's; use .* approve apr_1/,
      ],
      [['resume', 'esc_1'], /RUN_NOT_FOUND\]: no run esc_1: esc_1 is an escalation's id.* answer esc_1/],
      [['cancel', 'apr_1'], /RUN_NOT_FOUND\]: .*an approval's id/],
      [
        ['approve', 'esc_1'],
        /APPROVAL_NOT_FOUND\]: no approval esc_1: esc_1 is an escalation's id.* answer esc_1/,
      ],
      [['reject', 'run_1', '--reason', 'no'], /APPROVAL_NOT_FOUND\]: .*run_1 is a run's id.* show run_1/],
      [
        ['answer', 'apr_1', 'hi'],
        /ESCALATION_NOT_FOUND\]: no escalation apr_1: apr_1 is an approval's id.* approve apr_1/,
      ],
    ];
    for (const [args, why] of cases) {
      const res = await runCli([...args, '--data-dir', r.dataDir]);
      assert.equal(res.code, 2, `${args.join(' ')}: ${res.stderr}`);
      assert.match(res.stderr, why, args.join(' '));
    }
  });

  it('reject without a reason: exit 2, the approval stays pending', async () => {
    const r = role({
      autonomy: 'draft',
      turns: [{ call: 'fs.write', args: { path: 'a.txt', content: 'x' } }, done],
    });
    const paused = json<{ pending: string[] }>(
      await runCli(['run', r.file, '--json', '--data-dir', r.dataDir]),
    );
    const res = await runCli(['reject', paused.pending[0]!, '--data-dir', r.dataDir]);
    assert.equal(res.code, 2);
    assert.match(res.stderr, /--reason/);
    const inbox = json<{ approvals: unknown[] }>(await runCli(['inbox', '--json', '--data-dir', r.dataDir]));
    assert.equal(inbox.approvals.length, 1);
  });

  it('an idempotency key over 200 characters, or with a space or control character: exit 2, no store', async () => {
    const r = role({ autonomy: 'full', turns: [done] });
    for (const key of ['k'.repeat(6000), 'k'.repeat(201), 'a\nb', '']) {
      const res = await runCli(['run', r.file, '--json', '--idempotency-key', key, '--data-dir', r.dataDir]);
      assert.equal(res.code, 2, res.stderr);
      assert.match(
        res.stderr,
        /USAGE.*--idempotency-key .*1 to 200 visible ASCII characters.*nothing was recorded/,
      );
      assert.equal(res.stdout, '');
      assert.equal(existsSync(r.dataDir), false);
    }
    const longest = await runCli([
      'run',
      r.file,
      '--json',
      '--idempotency-key',
      'k'.repeat(200),
      '--data-dir',
      r.dataDir,
    ]);
    assert.equal(longest.code, 0, longest.stderr);
  });

  it('an idempotency key used again for another input or another role: exit 2, no second run', async () => {
    const r = role({ autonomy: 'full', turns: [done] });
    const other = role({ name: 'other-role', autonomy: 'full', turns: [done] });
    const run = (file: string, input: string) =>
      runCli(['run', file, '--json', '--input', input, '--idempotency-key', 'k-1', '--data-dir', r.dataDir]);
    const first = json<{ runId: string }>(await run(r.file, '{"ticket":"T-1"}'));
    // The same request again is a redelivery: the first run, nothing new.
    assert.equal(json<{ runId: string }>(await run(r.file, '{"ticket":"T-1"}')).runId, first.runId);
    const otherInput = await run(r.file, '{"ticket":"T-2"}');
    assert.equal(otherInput.code, 2, otherInput.stderr);
    assert.match(otherInput.stderr, /IDEMPOTENCY_KEY_REUSED.*'k-1' already started a run with another input/);
    const otherRole = await run(other.file, '{"ticket":"T-1"}');
    assert.equal(otherRole.code, 2, otherRole.stderr);
    assert.match(otherRole.stderr, /'k-1' already started a run of role test-role/);
    assert.equal(otherRole.stdout, '');
    const runs = json<{ runId: string }[]>(await runCli(['runs', '--json', '--data-dir', r.dataDir]));
    assert.deepEqual(
      runs.map((x) => x.runId),
      [first.runId],
    );
  });

  it('a one-value flag given twice: exit 2 naming it, nothing decided; repeatable flags still collect', async () => {
    const r = role({
      autonomy: 'draft',
      turns: [{ call: 'fs.write', args: { path: 'a.txt', content: 'x' } }, done],
    });
    const paused = json<{ pending: string[] }>(
      await runCli(['run', r.file, '--json', '--data-dir', r.dataDir]),
    );
    // Commander kept the last value: the first note was dropped without a word.
    const res = await runCli([
      'approve',
      paused.pending[0]!,
      '--note',
      'ok',
      '--note',
      'see ticket 7',
      '--data-dir',
      r.dataDir,
    ]);
    assert.equal(res.code, 2);
    assert.match(res.stderr, /option '--note <text>' given more than once/);
    const inbox = json<{ approvals: unknown[] }>(await runCli(['inbox', '--json', '--data-dir', r.dataDir]));
    assert.equal(inbox.approvals.length, 1, 'the approval is still pending');
    assert.equal(r.exists('a.txt'), false);
    const evidence = await runCli([
      'promote',
      'test-role',
      'nope',
      '--evidence',
      'a',
      '--evidence',
      'b',
      '--data-dir',
      r.dataDir,
    ]);
    assert.doesNotMatch(evidence.stderr, /more than once/);
  });

  it('serve or mcp given two files of one role name: exit 2 naming both, before anything is served', async () => {
    const a = role({ autonomy: 'full', turns: [done] });
    const b = role({ autonomy: 'draft', turns: [done] });
    for (const command of ['serve', 'mcp']) {
      const res = await runCli([
        command,
        a.file,
        b.file,
        '--data-dir',
        a.dataDir,
        ...(command === 'serve' ? ['--port', '0'] : []),
      ]);
      assert.equal(res.code, 2, `${command}: ${res.stderr}`);
      assert.match(res.stderr, /role\.yaml and .*role\.yaml are both role 'test-role'/);
      assert.equal(existsSync(a.dataDir), false, `${command} opened no store`);
    }
  });

  it('a run that fails exits 1 with the error in the JSON', async () => {
    const r = role({
      autonomy: 'full',
      output: { type: 'object', required: ['x'] },
      turns: [{ text: 'nope' }, { text: 'still nope' }],
    });
    const res = await runCli(['run', r.file, '--json', '--data-dir', r.dataDir]);
    assert.equal(res.code, 1);
    const out = json<{ status: string; error: { code: string } }>(res);
    assert.equal(out.status, 'failed');
    assert.equal(out.error.code, 'OUTPUT_INVALID');
  });

  it('cancel of an unknown run says where the runs are listed, as show and resume do', async () => {
    const r = role({ autonomy: 'full', turns: [done] });
    await runCli(['run', r.file, '--data-dir', r.dataDir]);
    const id = 'run_01m8ve1mtg19pd0a3dexvnryj8';
    for (const command of ['show', 'resume', 'cancel']) {
      const res = await runCli([command, id, '--data-dir', r.dataDir]);
      assert.equal(res.code, 2, command);
      assert.match(
        res.stderr,
        new RegExp(`error \\[RUN_NOT_FOUND\\]: no run ${id} \\(see (npx )?nightshift runs\\)`),
        command,
      );
    }
  });
});
