// A secret's value that the model puts into a call's arguments, or that arrives in the run's input, is
// stored and shown only as `[secret NAME]` — in steps, the ledger, approvals, the run's input and output —
// while the call still runs with the real value, exactly as drafted and approved (in another process,
// from the redacted store), and a changed call or a rotated secret is refused before anything runs.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { loadRoleFile } from '../../src/roles/load.js';
import { createRuntime } from '../../src/runtime.js';
import { json, runCli } from '../support/cli.js';
import { type TestRole, writeTestRole } from '../support/roles.js';
import { waitFor } from '../support/wait.js';

const VALUE = 'tok-LIVE-9f3a2c71';
const PLACEHOLDER = '[secret API_TOKEN]';

const made: TestRole[] = [];
after(() => {
  for (const r of made) r.cleanup();
});

/** A role whose secrets file holds API_TOKEN, and whose model writes its value into a file. */
function secretRole(o: { autonomy: 'draft' | 'full'; escalation?: unknown[] }): TestRole {
  const r = writeTestRole({
    name: 'secret-desk',
    autonomy: o.autonomy,
    tools: ['fs.write', 'fs.read'],
    ledgerTools: false,
    turns: [
      { call: 'fs.write', args: { path: 'out.txt', content: `token=${VALUE}` } },
      { final: { summary: `wrote ${VALUE} to out.txt` } },
    ],
    ...(o.escalation ? { escalation: o.escalation } : {}),
    extra: { secrets: ['API_TOKEN'], secretsFile: './secrets.env' },
  });
  writeFileSync(join(r.dir, 'secrets.env'), `API_TOKEN=${VALUE}\n`);
  made.push(r);
  return r;
}

const cli = (r: TestRole, ...args: string[]) => runCli([...args, '--data-dir', r.dataDir]);
const input = JSON.stringify({ note: `please use ${VALUE}` });

/** Every byte the store wrote (the database, its WAL and shared memory). */
function storeBytes(r: TestRole): Buffer {
  return Buffer.concat(readdirSync(r.dataDir).map((f) => readFileSync(join(r.dataDir, f))));
}

function tamper(r: TestRole, runId: string, args: unknown): void {
  const db = new Database(join(r.dataDir, 'nightshift.db'));
  try {
    const changed = db
      .prepare('UPDATE tool_calls SET args = ? WHERE run_id = ?')
      .run(JSON.stringify(args), runId).changes;
    assert.equal(changed, 1);
  } finally {
    db.close();
  }
}

describe('secret values in arguments and input', () => {
  it('are stored and shown redacted; the approved call still writes the real value', async () => {
    const r = secretRole({ autonomy: 'draft' });
    const paused = await cli(r, 'run', r.file, '--input', input, '--json');
    assert.equal(paused.code, 3, paused.stderr);
    const { runId, pending } = json<{ runId: string; pending: string[] }>(paused);
    const inbox = await cli(r, 'inbox');
    const inboxJson = await cli(r, 'inbox', '--json');
    for (const out of [paused, inbox, inboxJson]) {
      assert.ok(!out.stdout.includes(VALUE) && !out.stderr.includes(VALUE), 'the value was printed');
    }
    assert.ok(inbox.stdout.includes(`token=${PLACEHOLDER}`), inbox.stdout);
    assert.ok(!storeBytes(r).includes(VALUE), 'the value reached the store while paused');

    // Approved in another process: it has only the redacted call in the store to go by.
    const approved = await cli(r, 'approve', pending[0]!);
    assert.equal(approved.code, 0, approved.stderr + approved.stdout);
    assert.equal(readFileSync(join(r.workspace, 'out.txt'), 'utf8'), `token=${VALUE}`);

    const show = await cli(r, 'show', runId, '--json');
    const human = await cli(r, 'show', runId);
    for (const out of [approved, show, human])
      assert.ok(!out.stdout.includes(VALUE) && !out.stderr.includes(VALUE), 'the value was printed');
    const s = json<{
      run: { input: { note: string }; output: { summary: string } };
      toolCalls: { args: { content: string }; status: string }[];
      approvals: { calls: { args: { content: string } }[] }[];
      steps: { kind: string; data: Record<string, unknown> }[];
    }>(show);
    assert.equal(s.run.input.note, `please use ${PLACEHOLDER}`);
    assert.equal(s.run.output.summary, `wrote ${PLACEHOLDER} to out.txt`);
    assert.equal(s.toolCalls[0]!.args.content, `token=${PLACEHOLDER}`);
    assert.equal(s.toolCalls[0]!.status, 'succeeded');
    assert.equal(s.approvals[0]!.calls[0]!.args.content, `token=${PLACEHOLDER}`);
    assert.ok(human.stdout.includes(`please use ${PLACEHOLDER}`), human.stdout);
    assert.ok(!storeBytes(r).includes(VALUE), 'the value reached the store');
  });

  it('refuses an approval whose stored call was changed: nothing runs', async () => {
    const r = secretRole({ autonomy: 'draft' });
    const paused = json<{ runId: string; pending: string[] }>(await cli(r, 'run', r.file, '--json'));
    tamper(r, paused.runId, { path: 'evil.txt', content: `token=${PLACEHOLDER}` });
    const res = await cli(r, 'approve', paused.pending[0]!);
    assert.equal(res.code, 1);
    assert.match(res.stderr, /APPROVAL_MISMATCH.*changed since it was drafted; nothing was run/);
    assert.equal(existsSync(join(r.workspace, 'evil.txt')), false);
    assert.equal(existsSync(join(r.workspace, 'out.txt')), false);
  });

  it('refuses an approval when the secret has another value now: the hash binds the value drafted', async () => {
    const r = secretRole({ autonomy: 'draft' });
    const paused = json<{ pending: string[] }>(await cli(r, 'run', r.file, '--json'));
    writeFileSync(join(r.dir, 'secrets.env'), 'API_TOKEN=tok-ROTATED-0000\n');
    const res = await cli(r, 'approve', paused.pending[0]!);
    assert.equal(res.code, 1);
    assert.match(res.stderr, /APPROVAL_MISMATCH/);
    assert.equal(existsSync(join(r.workspace, 'out.txt')), false);
  });

  it('checks a held call again where it runs: a changed call allowed by an answer is not run', async () => {
    const r = secretRole({
      autonomy: 'full',
      escalation: [{ category: 'security', when: { tool: 'fs.write' } }],
    });
    const paused = json<{ runId: string; escalations: { id: string }[] }>(
      await cli(r, 'run', r.file, '--json'),
    );
    tamper(r, paused.runId, { path: 'evil.txt', content: `token=${PLACEHOLDER}` });
    const res = await cli(r, 'answer', paused.escalations[0]!.id, 'go ahead', '--allow-call', '--json');
    assert.equal(res.code, 0, res.stderr);
    assert.equal(existsSync(join(r.workspace, 'evil.txt')), false);
    assert.equal(existsSync(join(r.workspace, 'out.txt')), false);
    const show = json<{ toolCalls: { status: string; result: { code: string; error: string } }[] }>(
      await cli(r, 'show', paused.runId, '--json'),
    );
    assert.equal(show.toolCalls[0]!.status, 'failed');
    assert.equal(show.toolCalls[0]!.result.code, 'APPROVAL_MISMATCH');
    assert.match(show.toolCalls[0]!.result.error, /not the ones that were decided .*; not run$/);
  });

  it('runs a held call allowed by an answer with the real value', async () => {
    const r = secretRole({
      autonomy: 'full',
      escalation: [{ category: 'security', when: { tool: 'fs.write' } }],
    });
    const paused = json<{ runId: string; escalations: { id: string }[] }>(
      await cli(r, 'run', r.file, '--input', input, '--json'),
    );
    const res = await cli(r, 'answer', paused.escalations[0]!.id, 'go ahead', '--allow-call');
    assert.equal(res.code, 0, res.stderr);
    assert.equal(readFileSync(join(r.workspace, 'out.txt'), 'utf8'), `token=${VALUE}`);
    assert.ok(!storeBytes(r).includes(VALUE), 'the value reached the store');
  });

  it("a role's output delivered as an event, and a continuous agent's inbox, hold the value only by name", async () => {
    // The emitter knows API_TOKEN; its listener, which shares a store with it, does not.
    const emitter = writeTestRole({
      name: 'secret-emitter',
      autonomy: 'full',
      tools: ['fs.read'],
      ledgerTools: false,
      turns: [{ final: { summary: `token is ${VALUE}` } }],
      extra: { secrets: ['API_TOKEN'], emit: ['secret.done'] },
    });
    const listener = writeTestRole({
      name: 'secret-listener',
      autonomy: 'full',
      tools: ['fs.read'],
      ledgerTools: false,
      turns: [{ final: { summary: 'heard' } }],
      extra: { triggers: [{ event: 'secret.done' }] },
    });
    const agent = writeTestRole({
      name: 'secret-agent',
      autonomy: 'full',
      tools: ['fs.read'],
      ledgerTools: false,
      turns: [{ final: { summary: 'handled' } }],
      extra: { secrets: ['API_TOKEN'], mode: 'continuous', triggers: [{ event: 'secret.alert' }] },
    });
    made.push(emitter, listener, agent);
    const rt = await createRuntime({ dataDir: emitter.dataDir, env: { ...process.env, API_TOKEN: VALUE } });
    const abort = new AbortController();
    try {
      const roles = await Promise.all([emitter, listener, agent].map((r) => loadRoleFile(r.file)));
      const handle = rt.work({ roles, concurrency: 2, pollMs: 20, signal: abort.signal });
      await rt.emit('secret.alert', { note: `alert with ${VALUE}` });
      const started = await rt.enqueue(roles[0]!, {});
      const heard = await waitFor(async () => {
        const [run] = await rt.list({ role: 'secret-listener', status: ['succeeded'] });
        return run;
      }, "the listener's run");
      assert.deepEqual(heard.input, { summary: `token is ${PLACEHOLDER}` });
      const handled = await waitFor(async () => {
        const [run] = await rt.list({ role: 'secret-agent', status: ['succeeded'] });
        return run;
      }, "the agent's run");
      assert.deepEqual((handled.input as { payload: unknown }).payload, {
        note: `alert with ${PLACEHOLDER}`,
      });
      assert.equal((await rt.get(started.runId))?.run.status, 'succeeded');
      abort.abort();
      await handle.done;
    } finally {
      abort.abort();
      await rt.close();
    }
    const bytes = Buffer.concat(
      readdirSync(emitter.dataDir).map((f) => readFileSync(join(emitter.dataDir, f))),
    );
    assert.ok(!bytes.includes(VALUE), 'the value reached the store');
  });
});

describe('secrets and decided arguments', () => {
  it('writes what the model asked even when it contains a secret value; the stored result is scrubbed', async () => {
    const r = writeTestRole({
      autonomy: 'draft',
      tools: ['fs.write', 'fs.read'],
      turns: [
        { call: 'fs.write', args: { path: 'c.txt', content: 'contact ops@example.test' } },
        { call: 'fs.read', args: { path: 'c.txt' } },
        { final: { summary: 'done' } },
      ],
      extra: { secrets: ['SMTP_USER'] },
    });
    made.push(r);
    const rt = await createRuntime({
      dataDir: r.dataDir,
      env: { ...process.env, SMTP_USER: 'ops@example.test' },
    });
    try {
      const paused = await rt.run(r.file, {});
      const result = await rt.approve(paused.pending[0]!, { by: 'alice' });
      assert.equal(result.status, 'succeeded');
      assert.equal(r.read('c.txt'), 'contact ops@example.test');
      const read = (await rt.get(result.runId))!.toolCalls.find((c) => c.tool === 'fs.read')!;
      assert.match(JSON.stringify(read.result), /\[secret SMTP_USER\]/);
    } finally {
      await rt.close();
    }
  });
});
