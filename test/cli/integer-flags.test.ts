// Every integer flag, from outside: digits only, within its range, or exit 2 with a USAGE error naming the
// flag and the range, and nothing written. `serve --lease-ms 1e4` was taken (Number('1e4')) while
// `notify --lease-ms 1e4` was refused; now one rule for all (src/config/whole-number.ts).
import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { runCli } from '../support/cli.js';
import { testRoles } from '../support/roles.js';

const role = testRoles();

describe('integer flags: one rule for every command', () => {
  it('refuses 1e4, 0x10, 1.0, a sign, a space, an empty value and a huge one, naming flag and range', async () => {
    const r = role({ autonomy: 'full', turns: [{ final: { summary: 'done' } }] });
    // console checks its person before its flags: alice is one.
    writeFileSync(join(r.dir, 'nightshift.config.yaml'), 'people:\n  - name: alice\n    decides: ["*"]\n');
    // serve reads its settings before its paths: a path that does not exist ends a serve that took a bad
    // value (exit 2, naming the path) instead of leaving it listening.
    const nope = join(r.dir, 'nope');
    const flags: [string[], string, string][] = [
      [['serve', nope, '--lease-ms'], '--lease-ms', 'from 100 to 2147483647'],
      [['serve', nope, '--port'], '--port', 'from 0 to 65535'],
      [['serve', nope, '--workers'], '--workers', 'from 1 to 64'],
      [['serve', nope, '--concurrency'], '--concurrency', 'from 1 to 10000'],
      [['serve', nope, '--poll-ms'], '--poll-ms', 'from 1 to 2147483647'],
      [['serve', nope, '--grace-ms'], '--grace-ms', 'from 0 to 2147483647'],
      [['console', nope, '--as', 'alice', '--port'], '--port', 'from 0 to 65535'],
      [['notify', '--once', '--lease-ms'], '--lease-ms', 'from 100 to 2147483647'],
      [['runs', '--limit'], '--limit', 'from 1 to 1000000'],
      [['eval', r.file, '--repeat'], '--repeat', 'from 1 to 10000'],
      [['eval', r.file, '--concurrency'], '--concurrency', 'from 1 to 10000'],
      [['improve', r.file, '--proposer', 'script:x.yaml', '--rounds'], '--rounds', 'from 1 to 100'],
      [['improve', r.file, '--proposer', 'script:x.yaml', '--repeat'], '--repeat', 'from 1 to 10000'],
    ];
    const bad = ['1e4', '0x10', '1.0', ' 50', '', '9'.repeat(400)];
    for (const [args, flag, range] of flags)
      for (const value of bad) {
        const res = await runCli([...args, value, '--data-dir', r.dataDir], { cwd: r.dir });
        const what = `${args.join(' ')} '${value.slice(0, 12)}'`;
        assert.equal(res.code, 2, `${what}: ${res.stderr}`);
        const escaped = flag.replace(/-/g, '\\-');
        assert.match(
          res.stderr,
          new RegExp(`\\[USAGE\\]: ${escaped} must be a whole number ${range} \\(digits only\\), got '`),
          what,
        );
        assert.doesNotMatch(res.stderr, /\n\s+at /, `${what}: a stack trace`);
        assert.equal(existsSync(r.dataDir), false, `${what} wrote the store`);
      }
  });
});
