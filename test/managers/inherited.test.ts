// A specialist with no `manager:` uses its orchestrator's (issue 12 §2): its escalation starts a run of the
// orchestrator's manager, whose decision continues the specialist and then the orchestrator. The route is
// the same in a fresh runtime (another process) as where the escalation was raised, on SQLite and
// Postgres; a specialist with a manager of its own keeps it.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { managerRunId } from '../../src/managers/manager-for.js';
import { loadRoleFile } from '../../src/roles/load.js';
import { createRuntime, type Runtime } from '../../src/runtime.js';
import { type RoleSketch, TASK_INPUT, writeRoleTree } from '../support/delegation.js';
import { dropSchema, freshSchema, postgresUnavailable, TEST_DATABASE_URL } from '../support/postgres.js';
import { waitFor } from '../support/wait.js';

const done = { final: { summary: 'done' } };
const refund = (amount: number) => ({ call: 'ledger.append', args: { entry: `refund ${amount}`, amount } });
const noPostgres = await postgresUnavailable();
const allow = { call: 'escalation.allow', args: { note: 'within my limit' } };

function money(limit: number) {
  return [
    {
      category: 'money',
      reason: `refunds over ${limit} need someone above`,
      when: { tool: 'ledger.append', arg: 'amount', gt: limit },
    },
  ];
}

/** desk (manager: lead) → clerk (no manager, or `clerkManager`); the clerk's rule stops at 100. */
function desk(
  o: { clerkManager?: string; task?: string; clerkTurns?: unknown[]; leadTurns?: unknown[] } = {},
) {
  const roles: RoleSketch[] = [
    {
      name: 'desk',
      autonomy: 'full',
      specialists: ['clerk'],
      turns: [
        { call: 'delegate.clerk', args: { task: o.task ?? 'refund 250' } },
        { final: { handled: true } },
      ],
      extra: { manager: './lead.yaml' },
    },
    {
      name: 'clerk',
      autonomy: 'full',
      input: TASK_INPUT,
      tools: ['ledger.append'],
      turns: o.clerkTurns ?? [refund(250), done],
      extra: {
        escalation: [...money(100), { category: 'legal', when: { input: { contains: 'lawsuit' } } }],
        ...(o.clerkManager ? { manager: o.clerkManager } : {}),
      },
    },
    {
      name: 'lead',
      autonomy: 'full',
      tools: ['ledger.append'],
      turns: o.leadTurns ?? [allow, done],
      extra: { escalation: money(1000) },
    },
    {
      name: 'senior',
      autonomy: 'full',
      tools: ['ledger.append'],
      turns: [allow, done],
      extra: { escalation: money(1000) },
    },
  ];
  return writeRoleTree(roles);
}

async function checkDecidedByLead(rt: Runtime, deskRunId: string, workspace: string) {
  const top = (await rt.get(deskRunId))!;
  assert.equal(top.run.status, 'succeeded');
  assert.deepEqual(top.run.output, { handled: true });
  const [clerk] = await rt.list({ parentRunId: deskRunId });
  const shown = (await rt.get(clerk!.id))!;
  assert.equal(shown.run.status, 'succeeded');
  const escalation = shown.escalations[0]!;
  assert.equal(escalation.status, 'answered');
  const hop = shown.steps.find((s) => s.kind === 'escalation_hop')!;
  assert.equal(hop.data.to, 'manager');
  assert.equal(hop.data.manager, 'lead');
  assert.match(String(hop.data.why), /orchestrator desk names lead/);
  const lead = (await rt.get(managerRunId(escalation.id)))!;
  assert.equal(lead.run.role, 'lead');
  assert.equal(lead.run.status, 'succeeded');
  // Allowed once by the lead: the refund happened exactly once.
  assert.deepEqual(ledgerOf(workspace), ['refund 250']);
}

function ledgerOf(workspace: string): string[] {
  try {
    return readFileSync(join(workspace, 'ledger.txt'), 'utf8').split('\n').filter(Boolean);
  } catch {
    return [];
  }
}

describe("a specialist without a manager uses its orchestrator's", () => {
  it('the lead decides the clerk escalation; the clerk, then the desk, go on (SQLite)', async () => {
    const tree = desk();
    const rt = await createRuntime({ dataDir: tree.dataDir });
    try {
      const result = await rt.run(tree.file('desk'), {});
      assert.equal(result.status, 'succeeded');
      await checkDecidedByLead(rt, result.runId, tree.workspace);
    } finally {
      await rt.close();
    }
  });

  it('a fresh runtime takes the same route: the manager run queued by one process is decided in another', async () => {
    const tree = desk();
    const deskRole = await loadRoleFile(tree.file('desk'));
    let deskRunId: string;
    let escalationId: string;
    {
      // A worker that serves only the desk: the clerk escalates, the sweep queues the lead's run, nobody drives it.
      const rt = await createRuntime({ dataDir: tree.dataDir });
      const stop = new AbortController();
      try {
        const work = rt.work({ roles: [deskRole], concurrency: 1, pollMs: 20, signal: stop.signal });
        deskRunId = (await rt.enqueue(deskRole, {})).runId;
        work.wake();
        escalationId = await waitFor(async () => {
          const [clerk] = await rt.list({ parentRunId: deskRunId });
          const e = clerk ? (await rt.get(clerk.id))!.escalations[0] : undefined;
          return e && (await rt.get(managerRunId(e.id))) ? e.id : undefined;
        }, "the lead's run for the clerk's escalation");
      } finally {
        stop.abort();
        await rt.close();
      }
    }
    // Another runtime, knowing none of the roles: the manager run resumed by hand decides, the clerk and the
    // desk go on, from the store alone.
    const rt = await createRuntime({ dataDir: tree.dataDir });
    try {
      const lead = (await rt.get(managerRunId(escalationId)))!;
      assert.equal(lead.run.status, 'queued');
      await rt.resume(lead.run.id);
      await checkDecidedByLead(rt, deskRunId, tree.workspace);
    } finally {
      await rt.close();
    }
  });

  it("an input rule matched when the child run is created goes to the orchestrator's manager too", async () => {
    const tree = desk({
      task: 'a lawsuit is threatened',
      clerkTurns: [done],
      leadTurns: [{ call: 'escalation.answer', args: { text: 'proceed, legal knows' } }, done],
    });
    const rt = await createRuntime({ dataDir: tree.dataDir });
    try {
      const result = await rt.run(tree.file('desk'), {});
      assert.equal(result.status, 'succeeded');
      const [clerk] = await rt.list({ parentRunId: result.runId });
      const shown = (await rt.get(clerk!.id))!;
      assert.equal(shown.escalations[0]!.source, 'input_rule');
      assert.equal(shown.escalations[0]!.answer, 'proceed, legal knows');
      assert.deepEqual(
        shown.steps.filter((s) => s.kind === 'escalation_hop').map((s) => [s.data.to, s.data.manager]),
        [['manager', 'lead']],
      );
    } finally {
      await rt.close();
    }
  });

  it('a specialist with a manager of its own keeps it', async () => {
    const tree = desk({ clerkManager: './senior.yaml' });
    const rt = await createRuntime({ dataDir: tree.dataDir });
    try {
      const result = await rt.run(tree.file('desk'), {});
      assert.equal(result.status, 'succeeded');
      const [clerk] = await rt.list({ parentRunId: result.runId });
      const escalation = (await rt.get(clerk!.id))!.escalations[0]!;
      const decided = (await rt.get(managerRunId(escalation.id)))!;
      assert.equal(decided.run.role, 'senior');
      assert.equal((await rt.list({ role: 'lead' })).length, 0);
    } finally {
      await rt.close();
    }
  });

  it('on Postgres too', { skip: noPostgres }, async () => {
    const schema = freshSchema();
    const tree = desk();
    const rt = await createRuntime({
      databaseUrl: TEST_DATABASE_URL,
      env: { ...process.env, NIGHTSHIFT_DATABASE_SCHEMA: schema },
    });
    try {
      const result = await rt.run(tree.file('desk'), {});
      assert.equal(result.status, 'succeeded');
      await checkDecidedByLead(rt, result.runId, tree.workspace);
    } finally {
      await rt.close();
      await dropSchema(schema);
    }
  });
});
