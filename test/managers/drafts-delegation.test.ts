// The draft path inside a delegation (decision 029): a specialist's manager approves its drafts judged at no
// more than the cap its orchestrator put on it (a delegation never raises authority, a manager's approval
// included), and a specialist that only inherits its orchestrator's manager did not opt in: its drafts go
// to people.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { createRuntime } from '../../src/runtime.js';
import { type RoleSketch, TASK_INPUT, writeRoleTree } from '../support/delegation.js';
import { approveDrafts, done, refund } from '../support/managed-roles.js';

function tree(o: { deskAutonomy: 'draft' | 'full'; deskManager?: unknown; clerkManager?: unknown }) {
  const roles: RoleSketch[] = [
    {
      name: 'desk',
      autonomy: o.deskAutonomy,
      specialists: ['clerk'],
      turns: [{ call: 'delegate.clerk', args: { task: 'refund 250' } }, { final: { handled: true } }],
      extra: o.deskManager ? { manager: o.deskManager } : {},
    },
    {
      name: 'clerk',
      autonomy: o.deskAutonomy === 'draft' ? 'full' : 'draft',
      input: TASK_INPUT,
      tools: ['ledger.append'],
      turns: [refund(250), done],
      extra: o.clerkManager ? { manager: o.clerkManager } : {},
    },
    {
      name: 'lead',
      autonomy: 'full',
      tools: ['ledger.append'],
      turns: [{ call: 'approval.approve', args: { note: 'fine' } }, done],
    },
  ];
  return writeRoleTree(roles);
}

const ledger = (workspace: string) => {
  const file = join(workspace, 'ledger.txt');
  return existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean) : [];
};

describe('a manager approving a specialist’s drafts', () => {
  it('cannot lift the cap: a full clerk under a draft desk drafts, and its lead’s approve goes to people', async () => {
    const t = tree({ deskAutonomy: 'draft', clerkManager: approveDrafts });
    const rt = await createRuntime({ dataDir: t.dataDir });
    try {
      const top = await rt.run(t.file('desk'), {});
      const [clerk] = await rt.list({ parentRunId: top.runId });
      const snap = (await rt.get(clerk!.id))!;
      assert.equal(snap.run.status, 'awaiting_approval');
      const hops = snap.steps.filter((s) => s.kind === 'approval_hop');
      assert.deepEqual(
        hops.map((s) => s.data.to),
        ['manager', 'humans'],
      );
      assert.match(
        String(hops[1]!.data.why),
        /beyond the manager's authority as the manager's role \(lead, draft: its own rung 'full', capped by the delegation chain/,
      );
      assert.deepEqual(ledger(t.workspace), []);
      assert.equal(snap.approvals[0]!.status, 'pending');
    } finally {
      await rt.close();
    }
  });

  it('a specialist inheriting its orchestrator’s manager did not opt in: its drafts go to people', async () => {
    const t = tree({ deskAutonomy: 'full', deskManager: approveDrafts });
    const rt = await createRuntime({ dataDir: t.dataDir });
    try {
      const top = await rt.run(t.file('desk'), {});
      const [clerk] = await rt.list({ parentRunId: top.runId });
      const snap = (await rt.get(clerk!.id))!;
      assert.equal(snap.run.status, 'awaiting_approval');
      assert.equal(snap.steps.filter((s) => s.kind === 'approval_hop').length, 0);
      assert.deepEqual(await rt.list({ role: 'lead' }), []);
      assert.deepEqual(ledger(t.workspace), []);
    } finally {
      await rt.close();
    }
  });
});
