// Runs written by earlier versions (test/fixtures/runs/, see its README) still work: each is imported into
// a real store, rebuilt (state, conversation, next piece of work) by this version, and taken on to the end
// it reached under the version that wrote it, step for step. A change that would strand a run waiting in
// a user's store fails here.
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { approve } from '../../src/approvals/decide-approval.js';
import { createIdSource, systemClock } from '../../src/clock.js';
import type { EngineContext } from '../../src/engine/context.js';
import { buildMessages } from '../../src/engine/conversation.js';
import { newLeaseOwner } from '../../src/engine/lease.js';
import { nextWork } from '../../src/engine/next-work.js';
import { type PreparedRole, prepareRole } from '../../src/engine/prepare.js';
import { resumeRun } from '../../src/engine/start.js';
import { RunState } from '../../src/engine/state.js';
import { answerEscalation } from '../../src/escalations/answer.js';
import { loadRoleFile } from '../../src/roles/load.js';
import { openPostgresStore } from '../../src/store/postgres/index.js';
import { openSqliteStore } from '../../src/store/sqlite/index.js';
import type {
  ApprovalRecord,
  AuditEvent,
  EscalationRecord,
  RoleVersionRecord,
  RunRecord,
  StepRecord,
  Store,
  ToolCallRecord,
} from '../../src/store/types.js';
import { fixtures } from '../support/paths.js';
import { dropSchema, freshSchema, postgresUnavailable, TEST_DATABASE_URL } from '../support/postgres.js';
import {
  DIR_PLACEHOLDER,
  describeWork,
  fakeExecutor,
  type ResumeAction,
  withExecutor,
} from '../support/run-fixtures.js';
import { tempDir } from '../support/tmp.js';

/** A fixture file (format 1), as make-fixtures.ts writes it. */
interface RunFixture {
  format: 1;
  name: string;
  about: string;
  executor?: 'fake';
  files: Record<string, string>;
  store: {
    roleVersions: RoleVersionRecord[];
    run: RunRecord;
    steps: StepRecord[];
    toolCalls: ToolCallRecord[];
    approvals: ApprovalRecord[];
    escalations: EscalationRecord[];
    audit: AuditEvent[];
  };
  expect: {
    /** Since fixtures written after v0.1.0-3a02d40. */
    nextWork?: string;
    messages: unknown[];
    plan: ResumeAction[];
    after: { status: string; steps: string[] }[];
    final: { status: string; output: unknown; error: unknown };
  };
}

/** What the loop does next, for fixtures written before they recorded it (`expect.nextWork`). */
const NEXT_WORK: Record<string, string> = {
  'draft-awaiting-approval': 'pause:awaiting_approval',
  'model-escalated': 'pause:escalated',
  'input-rule-escalated': 'pause:escalated',
  'unknown-outcome': 'unknown_outcome',
  succeeded: 'none',
  'repair-turn': 'model',
  'budget-escalated': 'pause:escalated',
  'executor-awaiting-approval': 'pause:awaiting_approval',
};

function loadFixtures(): { folder: string; file: string; text: string }[] {
  const root = fixtures('runs');
  const out: { folder: string; file: string; text: string }[] = [];
  for (const folder of readdirSync(root).sort()) {
    if (!statSync(join(root, folder)).isDirectory()) continue;
    for (const file of readdirSync(join(root, folder)).sort()) {
      if (file.endsWith('.json'))
        out.push({ folder, file, text: readFileSync(join(root, folder, file), 'utf8') });
    }
  }
  return out;
}

/** The fixture with `$FIXTURE_DIR` put back as `dir`, its role files written there. */
function unpack(text: string, dir: string): RunFixture {
  const fixture = JSON.parse(text.split(DIR_PLACEHOLDER).join(dir)) as RunFixture;
  assert.equal(fixture.format, 1, 'a fixture format this test reads');
  mkdirSync(join(dir, 'workspace'), { recursive: true });
  for (const [name, content] of Object.entries(fixture.files)) writeFileSync(join(dir, name), content);
  return fixture;
}

/** Puts the run into the store as it was: role versions, then the run with all its records at once. */
async function importRun(store: Store, f: RunFixture): Promise<void> {
  for (const v of f.store.roleVersions) await store.putRoleVersion(v);
  await store.createRun(f.store.run, {
    steps: f.store.steps,
    toolCalls: f.store.toolCalls,
    approvals: f.store.approvals.map((record) => ({ record })),
    escalations: f.store.escalations.map((record) => ({ record })),
    audit: f.store.audit.map(({ id: _id, ...event }) => event),
    at: f.store.run.updatedAt,
  });
}

async function prepare(f: RunFixture, dir: string): Promise<PreparedRole> {
  const role = await loadRoleFile(join(dir, 'role.yaml'));
  // The version is a hash of the role's content: the same files make the same version.
  assert.equal(role.version, f.store.run.roleVersion, 'the fixture’s role files make the run’s role version');
  const prepared = await prepareRole(role);
  if (f.executor !== 'fake') return prepared;
  const executor = fakeExecutor();
  return withExecutor(prepared, {
    ...executor,
    run: () => Promise.reject(new Error('a recorded session must not be run again')),
  });
}

async function carryOut(ctx: EngineContext, prepared: PreparedRole, f: RunFixture): Promise<void> {
  const runId = f.store.run.id;
  for (const [i, action] of f.expect.plan.entries()) {
    if (action.do === 'approve') {
      await approve(ctx.store, ctx.clock, { approvalId: action.approvalId, by: 'fixture' });
    } else if (action.do === 'answer') {
      let escalationId = action.escalationId;
      if (escalationId === '$PENDING') {
        const pending = await ctx.store.listEscalations({ runId, status: 'pending' });
        assert.equal(pending.length, 1, 'one escalation pending');
        escalationId = pending[0]!.id;
      }
      await answerEscalation(ctx.store, ctx.clock, {
        escalationId,
        answer: action.answer,
        by: 'fixture',
        allowCall: action.allowCall,
        budget: action.grantBudget ? prepared.role.budget : undefined,
      });
    }
    const state = await resumeRun(ctx, prepared, runId);
    // An escalation's hop along its path (issue 12) is a step the writing versions did not have.
    const kinds = state.steps.map((s) => s.kind).filter((k) => k !== 'escalation_hop');
    assert.deepEqual({ status: state.run.status, steps: kinds }, f.expect.after[i], `after ${action.do}`);
  }
  const { run } = (await ctx.store.loadRun(runId))!;
  assert.deepEqual({ status: run.status, output: run.output, error: run.error }, f.expect.final);
}

const skipPostgres = await postgresUnavailable();
const backends: { name: string; skip: string | undefined; open: (dir: string) => Promise<Store> }[] = [
  {
    name: 'sqlite',
    skip: undefined,
    open: async (dir) => {
      const store = openSqliteStore({ dataDir: join(dir, 'data') });
      await store.init();
      return store;
    },
  },
  {
    name: 'postgres',
    skip: skipPostgres,
    open: async () => {
      const schema = freshSchema();
      schemas.push(schema);
      const store = openPostgresStore({ connectionString: TEST_DATABASE_URL, schema });
      await store.init();
      return store;
    },
  },
];
const schemas: string[] = [];
const cleanups: (() => Promise<void> | void)[] = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
  for (const s of schemas) await dropSchema(s);
});

async function setUp(
  backend: (typeof backends)[number],
  text: string,
): Promise<{ f: RunFixture; store: Store; dir: string }> {
  const tmp = tempDir('nightshift-run-fixture-');
  cleanups.push(tmp.cleanup);
  const f = unpack(text, tmp.path);
  const store = await backend.open(tmp.path);
  cleanups.push(() => store.close());
  await importRun(store, f);
  return { f, store, dir: tmp.path };
}

const all = loadFixtures();

describe('run fixtures from earlier versions', () => {
  it('exist (the archive is not empty)', () => {
    assert.ok(all.length >= 8, `found ${all.length} fixtures`);
  });

  for (const { folder, file, text } of all) {
    for (const backend of backends) {
      describe(`${folder}/${file} (${backend.name})`, { skip: backend.skip }, () => {
        it('rebuilds the state, the conversation and the next piece of work', async () => {
          const { f, store, dir } = await setUp(backend, text);
          const snapshot = (await store.loadRun(f.store.run.id))!;
          const state = new RunState(snapshot);
          assert.equal(state.steps.length, f.store.steps.length);
          assert.deepEqual(buildMessages(state), f.expect.messages);
          const expected = f.expect.nextWork ?? NEXT_WORK[f.name];
          assert.ok(expected, `no next work recorded for scenario ${f.name}`);
          if (expected !== 'none') {
            const prepared = await prepare(f, dir);
            assert.equal(describeWork(nextWork(state, prepared, new Set())), expected);
          }
        });

        it('is taken on to the end it reached under the version that wrote it', async () => {
          const { f, store, dir } = await setUp(backend, text);
          const ctx: EngineContext = {
            store,
            clock: systemClock,
            ids: createIdSource(),
            owner: newLeaseOwner(),
            leaseMs: 30_000,
          };
          await carryOut(ctx, await prepare(f, dir), f);
        });
      });
    }
  }
});
