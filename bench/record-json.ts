// What encoding a group of engine commits' steps, tool calls and audit events costs the worker
// (store/postgres/commit-statement.ts): their JSON columns encoded once inside the arrays (recordsJson,
// the common case) against as JSON text re-encoded inside them (the old way, still used for an array
// with a `\u` escape). A group of 16 batches shaped like a model turn with one tool call.
//
//   npm run build && node dist/bench/record-json.js [--n 20000] [--reps 5]
import { recordRows, recordsJson } from '../src/store/postgres/commit-statement.js';
import type { CommitBatch } from '../src/store/types.js';

const arg = (name: string, fallback: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
};
const N = Number(arg('n', '20000'));
const REPS = Number(arg('reps', '5'));

const batches: CommitBatch[] = Array.from({ length: 16 }, (_, i) => {
  const runId = `run_01jf${String(i).padStart(22, '0')}`;
  const text = 'The order was checked against the warehouse and the customer was told when it ships. '.repeat(
    3,
  );
  return {
    runId,
    expectSeq: 3,
    at: 1_764_000_000_000,
    steps: [
      {
        runId,
        seq: 4,
        kind: 'model_turn',
        at: 1_764_000_000_000,
        data: { text, toolCalls: [{ id: 'call_1', name: 'orders.lookup', args: { id: `ord_${i}` } }] },
      },
    ],
    toolCalls: [
      {
        key: `${runId}:4:0`,
        runId,
        step: 4,
        index: 0,
        callId: 'call_1',
        tool: 'orders.lookup',
        args: { id: `ord_${i}`, fields: ['status', 'eta'] },
        argsHash: 'a'.repeat(64),
        decision: 'allow',
        reason: 'allowed by policy',
        status: 'succeeded',
        result: { status: 'packed', eta: '2026-12-05', lines: [{ sku: 'A-1', qty: 2 }] },
        isError: false,
        approvalId: null,
        escalationId: null,
        startedAt: 1_764_000_000_000,
        finishedAt: 1_764_000_000_010,
      },
    ],
    audit: [],
  } as CommitBatch;
});

function twice(): string[] {
  const into = { steps: [] as unknown[], calls: [] as unknown[], audit: [] as unknown[] };
  for (const b of batches) recordRows(b, true, into);
  return [JSON.stringify(into.steps), JSON.stringify(into.calls), JSON.stringify(into.audit)];
}

function time(fn: () => unknown): number {
  const start = process.hrtime.bigint();
  for (let i = 0; i < N; i++) fn();
  return Number(process.hrtime.bigint() - start) / N / 1000;
}

const once: number[] = [];
const old: number[] = [];
time(twice);
time(() => recordsJson(batches));
for (let r = 0; r < REPS; r++) {
  old.push(time(twice));
  once.push(time(() => recordsJson(batches)));
}
const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const range = (xs: number[]) => `${Math.min(...xs).toFixed(1)}–${Math.max(...xs).toFixed(1)}`;
console.log(
  `16 batches: encoded twice ${med(old).toFixed(1)} µs (${range(old)}), once ${med(once).toFixed(1)} µs (${range(once)}), ratio ${(med(once) / med(old)).toFixed(2)}`,
);
