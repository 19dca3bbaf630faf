// A role that lists git (and neither sh nor touch) tries to make git run a program through a repository
// other than the one nightshift checks before each git call, or through a configuration key that check did
// not know: `git archive --format=X` (tar.X.command), `git for-each-repo` (git in the repositories a key
// lists), `git clone --template` (a configuration copied into the new repository, whose checkout runs its
// smudge filter), `git push` and `git archive --remote` to a local repository (its hooks and tar filters,
// where git drops the `-c` settings nightshift adds), and `git merge-index PROGRAM`. Each is a model's call
// through the runtime, at sandbox, in the real bubblewrap sandbox; the proof of a run is a file `touch`
// would make in the workspace, looked for from outside.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { createRuntime } from '../../src/runtime.js';
import type { ToolCallRecord } from '../../src/store/types.js';
import { type TestRole, writeTestRole } from '../support/roles.js';

const made: TestRole[] = [];
after(() => {
  for (const r of made) r.cleanup();
});

/** git on the host, for the setup: what the workspace holds before the run (or made by earlier calls). */
function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, {
    cwd,
    env: {
      PATH: '/usr/bin:/bin',
      HOME: '/nonexistent',
      GIT_CONFIG_GLOBAL: '/dev/null',
      GIT_CONFIG_NOSYSTEM: '1',
      GIT_AUTHOR_NAME: 'a',
      GIT_AUTHOR_EMAIL: 'a@example.com',
      GIT_COMMITTER_NAME: 'a',
      GIT_COMMITTER_EMAIL: 'a@example.com',
    },
    encoding: 'utf8',
  }).trim();
}

const text = (c: ToolCallRecord) => JSON.stringify(c.result ?? null) + JSON.stringify(c);

describe('git run in a repository nightshift did not check', () => {
  it('runs no program through tar filters, for-each-repo, templates, local remotes or merge-index', async () => {
    const exec = (args: string[]) => ({ tool: 'shell.exec', args: { command: 'git', args } });
    const r = writeTestRole({
      autonomy: 'sandbox',
      tools: ['shell.exec'],
      ledgerTools: false,
      turns: [
        {
          calls: [
            exec(['-C', 'arch', 'archive', '--format=x', '4b825dc642cb6eb9a060e54bf8d69288fbee4904']),
            exec(['-C', 'fe', 'for-each-repo', '--config=maintenance.repo', 'st']),
            exec(['clone', '-q', '--template=tpl', 'src', 'dst']),
            exec(['-C', 'src', 'push', '../bare.git', 'HEAD:refs/heads/pushed']),
            exec(['-C', 'src', 'archive', '--remote=../bare.git', '--format=y', 'HEAD']),
            exec(['-C', 'mi', 'merge-index', 'sh', '-a']),
          ],
        },
        { final: { summary: 'done' } },
      ],
      // The operator passes GIT_ALLOW_PROTOCOL=file through (below), which would lift the
      // `protocol.file.allow=never` every git call carries: shell.exec drops it (found by review).
      extra: { scope: { commands: ['git'], env: ['GIT_ALLOW_PROTOCOL'] } },
    });
    made.push(r);
    const ws = r.workspace;
    const touch = (name: string) => `touch ${join(ws, name)}`;

    // tar.x.command in the repository's own configuration (what `git config tar.x.command ...` writes).
    git(ws, 'init', '-q', 'arch');
    writeFileSync(
      join(ws, 'arch', '.git', 'config'),
      `[tar "x"]\n\tcommand = ${touch('pwned-archive')}; cat\n`,
      {
        flag: 'a',
      },
    );
    // A repository that lists another whose `!` alias nightshift never reads.
    git(ws, 'init', '-q', 'fe');
    git(ws, 'init', '-q', 'fe-other');
    writeFileSync(join(ws, 'fe', '.git', 'config'), `[maintenance]\n\trepo = ${join(ws, 'fe-other')}\n`, {
      flag: 'a',
    });
    writeFileSync(join(ws, 'fe-other', '.git', 'config'), `[alias]\n\tst = !${touch('pwned-foreach')}\n`, {
      flag: 'a',
    });
    // A repository whose files ask for filter x, and a template whose config defines it.
    git(ws, 'init', '-q', 'src');
    writeFileSync(join(ws, 'src', '.gitattributes'), '* filter=x\n');
    writeFileSync(join(ws, 'src', 'a.txt'), 'a\n');
    git(join(ws, 'src'), 'add', '.');
    git(join(ws, 'src'), 'commit', '-q', '-m', 'first');
    mkdirSync(join(ws, 'tpl'));
    writeFileSync(join(ws, 'tpl', 'config'), `[filter "x"]\n\tsmudge = ${touch('pwned-template')}; cat\n`);
    // A local bare repository whose hooks are a folder of the workspace (a role gets an executable file
    // there by checking out a 100755 blob) and which pipes archives through its own tar filter.
    git(ws, 'clone', '-q', '--bare', 'src', 'bare.git');
    mkdirSync(join(ws, 'hooks'));
    writeFileSync(join(ws, 'hooks', 'pre-receive'), `#!/bin/sh\n${touch('pwned-push')}\n`);
    chmodSync(join(ws, 'hooks', 'pre-receive'), 0o755);
    writeFileSync(
      join(ws, 'bare.git', 'config'),
      `[core]\n\thooksPath = ${join(ws, 'hooks')}\n[tar "y"]\n\tcommand = ${touch('pwned-remote')}; cat\n\tremote = true\n`,
      { flag: 'a' },
    );
    // Unmerged index entries (`git update-index --index-info`), and a script named like the base blob:
    // merge-index runs `sh <base blob id> <ours> <theirs> <path> ...`.
    git(ws, 'init', '-q', 'mi');
    const blob = execFileSync('git', ['hash-object', '-w', '--stdin'], {
      cwd: join(ws, 'mi'),
      input: 'base\n',
      encoding: 'utf8',
    }).trim();
    execFileSync('git', ['update-index', '--index-info'], {
      cwd: join(ws, 'mi'),
      input: [1, 2, 3].map((stage) => `100644 ${blob} ${stage}\ta.txt\n`).join(''),
    });
    writeFileSync(join(ws, 'mi', blob), `${touch('pwned-mergeindex')}\n`);

    const rt = await createRuntime({ dataDir: r.dataDir });
    let calls: ToolCallRecord[];
    process.env.GIT_ALLOW_PROTOCOL = 'file';
    try {
      const result = await rt.run(r.file, {});
      calls = (await rt.get(result.runId))!.toolCalls;
    } finally {
      delete process.env.GIT_ALLOW_PROTOCOL;
      await rt.close();
    }

    // Nothing ran: no proof file anywhere in the workspace.
    const proofs = (readdirSync(ws, { recursive: true }) as string[]).filter((n) => n.includes('pwned-'));
    assert.deepEqual(proofs, [], calls.map(text).join('\n'));

    // Refused by the scope check, before anything runs, with the reason.
    for (const [i, reason] of [
      [0, /sets 'tar\.x\.command', which names a program/],
      [1, /git for-each-repo runs commands/],
      [2, /--template/],
      [5, /git merge-index runs commands/],
    ] as const) {
      assert.equal(calls[i]!.status, 'denied', text(calls[i]!));
      assert.match(text(calls[i]!), reason);
    }
    // A local repository is no remote: git refuses the transport before it starts anything there.
    for (const i of [3, 4]) {
      const result = calls[i]!.result as { exitCode: number; stderr: string };
      assert.notEqual(result.exitCode, 0, text(calls[i]!));
      assert.match(result.stderr, /transport 'file' not allowed/);
    }
    assert.equal(existsSync(join(ws, 'dst')), false);
  });
});
