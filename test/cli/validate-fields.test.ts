// `nightshift validate` from outside: each malformed field named with its file and line (docs/roles.md,
// "Errors"), including entries that parse but could never do what they say.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { runCli } from '../support/cli.js';
import { testRoles } from '../support/roles.js';

const role = testRoles();
const done = { final: { summary: 'done' } };

function roleFile(lines: string[]): { file: string; lineOf: (text: string) => number } {
  const r = role({ autonomy: 'full', turns: [done], ledgerTools: false });
  const text = [
    'name: fields',
    'description: a role with a malformed field',
    'autonomy: full',
    'model: script:./script.yaml',
    'instructions: do it',
    'workspace: ./workspace',
    ...lines,
  ].join('\n');
  const file = join(r.dir, 'fields.yaml');
  writeFileSync(file, `${text}\n`);
  const all = text.split('\n');
  return { file, lineOf: (t) => all.findIndex((l) => l.includes(t)) + 1 };
}

describe('validate: scope.hosts entries', () => {
  it('refuses a URL, a port, a path or a bare * (none can ever equal a host), naming each entry', async () => {
    const { file, lineOf } = roleFile([
      'tools: [http.fetch]',
      'scope:',
      '  hosts:',
      '    - https://api.example.com/',
      '    - api.example.com:443',
      '    - { host: api.example.com/v1, private: true }',
      "    - '*'",
      '    - api.example.com',
      "    - '*.example.com'",
      '    - 10.0.0.7',
      "    - '[::1]'",
    ]);
    const v = await runCli(['validate', file]);
    assert.equal(v.code, 2, v.stderr);
    const expect = (text: string, path: string) =>
      assert.match(
        v.stderr,
        new RegExp(`fields\\.yaml:${lineOf(text)} ${path.replace(/[[\].]/g, '\\$&')}: expected a host name`),
      );
    expect('https://api.example.com/', 'scope.hosts[0]');
    expect('api.example.com:443', 'scope.hosts[1]');
    expect('api.example.com/v1', 'scope.hosts[2].host');
    expect("- '*'", 'scope.hosts[3]');
    assert.equal(v.stderr.trim().split('\n').length, 4, v.stderr);
  });
});

describe('validate: a field with a string form and a mapping form', () => {
  it('reports a malformed mapping as the mapping it is, not as "expected string, got mapping"', async () => {
    const { file, lineOf } = roleFile([
      'tools: [http.fetch, shell.exec]',
      'scope:',
      '  hosts:',
      "    - { host: '', private: maybe }",
      '  commands:',
      '    - { program: ls, args: x, bogus: 1 }',
    ]);
    const v = await runCli(['validate', file]);
    assert.equal(v.code, 2, v.stderr);
    const hosts = lineOf("host: ''");
    const commands = lineOf('program: ls');
    assert.match(v.stderr, new RegExp(`fields\\.yaml:${hosts} scope\\.hosts\\[0\\]\\.host: `));
    assert.match(
      v.stderr,
      new RegExp(`fields\\.yaml:${hosts} scope\\.hosts\\[0\\]\\.private: expected boolean, got string`),
    );
    assert.match(
      v.stderr,
      new RegExp(`fields\\.yaml:${commands} scope\\.commands\\[0\\]\\.args: expected list, got string`),
    );
    assert.match(
      v.stderr,
      new RegExp(`fields\\.yaml:${commands} scope\\.commands\\[0\\]\\.bogus: unknown key`),
    );
    assert.doesNotMatch(v.stderr, /expected string, got mapping/);
  });
});

describe('validate: notify and mcp destinations', () => {
  it('refuses a URL that is not http(s) and a port over 65535, naming each field', async () => {
    const { file, lineOf } = roleFile([
      'tools: [notify.webhook, notify.email, notify.slack, pipe.x]',
      'secrets: [HOOK, SLACK_URL]',
      'notify:',
      '  webhooks: { pager: { url: "ftp://127.0.0.1/hook", secret: HOOK } }',
      '  email: { host: smtp.example.com, port: 99999, from: bot@example.com, to: [ops@example.com] }',
      '  slack: { webhook: SLACK_URL, apiUrl: "file:///tmp/slack" }',
      'mcp:',
      '  - name: pipe',
      '    url: "file:///etc/passwd"',
      '    tools: { x: read }',
    ]);
    const v = await runCli(['validate', file]);
    assert.equal(v.code, 2, v.stderr);
    const at = (text: string) => `fields\\.yaml:${lineOf(text)} `;
    assert.match(
      v.stderr,
      new RegExp(`${at('ftp://')}notify\\.webhooks\\.pager\\.url: expected an http or https URL, got 'ftp:`),
    );
    assert.match(
      v.stderr,
      new RegExp(`${at('port: 99999')}notify\\.email\\.port: expected a number <= 65535`),
    );
    assert.match(
      v.stderr,
      new RegExp(`${at('apiUrl')}notify\\.slack\\.apiUrl: expected an http or https URL`),
    );
    assert.match(v.stderr, new RegExp(`${at('file:///etc')}mcp\\[0\\]\\.url: expected an http or https URL`));
  });
});

describe('validate: escalation conditions', () => {
  it('a condition mixing two forms says so (not "did you mean" the same key)', async () => {
    const { file, lineOf } = roleFile([
      'tools: [fs.read, shell.exec]',
      'scope: { commands: [ls] }',
      'escalation:',
      '  - category: other',
      '    when: { result: { tool: shell.exec, path: stdout, contains: x }, tool: fs.read }',
    ]);
    const v = await runCli(['validate', file]);
    assert.equal(v.code, 2, v.stderr);
    assert.match(
      v.stderr,
      new RegExp(
        `fields\\.yaml:${lineOf('when:')} escalation\\[0\\]\\.when\\.result: key 'result' does not go with the other keys of this mapping: .*all: \\[\\.\\.\\.\\]`,
      ),
    );
    assert.doesNotMatch(v.stderr, /did you mean 'result'/);
  });
});

describe('validate: who is asked', () => {
  it('an escalate tier timeout that is not a duration says what was given', async () => {
    const { file, lineOf } = roleFile([
      'tools: [fs.read]',
      'escalate: { tiers: [ { to: [alice], timeout: soon } ] }',
    ]);
    const v = await runCli(['validate', file]);
    assert.equal(v.code, 2, v.stderr);
    assert.match(
      v.stderr,
      new RegExp(
        `fields\\.yaml:${lineOf('tiers')} escalate\\.tiers\\[0\\]\\.timeout: expected a duration such as 30s, 15m, 1h or 2d, got 'soon'`,
      ),
    );
  });
});

describe('validate: scope.commands entries', () => {
  it('refuses a relative path (every call of it would be denied), naming each entry; bare names and absolute paths pass', async () => {
    const { file, lineOf } = roleFile([
      'tools: [shell.exec]',
      'scope:',
      '  commands:',
      '    - ./run.sh',
      '    - { program: bin/tool, args: [x] }',
      '    - ls',
      '    - /usr/bin/env',
    ]);
    const v = await runCli(['validate', file]);
    assert.equal(v.code, 2, v.stderr);
    assert.match(
      v.stderr,
      new RegExp(
        `fields\\.yaml:${lineOf('./run.sh')} scope\\.commands\\[0\\]: expected a bare name .* got '\\./run\\.sh'`,
      ),
    );
    assert.match(
      v.stderr,
      new RegExp(
        `fields\\.yaml:${lineOf('bin/tool')} scope\\.commands\\[1\\]\\.program: expected a bare name .* got 'bin/tool'`,
      ),
    );
    assert.equal(v.stderr.trim().split('\n').length, 2, v.stderr);
  });
});

describe('validate: a model spec the schema takes but no run could build', () => {
  it('is reported at the model: line, as the schema reports its own problems with it', async () => {
    // Before: `fields.yaml model: …` without the line, where `foo:bar` had `fields.yaml:4 model: …`.
    for (const spec of ['custom:mine', 'openai-compatible:llama@notaurl']) {
      const { file } = roleFile([]);
      writeFileSync(file, readText(file).replace('model: script:./script.yaml', `model: ${spec}`));
      const out = await runCli(['validate', file]);
      assert.equal(out.code, 2, out.stdout + out.stderr);
      assert.match(out.stderr, /fields\.yaml:4 model: /, spec);
    }
  });
});

function readText(file: string): string {
  return readFileSync(file, 'utf8');
}

describe('validate: a model script that is not UTF-8', () => {
  it('is reported at the script file and its line, not at the role file', async () => {
    const { file } = roleFile([]);
    writeFileSync(join(file, '..', 'script.yaml'), Buffer.from('turns:\n  - final: "caf\xe9"\n', 'latin1'));
    const out = await runCli(['validate', file]);
    assert.equal(out.code, 2, out.stdout + out.stderr);
    // Before: `fields.yaml:2: not UTF-8 text …`, line 2 of the role file being its description.
    assert.match(out.stderr, /script\.yaml:2: not UTF-8 text: byte 0xE9 at line 2, column 16/);
    assert.doesNotMatch(out.stderr, /fields\.yaml:2/);
  });
});
