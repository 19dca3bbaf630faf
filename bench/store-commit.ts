// Commits per second of the embedded store for the engine's typical batch: one step, one tool-call
// upsert and a run patch (activeMs, turns, usage). Three measurements on fresh files in a temp dir:
//   raw          the same SQL through better-sqlite3 directly, one transaction per batch: SQLite's own cost
//   sequential   store.commit awaited one at a time (one run in flight)
//   concurrent   50 runs in flight, each awaiting its own commits (what group commit is for)
// The gap between raw and sequential is what the store adds per commit. On a real disk the WAL writes
// and checkpoints dominate and vary from run to run; `--dir /dev/shm` (tmpfs) takes the disk out and
// leaves the CPU cost, which is where the store's own overhead shows.
//
//   npm run build && node dist/bench/store-commit.js [--n 20000] [--dir /dev/shm] [--json]
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { openSqliteStore } from '../src/store/sqlite/index.js';
import { migrate } from '../src/store/sqlite/migrate.js';
import type { CommitBatch, RunRecord, Store, ToolCallRecord } from '../src/store/types.js';
import { tempDir } from '../test/support/tmp.js';

const arg = (name: string, fallback: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
};
const N = Number(arg('n', '20000'));
const RUNS = 1000;
const CONCURRENCY = 50;

function run(i: number): RunRecord {
  return {
    id: `run_bench${String(i).padStart(20, '0')}`,
    role: 'bench',
    roleVersion: 'v1',
    model: 'script:bench.yaml',
    status: 'running',
    input: { ticket: `T-${i}` },
    output: null,
    error: null,
    seq: 1,
    turns: 0,
    usage: { inputTokens: 0, outputTokens: 0, cachedInputTokens: 0, costUsd: 0 },
    activeMs: 0,
    grant: { steps: 0, costUsd: 0, seconds: 0 },
    idempotencyKey: null,
    leaseOwner: 'bench',
    leaseUntil: Date.now() + 60_000,
    leaseEpoch: 1,
    createdAt: 1_000 + i,
    updatedAt: 1_000 + i,
    finishedAt: null,
    attempt: 1,
    notBefore: null,
  };
}

/** What the engine commits for a model turn that asks for one tool call. */
function typicalBatch(runId: string, seq: number): CommitBatch {
  const at = Date.now();
  const call: ToolCallRecord = {
    key: `${runId}:${seq + 1}:0`,
    runId,
    step: seq + 1,
    index: 0,
    callId: `call_${seq}`,
    tool: 'crm.update',
    args: { customerId: 'cust-42', field: 'tier', value: 'gold' },
    argsHash: '9f2c4e1d7a3b5c6d8e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d',
    decision: 'allow',
    reason: 'autonomy full allows write',
    status: 'started',
    result: null,
    isError: false,
    approvalId: null,
    escalationId: null,
    startedAt: at,
    finishedAt: null,
  };
  return {
    runId,
    expectSeq: seq,
    steps: [
      {
        runId,
        seq: seq + 1,
        kind: 'model_turn',
        at,
        data: {
          text: 'Updating the tier.',
          calls: [{ id: call.callId, tool: call.tool, args: call.args }],
          usage: { inputTokens: 812, outputTokens: 64 },
        },
      },
    ],
    run: {
      activeMs: seq * 3,
      turns: seq,
      usage: { inputTokens: 812 * seq, outputTokens: 64 * seq, cachedInputTokens: 0, costUsd: 0.0021 * seq },
    },
    toolCalls: [call],
    at,
  };
}

async function seed(store: Store): Promise<number[]> {
  for (let i = 0; i < RUNS; i++) {
    const r = run(i);
    await store.createRun(r, {
      steps: [{ runId: r.id, seq: 1, kind: 'run_started', at: 1, data: {} }],
      at: 1,
    });
  }
  return new Array<number>(RUNS).fill(1);
}

async function sequential(store: Store, seqs: number[], n: number): Promise<number> {
  const t0 = performance.now();
  for (let k = 0; k < n; k++) {
    const i = k % RUNS;
    await store.commit(typicalBatch(run(i).id, seqs[i]!));
    seqs[i]!++;
  }
  return performance.now() - t0;
}

async function concurrent(store: Store, seqs: number[], n: number): Promise<number> {
  const perWorker = Math.ceil(n / CONCURRENCY);
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async (_, w) => {
      for (let k = 0; k < perWorker; k++) {
        const i = (w + k * CONCURRENCY) % RUNS;
        await store.commit(typicalBatch(run(i).id, seqs[i]!));
        seqs[i]!++;
      }
    }),
  );
  return ((performance.now() - t0) * n) / (perWorker * CONCURRENCY);
}

/** The same rows written with hand-written SQL, one transaction per batch: SQLite's own cost. */
function raw(path: string, n: number): number {
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  db.pragma('wal_autocheckpoint = 10000');
  migrate(db);
  const insertRun = db.prepare(
    `INSERT INTO runs (id, role, role_version, model, status, input, seq, turns, usage, active_ms, grant_json, created_at, updated_at)
     VALUES (?, 'bench', 'v1', 'm', 'running', '{}', 1, 0, '{}', 0, '{}', 1, 1)`,
  );
  for (let i = 0; i < RUNS; i++) insertRun.run(run(i).id);
  const update = db.prepare(
    'UPDATE runs SET seq = ?, updated_at = ?, turns = ?, usage = ?, active_ms = ? WHERE id = ? AND seq = ?',
  );
  const step = db.prepare('INSERT INTO steps (run_id, seq, kind, at, data) VALUES (?, ?, ?, ?, ?)');
  const call = db.prepare(
    `INSERT INTO tool_calls (run_id, step, idx, key, call_id, tool, args, args_hash, decision, reason, status, result, is_error, approval_id, escalation_id, started_at, finished_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (run_id, step, idx) DO UPDATE SET status = excluded.status, result = excluded.result`,
  );
  const seqs = new Array<number>(RUNS).fill(1);
  const tx = db.transaction((b: CommitBatch) => {
    const p = b.run!;
    if (
      update.run(b.expectSeq + 1, b.at, p.turns, JSON.stringify(p.usage), p.activeMs, b.runId, b.expectSeq)
        .changes !== 1
    )
      throw new Error('fence');
    const s = b.steps[0]!;
    step.run(s.runId, s.seq, s.kind, s.at, JSON.stringify(s.data));
    const c = b.toolCalls![0]!;
    call.run(
      c.runId,
      c.step,
      c.index,
      c.key,
      c.callId,
      c.tool,
      JSON.stringify(c.args),
      c.argsHash,
      c.decision,
      c.reason,
      c.status,
      JSON.stringify(c.result),
      0,
      null,
      null,
      c.startedAt,
      null,
    );
  });
  const t0 = performance.now();
  for (let k = 0; k < n; k++) {
    const i = k % RUNS;
    tx(typicalBatch(run(i).id, seqs[i]!));
    seqs[i]!++;
  }
  const ms = performance.now() - t0;
  db.close();
  return ms;
}

async function main(): Promise<void> {
  const base = arg('dir', '');
  const tmp = base
    ? (() => {
        const path = mkdtempSync(join(base, 'nightshift-bench-store-'));
        return { path, cleanup: () => rmSync(path, { recursive: true, force: true }) };
      })()
    : tempDir('nightshift-bench-store-');
  try {
    const rawMs = raw(join(tmp.path, 'raw.db'), N);
    const results: Record<string, { commitsPerSec: number; usPerCommit: number }> = {};
    const record = (name: string, ms: number) => {
      results[name] = {
        commitsPerSec: Math.round((N / ms) * 1000),
        usPerCommit: +((ms * 1000) / N).toFixed(1),
      };
    };
    record('raw', rawMs);
    for (const mode of ['sequential', 'concurrent'] as const) {
      const store = openSqliteStore({ dataDir: join(tmp.path, mode) });
      await store.init();
      const seqs = await seed(store);
      const ms = mode === 'sequential' ? await sequential(store, seqs, N) : await concurrent(store, seqs, N);
      record(mode, ms);
      await store.close();
    }
    if (process.argv.includes('--json')) {
      process.stdout.write(`${JSON.stringify({ n: N, dir: base || 'tmpdir', ...results })}\n`);
      return;
    }
    process.stdout.write(
      `store.commit, typical batch (1 step + 1 tool-call upsert + run patch), n = ${N}, in ${tmp.path}\n`,
    );
    for (const [name, r] of Object.entries(results)) {
      process.stdout.write(
        `  ${name.padEnd(11)} ${String(r.commitsPerSec).padStart(7)} commits/s  ${String(r.usPerCommit).padStart(6)} µs/commit\n`,
      );
    }
    const over = results.sequential!.usPerCommit - results.raw!.usPerCommit;
    process.stdout.write(`  store overhead over raw SQLite, sequential: ${over.toFixed(1)} µs/commit\n`);
  } finally {
    tmp.cleanup();
  }
}

await main();
