// `nightshift notify --once --lease-ms N` takes digits only, from 100 to 2147483647: `1e30` (which
// JavaScript reads as a whole number) and the like are a usage error (exit 2) naming the flag, before any
// store is opened. The CLI as a child process.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runCli } from '../support/cli.js';
import { writeTestRole } from '../support/roles.js';

describe('notify --lease-ms', () => {
  it('refuses anything but digits in range, naming the flag (exit 2); takes a good value', async () => {
    const r = writeTestRole({ name: 'lease-role', autonomy: 'full', turns: [{ final: { ok: true } }] });
    // A store to send from, so a good value gets past the flag check to an (empty) outbox pass.
    assert.equal((await runCli(['run', r.file, '--data-dir', r.dataDir], { cwd: r.dir })).code, 0);
    for (const bad of ['1e30', '1e3', '0x100', '1.5', '-5', '99', '2147483648', ' 500', '5000ms', '']) {
      const res = await runCli(['notify', '--once', '--lease-ms', bad, '--data-dir', r.dataDir], {
        cwd: r.dir,
      });
      assert.equal(res.code, 2, `--lease-ms '${bad}': ${res.stdout}${res.stderr}`);
      assert.match(
        res.stderr,
        /USAGE.*--lease-ms must be a whole number from 100 to 2147483647 \(digits only\)/,
        `--lease-ms '${bad}'`,
      );
    }
    const ok = await runCli(['notify', '--once', '--lease-ms', '2147483647', '--data-dir', r.dataDir], {
      cwd: r.dir,
    });
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /sent 0/);
  });
});
