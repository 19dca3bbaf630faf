// A `nightshift eval` killed mid-case (`kill -9`) never removed its case folder: every kill left a
// `nightshift-eval-*` (a store, workspace copies) in the temp dir for good. The next eval removes the
// folders whose maker is a dead process of this host, and only those (case-folders.ts). Real CLI, real
// processes killed with SIGKILL, a real temp dir (TMPDIR).
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { runCli, startCli } from '../support/cli.js';
import { tempDir } from '../support/tmp.js';
import { waitFor } from '../support/wait.js';

const tmp = tempDir();
after(() => tmp.cleanup());

function project(): { dir: string; root: string } {
  const dir = join(tmp.path, 'project');
  const root = join(tmp.path, 'temp');
  mkdirSync(dir, { recursive: true });
  mkdirSync(root, { recursive: true });
  // One role that stays in its case (a minute-long model turn), one that is done at once.
  for (const [name, delay] of [
    ['slow', 60_000],
    ['fast', 0],
  ] as const) {
    writeFileSync(
      join(dir, `${name}.script.yaml`),
      JSON.stringify({ turns: [{ final: { summary: 'done' }, delayMs: delay }] }),
    );
    writeFileSync(
      join(dir, `${name}.yaml`),
      `name: ${name}\ndescription: An eval case\nautonomy: full\nmodel: script:./${name}.script.yaml\ninstructions: Answer.\ntools: []\n`,
    );
  }
  writeFileSync(join(dir, 'suite.evals.yaml'), 'cases:\n  - name: one\n    input: { ticket: a }\n');
  return { dir, root };
}

const caseFolders = (root: string) => readdirSync(root).filter((n) => n.startsWith('nightshift-eval-'));

describe('case folders an eval killed mid-case leaves behind', () => {
  it('are removed by the next eval when their maker is dead, kept while it is alive', async () => {
    const { dir, root } = project();
    const options = { cwd: dir, env: { TMPDIR: root, NIGHTSHIFT_DATA_DIR: join(dir, '.nightshift') } };
    const slowEval = async () => {
      const known = caseFolders(root);
      const cli = startCli(['eval', 'slow.yaml', '--suite', 'suite.evals.yaml'], options);
      const folder = await waitFor(async () => {
        const made = caseFolders(root).find((n) => !known.includes(n));
        // In its case: its store is there.
        return made && existsSync(join(root, made, 'data')) ? made : undefined;
      }, 'the eval to be in its case').catch((err: unknown) => {
        cli.child.kill('SIGKILL');
        throw err;
      });
      return { cli, folder };
    };
    // The live one first: an eval sweeps as it starts, and would take the killed one's folder.
    const live = await slowEval();
    try {
      const killed = await slowEval();
      killed.cli.child.kill('SIGKILL');
      assert.equal((await killed.cli.done).signal, 'SIGKILL');
      // Without a maker's record: made by an older version, or being made this instant.
      mkdirSync(join(root, 'nightshift-eval-unrecorded'));
      assert.ok(caseFolders(root).includes(killed.folder), 'the killed eval left its case folder');
      const r = await runCli(['eval', 'fast.yaml', '--suite', 'suite.evals.yaml'], options);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.deepEqual(caseFolders(root).sort(), [live.folder, 'nightshift-eval-unrecorded'].sort());
    } finally {
      live.cli.child.kill('SIGKILL');
      await live.cli.done;
    }
  });
});
