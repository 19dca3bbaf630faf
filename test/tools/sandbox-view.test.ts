// What a command can see of the host, checked from inside through a real run: the sandbox's file view is
// the system folders and the workspace, and inside them the store, the config file, every role's secrets
// file and the other roles' workspaces are covered. The worst layout allowed: the role's workspace holds
// the config file (the working folder), another role's workspace and its secrets file, and the store sits
// right beside it (a store inside a workspace is refused: test/tools/store-layout.test.ts).
import assert from 'node:assert/strict';
import { mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { stringify } from 'yaml';
import { createRuntime } from '../../src/runtime.js';
import { runCli } from '../support/cli.js';
import { tempDir } from '../support/tmp.js';

const MARKER = 'SANDBOX-VIEW-MARKER-7d1e';
const tmp = tempDir('nightshift-view-');
const project = join(tmp.path, 'project');
const hostFiles = [
  `/tmp/nightshift-host-${process.pid}`,
  `/var/tmp/nightshift-host-${process.pid}`,
  `/dev/shm/nightshift-host-${process.pid}`,
];
after(() => {
  tmp.cleanup();
  for (const f of hostFiles) rmSync(f, { force: true });
});

// Prints, for each path, whether it is there and what it holds: `<path>\t<absent|dir|file>\t<content>`.
const PROBE = `for p in "$@"; do
  if [ -d "$p" ]; then printf '%s\\tdir\\t%s\\n' "$p" "$(ls -A "$p" 2>/dev/null | tr '\\n' ' ')"
  elif [ -e "$p" ]; then printf '%s\\tfile\\t%s\\n' "$p" "$(head -c 300 "$p" 2>/dev/null | tr '\\n' ' ')"
  else printf '%s\\tabsent\\t\\n' "$p"; fi
done`;

const ws = join(project, 'ws');

function writeProject(probed: string[]) {
  mkdirSync(join(ws, 'other'), { recursive: true });
  writeFileSync(join(ws, 'nightshift.config.yaml'), `dataDir: ../.nightshift\n# ${MARKER} config\n`);
  writeFileSync(join(project, 'secrets.env'), `API_TOKEN=tok-a\nUNDECLARED=${MARKER}-a\n`);
  writeFileSync(join(ws, 'other-secrets.env'), `OTHER_TOKEN=tok-b\nUNDECLARED=${MARKER}-b\n`);
  writeFileSync(join(ws, 'other', 'notes.txt'), `${MARKER} other role's file\n`);
  writeFileSync(join(ws, 'mine.txt'), 'the workspace\n');
  writeFileSync(
    join(project, 'script-a.yaml'),
    stringify({
      turns: [
        { call: 'shell.exec', args: { command: 'sh', args: ['-c', PROBE, 'probe', ...probed] } },
        { final: {} },
      ],
    }),
  );
  writeFileSync(join(project, 'script-b.yaml'), stringify({ turns: [{ final: {} }] }));
  const common = { description: 'd', autonomy: 'sandbox', instructions: 'i' };
  writeFileSync(
    join(project, 'a.yaml'),
    stringify({
      ...common,
      name: 'role-a',
      model: 'script:./script-a.yaml',
      tools: ['shell.exec'],
      workspace: './ws',
      secrets: ['API_TOKEN'],
      secretsFile: './secrets.env',
      scope: { commands: ['sh'] },
    }),
  );
  writeFileSync(
    join(project, 'b.yaml'),
    stringify({
      ...common,
      name: 'role-b',
      model: 'script:./script-b.yaml',
      workspace: './ws/other',
      secrets: ['OTHER_TOKEN'],
      secretsFile: './ws/other-secrets.env',
    }),
  );
  for (const f of hostFiles) writeFileSync(f, `${MARKER} host\n`);
}

type Seen = Map<string, { kind: string; content: string }>;

function parse(stdout: string): Seen {
  const seen: Seen = new Map();
  for (const line of stdout.split('\n').filter(Boolean)) {
    const [path, kind, content] = line.split('\t');
    seen.set(path!, { kind: kind!, content: (content ?? '').trim() });
  }
  return seen;
}

function assertNothingSeen(seen: Seen, paths: string[]) {
  for (const p of paths) {
    const s = seen.get(p);
    assert.ok(s, `${p} was probed`);
    assert.ok(
      s.kind === 'absent' || s.content === '',
      `${p} is visible inside the sandbox: ${s.kind} ${s.content}`,
    );
  }
}

const HOST = [
  '/root',
  '/home',
  '/run',
  '/var/run',
  '/var/run/postgresql',
  '/var/lib',
  '/sys/fs/cgroup',
  '/etc/shadow',
  '/etc/gshadow',
  '/etc/ssh',
  ...hostFiles,
];

describe('the sandbox file view', () => {
  const dataDir = join(project, '.nightshift');
  const projectPaths = [
    dataDir,
    join(dataDir, 'nightshift.db'),
    join(ws, 'nightshift.config.yaml'),
    join(project, 'secrets.env'),
    join(project, 'a.yaml'),
    join(ws, 'other-secrets.env'),
    join(ws, 'other'),
    join(ws, 'other', 'notes.txt'),
  ];

  it('hides the store, the config, every secrets file, other workspaces and host folders from a command', async () => {
    writeProject([...projectPaths, ...HOST, join(ws, 'mine.txt')]);
    const runtime = await createRuntime({
      dataDir,
      protectedPaths: [join(ws, 'nightshift.config.yaml')],
    });
    try {
      // The runtime knows role-b once it ran it (as `serve` knows every role it serves).
      assert.equal((await runtime.run(join(project, 'b.yaml'), {})).status, 'succeeded');
      const summary = await runtime.run(join(project, 'a.yaml'), {});
      assert.equal(summary.status, 'succeeded');
      const snapshot = await runtime.get(summary.runId);
      const result = snapshot!.toolCalls[0]!.result as { stdout: string; stderr: string; exitCode: number };
      assert.equal(result.exitCode, 0, result.stderr);
      const seen = parse(result.stdout);
      assertNothingSeen(seen, [...projectPaths, ...HOST]);
      assert.doesNotMatch(result.stdout, new RegExp(MARKER));
      // The workspace itself is there.
      assert.equal(seen.get(join(ws, 'mine.txt'))?.content, 'the workspace');
    } finally {
      await runtime.close();
    }
  });

  it('through the CLI: the config file in the working folder and the data dir are hidden too', async () => {
    const probed = [dataDir, join(dataDir, 'nightshift.db'), join(ws, 'nightshift.config.yaml')];
    writeProject(probed);
    // Run from the workspace, where the config file is; its dataDir puts the store beside it.
    const out = await runCli(['run', '../a.yaml', '--json'], {
      cwd: ws,
      env: { NIGHTSHIFT_DATA_DIR: '', NIGHTSHIFT_DATABASE_URL: '' },
    });
    assert.equal(out.code, 0, out.stderr);
    const run = JSON.parse(out.stdout) as { runId: string };
    const runtime = await createRuntime({ dataDir });
    try {
      const result = (await runtime.get(run.runId))!.toolCalls[0]!.result as { stdout: string };
      assertNothingSeen(parse(result.stdout), probed);
    } finally {
      await runtime.close();
    }
  });
});

describe('the data dir and database file', () => {
  it('are created 0700 and 0600 (and the WAL and shared-memory files with them)', async () => {
    const dir = join(tmp.path, 'fresh', 'data');
    const runtime = await createRuntime({ dataDir: dir });
    try {
      await runtime.list();
      assert.equal(statSync(dir).mode & 0o777, 0o700);
      for (const f of ['nightshift.db', 'nightshift.db-wal', 'nightshift.db-shm'])
        assert.equal(statSync(join(dir, f)).mode & 0o777, 0o600, f);
    } finally {
      await runtime.close();
    }
  });
});
