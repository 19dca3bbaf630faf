// What least privilege costs per call: the pure policy decision, the decision with its scope check
// (fs.write: realpath/lstat of the path), and shell.exec under bubblewrap against a plain spawn.
//
//   npm run build && node dist/bench/policy-and-sandbox.js
import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { decide } from '../src/policy/decide.js';
import { defineRole } from '../src/roles/define.js';
import { fsWrite } from '../src/tools/builtin/fs-write.js';
import { shellExec } from '../src/tools/builtin/shell-exec.js';
import { noSecrets } from '../src/tools/secrets.js';
import { tempDir } from '../test/support/tmp.js';

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor((s.length - 1) / 2)]!;
}

const tmp = tempDir('nightshift-bench-policy-');
mkdirSync(join(tmp.path, 'ws'));
const role = defineRole(
  {
    name: 'bench',
    description: 'd',
    autonomy: 'sandbox',
    model: 'openai:unused',
    instructions: 'i',
    tools: ['fs.write', 'shell.exec', 'refunds.issue'],
    workspace: './ws',
    scope: { commands: ['true'], unsandboxedExec: true },
    escalation: [
      { category: 'money', when: { tool: 'refunds.issue', arg: 'amount', gt: 100 } },
      { category: 'high_impact', when: { tool: 'fs.write', arg: 'path', matches: '^prod/' } },
    ],
  },
  { dir: tmp.path },
);

// 1. The pure decision.
const input = {
  autonomy: role.autonomy,
  roleTools: role.tools,
  call: { tool: 'fs.write', args: { path: 'notes/a.txt', content: 'x' } },
  tool: { effect: 'write' as const, approval: 'policy' as const },
  argsError: undefined,
  scope: { kind: 'inside' as const },
  escalation: role.escalation,
};
for (let i = 0; i < 100_000; i++) decide(input);
const n = 1_000_000;
let t = process.hrtime.bigint();
for (let i = 0; i < n; i++) decide(input);
const decideNs = Number(process.hrtime.bigint() - t) / n;

// 2. Argument check + scope check (real file system) + decision, as the engine does per call.
const args = { path: 'notes/a.txt', content: 'x' };
const scopeCtx = { role, workspace: role.workspace };
const m = 20_000;
for (let i = 0; i < 2_000; i++) await fsWrite.scope!(fsWrite.input.parse(args), scopeCtx);
t = process.hrtime.bigint();
for (let i = 0; i < m; i++) {
  const parsed = fsWrite.input.safeParse(args);
  const scope = await fsWrite.scope!(parsed.data!, scopeCtx);
  decide({ ...input, scope });
}
const fullPolicyUs = Number(process.hrtime.bigint() - t) / m / 1000;

// 3. shell.exec under bubblewrap vs a plain spawn of the same program.
async function plain(): Promise<number> {
  const t0 = process.hrtime.bigint();
  await new Promise<void>((resolve, reject) =>
    spawn('/usr/bin/true')
      .on('close', () => resolve())
      .on('error', reject),
  );
  return Number(process.hrtime.bigint() - t0) / 1e6;
}
async function viaTool(r: typeof role): Promise<number> {
  const t0 = process.hrtime.bigint();
  const parsed = shellExec.input.parse({ command: 'true' });
  const res = await shellExec.run(parsed, {
    role: r,
    runId: 'b',
    idempotencyKey: 'b',
    fencingToken: 1,
    workspace: r.workspace,
    signal: new AbortController().signal,
    secrets: noSecrets,
  });
  if (res.exitCode !== 0) throw new Error(`exit ${res.exitCode}: ${res.stderr}`);
  return Number(process.hrtime.bigint() - t0) / 1e6;
}
const unsandboxedRole = { ...role, autonomy: 'full' as const };
const reps = 60;
const rows: Record<string, number[]> = { plain: [], bubblewrap: [], unsandboxed: [] };
for (let i = 0; i < 5; i++) {
  await plain();
  await viaTool(role);
}
for (let i = 0; i < reps; i++) {
  rows.plain!.push(await plain());
  rows.bubblewrap!.push(await viaTool(role));
  process.env.NIGHTSHIFT_BWRAP = '/nonexistent';
  rows.unsandboxed!.push(await viaTool(unsandboxedRole));
  delete process.env.NIGHTSHIFT_BWRAP;
}
tmp.cleanup();
const out = {
  decideNsPerCall: Math.round(decideNs),
  argsScopeDecideUsPerCall: Number(fullPolicyUs.toFixed(2)),
  spawnTrueMs: {
    plain: median(rows.plain!),
    shellExecBubblewrap: median(rows.bubblewrap!),
    shellExecUnsandboxed: median(rows.unsandboxed!),
  },
};
process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
