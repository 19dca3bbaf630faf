// What a manager hop costs: a clerk's refund of 250 held by its rule and allowed by its manager agent
// (a lead, scripted: the manager run is created, driven, decides, and the clerk's run goes on), against
// the same escalation answered (with --allow-call) through the path `nightshift answer` takes. Both in
// one process on the embedded store, sequentially, with scripted models; every run is checked.
//
//   npm run build && node dist/bench/manager-hop.js [--n 200]
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { loadRoleFile } from '../src/roles/load.js';
import { createRuntime } from '../src/runtime.js';
import { fixtures } from '../test/support/paths.js';
import { tempDir } from '../test/support/tmp.js';

const n = Number(process.argv[process.argv.indexOf('--n') + 1]) || 200;
const tmp = tempDir('nightshift-bench-manager-');
mkdirSync(join(tmp.path, 'ws'));
const done = { final: { summary: 'done' } };
const common = {
  tools: ['ledger.append'],
  toolModules: [fixtures('tools', 'ledger.ts')],
  workspace: './ws',
};
const rule = (limit: number) => [
  { category: 'money', when: { tool: 'ledger.append', arg: 'amount', gt: limit } },
];
const write = (file: string, value: unknown) => writeFileSync(join(tmp.path, file), stringify(value));
write('clerk-script.yaml', {
  turns: [{ call: 'ledger.append', args: { entry: 'refund', amount: 250 } }, done],
});
write('lead-script.yaml', { turns: [{ call: 'escalation.allow', args: { note: 'within my limit' } }, done] });
const clerk = (name: string, manager?: string) => ({
  name,
  description: 'issues refunds',
  autonomy: 'full',
  model: 'script:./clerk-script.yaml',
  instructions: 'Refund.',
  ...common,
  escalation: rule(100),
  ...(manager ? { manager } : {}),
});
write('clerk.yaml', clerk('clerk', './lead.yaml'));
write('plain-clerk.yaml', clerk('plain-clerk'));
write('lead.yaml', {
  name: 'lead',
  description: 'decides',
  autonomy: 'full',
  model: 'script:./lead-script.yaml',
  instructions: 'Decide.',
  ...common,
  escalation: rule(1000),
});

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor((s.length - 1) / 2)]!;
}

const rt = await createRuntime({ dataDir: join(tmp.path, 'data') });
const managed: number[] = [];
const answered: number[] = [];
// Loaded once, as a worker holds its roles: what is measured is the runs, not the role files' loading.
const managedRole = await loadRoleFile(join(tmp.path, 'clerk.yaml'));
const plainRole = await loadRoleFile(join(tmp.path, 'plain-clerk.yaml'));
try {
  // Warm-up: role loading, preparation and the first statements are not what is measured.
  await rt.run(managedRole, {});
  const warm = await rt.run(plainRole, {});
  await rt.answer(warm.escalations[0]!.id, 'ok', { by: 'bench', allowCall: true });
  for (let i = 0; i < n; i++) {
    let t = performance.now();
    const a = await rt.run(managedRole, {});
    managed.push(performance.now() - t);
    if (a.status !== 'succeeded') throw new Error(`managed run ended ${a.status}`);
    t = performance.now();
    const b = await rt.run(plainRole, {});
    const c = await rt.answer(b.escalations[0]!.id, 'ok', { by: 'bench', allowCall: true });
    answered.push(performance.now() - t);
    if (c.status !== 'succeeded') throw new Error(`answered run ended ${c.status}`);
  }
} finally {
  await rt.close();
  tmp.cleanup();
}
const m = median(managed);
const a = median(answered);
console.log(
  JSON.stringify({
    n,
    managerHopMs: Number(m.toFixed(2)),
    answeredFromCliPathMs: Number(a.toFixed(2)),
    overheadMs: Number((m - a).toFixed(2)),
  }),
);
