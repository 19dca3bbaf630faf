// A stop signal while serve is still starting (store open, daemon listening, worker processes forking, the
// console's login link being issued) must shut serve down as a signal after start does, not kill it with the
// signal's default action: a supervisor that stops a service seconds after starting it (a deploy rolled back,
// systemd's stop during start) would otherwise leave claimed runs `running` until their lease ran out.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { stringify } from 'yaml';
import { startCli } from '../support/cli.js';
import { testRoles } from '../support/roles.js';

const role = testRoles();

/** Resolves once `pattern` shows in what the child wrote to `stream` (its log is on stdout). */
function shows(
  started: ReturnType<typeof startCli>,
  stream: 'stdout' | 'stderr',
  pattern: RegExp,
): Promise<void> {
  let seen = '';
  return new Promise((resolve, reject) => {
    started.done.then((r) =>
      reject(new Error(`exited (${r.code}) before ${pattern}:\n${r.stdout}\n${r.stderr}`)),
    );
    started.child[stream]!.on('data', (d) => {
      seen += d;
      if (pattern.test(seen)) resolve();
    });
  });
}

function childrenOf(pid: number): number[] {
  try {
    return execFileSync('pgrep', ['-P', String(pid)], { encoding: 'utf8' })
      .split('\n')
      .filter(Boolean)
      .map(Number);
  } catch {
    return [];
  }
}

describe('a stop signal while serve starts', () => {
  it('SIGTERM while the daemon starts (after the store opened): shut down, exit 0, worker processes gone', async () => {
    // A webhook whose secret is not set makes the daemon warn as it starts: after the store opened and
    // before it listens and forks its worker processes. The window is short (the log line is often read
    // after the daemon is up); the console case below is the one that lands in it every time.
    const r = role({
      autonomy: 'full',
      turns: [{ final: { ok: true } }],
      extra: {
        secrets: ['EARLY_HOOK_SECRET_UNSET'],
        triggers: [{ webhook: { path: 'early', secret: 'EARLY_HOOK_SECRET_UNSET' } }],
      },
    });
    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      const started = startCli([
        'serve',
        r.dir,
        '--port',
        '0',
        '--data-dir',
        r.dataDir,
        '--workers',
        '2',
        '--grace-ms',
        '500',
      ]);
      const { child, done, stdout } = started;
      await shows(started, 'stdout', /cannot verify deliveries/);
      child.kill(signal);
      const exited = await done;
      assert.deepEqual(
        { code: exited.code, signal: exited.signal },
        { code: 0, signal: null },
        exited.stderr,
      );
      assert.match(stdout(), new RegExp(`"signal":"${signal}".*shutting down`));
      assert.deepEqual(childrenOf(child.pid!), []);
    }
  });

  it('SIGTERM while the console issues its login link: shut down, exit 0', async () => {
    const r = role({ name: 'billing', autonomy: 'draft', turns: [{ final: { ok: true } }] });
    writeFileSync(
      join(r.dir, 'nightshift.config.yaml'),
      stringify({ people: [{ name: 'alice', decides: ['billing'] }] }),
    );
    const started = startCli(['console', r.file, '--as', 'alice', '--data-dir', r.dataDir], {
      cwd: r.dir,
    });
    const { child, done, stdout } = started;
    await shows(started, 'stderr', /at http:\/\//);
    child.kill('SIGTERM');
    const exited = await done;
    assert.deepEqual({ code: exited.code, signal: exited.signal }, { code: 0, signal: null }, exited.stderr);
    assert.match(stdout(), /shutting down/);
  });
});
