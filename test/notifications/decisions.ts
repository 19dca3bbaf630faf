// Shared by the channel tests: a served project with people and notifications, paused runs to decide,
// and the PendingDecision the outbox would hand a channel for them.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { stringify } from 'yaml';
import type { PendingDecision } from '../../src/notifications/types.js';
import { json, runCli } from '../support/cli.js';
import type { TestRole } from '../support/roles.js';
import { waitFor } from '../support/wait.js';

export const PEOPLE = [
  { name: 'alice', slack: 'U_ALICE', email: 'alice@example.test', decides: ['billing', 'billing-desk'] },
  { name: 'bob', slack: 'U_BOB', email: 'bob@example.test', decides: ['somewhere-else'] },
];

/** Writes nightshift.config.yaml next to the role (serve and the CLI read it from their cwd). */
export function writeProjectConfig(dir: string, notifications: Record<string, unknown>): void {
  writeFileSync(join(dir, 'nightshift.config.yaml'), stringify({ people: PEOPLE, notifications }));
}

interface Inbox {
  approvals: {
    id: string;
    runId: string;
    role: string;
    changeSetHash: string;
    calls: unknown[];
    requestedAt: number;
  }[];
  escalations: {
    id: string;
    runId: string;
    role: string;
    category: string;
    reason: string;
    createdAt: number;
  }[];
}

export async function inbox(r: TestRole): Promise<Inbox> {
  return json<Inbox>(await runCli(['inbox', '--json', '--data-dir', r.dataDir], { cwd: r.dir }));
}

/** Runs `role` until it pauses and returns what a channel would be asked to send for it. */
export async function pausedDecision(role: TestRole, dataDir: string, cwd: string): Promise<PendingDecision> {
  const res = await runCli(['run', role.file, '--json', '--data-dir', dataDir], { cwd });
  const out = json<{ runId: string; status: string }>(res);
  if (out.status !== 'awaiting_approval' && out.status !== 'escalated')
    throw new Error(`expected a paused run, got ${out.status}: ${res.stderr}`);
  const box = json<Inbox>(await runCli(['inbox', '--json', '--data-dir', dataDir], { cwd }));
  const a = box.approvals.find((x) => x.runId === out.runId);
  if (a)
    return {
      kind: 'approval',
      id: a.id,
      runId: a.runId,
      role: a.role,
      category: 'approval',
      reason: 'drafted a change set',
      summary: JSON.stringify(a.calls, null, 2),
      hash: a.changeSetHash,
      createdAt: a.requestedAt,
    };
  const e = box.escalations.find((x) => x.runId === out.runId)!;
  return {
    kind: 'escalation',
    id: e.id,
    runId: e.runId,
    role: e.role,
    category: e.category,
    reason: e.reason,
    summary: `escalated: ${e.reason}`,
    createdAt: e.createdAt,
  };
}

export async function runStatus(
  runId: string,
  dataDir: string,
  cwd: string,
): Promise<Record<string, unknown>> {
  return json(await runCli(['show', runId, '--json', '--data-dir', dataDir], { cwd }));
}

/** Waits for the run (taken on by serve's worker after the decision) to reach `status`. */
export function waitForStatus(runId: string, dataDir: string, cwd: string, status: string) {
  return waitFor(
    async () => {
      const s = await runStatus(runId, dataDir, cwd);
      return s.status === status ? s : undefined;
    },
    `run ${runId} to be ${status}`,
    60_000,
  );
}

/**
 * Makes the served store fail for real: the table is renamed under the running `serve` (another connection
 * on the same SQLite file), so its next read there fails with SQLite's own message (the file path, the
 * table). Returns how to put it back.
 */
export function hideTable(dataDir: string, table: string): () => void {
  const db = new Database(join(dataDir, 'nightshift.db'));
  db.pragma('busy_timeout = 5000');
  db.exec(`ALTER TABLE ${table} RENAME TO ${table}_hidden`);
  return () => {
    db.exec(`ALTER TABLE ${table}_hidden RENAME TO ${table}`);
    db.close();
  };
}

/** Asserts an answer says nothing of the store's internals (its file, its SQL, its tables). */
export function assertNoInternals(text: string, dataDir: string): void {
  for (const leak of [dataDir, 'nightshift.db', 'SQLite', 'no such table', 'approvals', 'escalations'])
    if (text.includes(leak)) throw new Error(`the answer names '${leak}': ${text}`);
}
