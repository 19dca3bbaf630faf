// One case run, in isolation: its own temporary data dir (a fresh embedded store, never the project's),
// and fresh copies of every workspace the role (its specialists, its manager) would touch, so an eval
// never writes to the live store or the real workspace. The run's store is read back into a
// CaseObservation, then the folder is removed (or, when this process is killed first, by a later eval:
// case-folders.ts).
import { cpSync, mkdirSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { NightshiftError } from '../errors.js';
import type { ModelSettings } from '../models/resolve.js';
import { loadRoleFile } from '../roles/load.js';
import type { Role } from '../roles/schema.js';
import { createRuntime, type Runtime } from '../runtime.js';
import type { RunSnapshot } from '../store/types.js';
import { applyDecisions } from './case-decisions.js';
import { makeCaseFolder } from './case-folders.js';
import type { CaseObservation } from './expectations.js';
import { writeReplayScript } from './replay.js';
import type { EvalCase } from './suite-file.js';

export interface CaseRunOptions {
  env?: NodeJS.ProcessEnv | undefined;
  models?: ModelSettings | undefined;
  /** Loads a role file met during the run (a manager); default loadRoleFile. */
  loadRole?: ((file: string) => Promise<Role>) | undefined;
  /** Where the case folders are made (default the OS temp dir). */
  tmpRoot?: string | undefined;
}

/**
 * The environment an eval runs in: the caller's, less what would point it at live systems (the project's
 * Postgres, its trace collector). Model API keys stay: a suite may use a real model.
 */
function isolatedEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return Object.fromEntries(
    Object.entries(env).filter(([k]) => !k.startsWith('NIGHTSHIFT_DATABASE_') && !k.startsWith('OTEL_')),
  );
}

/**
 * Copies each distinct workspace once into `dir` and points the roles at the copies. The folder is copied
 * from its real path: cpSync copies a symlink given as its source as the symlink itself, and a workspace
 * `./ws` that is a symlink would then have its "copy" point at the real folder, which the case would write.
 */
function workspaceCopies(dir: string) {
  const copies = new Map<string, string>();
  const copy = (from: string): string => {
    let to = copies.get(from);
    if (!to) {
      to = join(dir, `workspace-${copies.size}`);
      cpSync(realpathSync(from), to, { recursive: true });
      copies.set(from, to);
    }
    return to;
  };
  const isolate = (role: Role, fixture?: string): Role => {
    let workspace = role.workspace === undefined ? undefined : copy(role.workspace);
    if (fixture !== undefined) {
      workspace = join(dir, 'workspace-case');
      cpSync(realpathSync(fixture), workspace, { recursive: true });
    }
    return {
      ...role,
      workspace,
      ...(role.specialists ? { specialists: role.specialists.map((s) => isolate(s)) } : {}),
    };
  };
  return isolate;
}

/** Runs one case of `role` and reads back what it did. Never throws for the run's own failure. */
export async function runCase(role: Role, c: EvalCase, o: CaseRunOptions = {}): Promise<CaseObservation> {
  const dir = makeCaseFolder(o.tmpRoot ?? tmpdir());
  try {
    const isolate = workspaceCopies(dir);
    const isolated = isolate(role, c.workspace);
    const model = c.replay ? writeReplayScript(c.replay, join(dir, 'replay.script.yaml')) : c.model;
    const loadRole = o.loadRole ?? ((file: string) => loadRoleFile(file));
    mkdirSync(join(dir, 'data'));
    const runtime = await createRuntime({
      dataDir: join(dir, 'data'),
      env: isolatedEnv(o.env ?? process.env),
      models: o.models,
      loadRole: async (file) => isolate(await loadRole(file)),
    });
    const started = performance.now();
    try {
      let runId: string | null = null;
      try {
        runId = (await runtime.run(isolated, c.input, { model, actor: 'eval' })).runId;
      } catch (err) {
        // Refused before a run was recorded (an input rule, INPUT_INVALID): the case sees a failed run.
        if (!NightshiftError.isInstance(err)) throw err;
        return refused(err, performance.now() - started, c.decisions.length);
      }
      const decisions = await applyDecisions(runtime, runId, c.decisions);
      const durationMs = performance.now() - started;
      const family = await familyOf(runtime, runId);
      const run = family[0]!.run;
      return {
        runId,
        status: run.status,
        output: run.output ?? null,
        error: run.error ? { code: run.error.code, message: run.error.message } : null,
        // The specialists' calls and escalations count too: an orchestrator's outcome is its family's.
        calls: family.flatMap((f) =>
          f.toolCalls.map((t) => ({
            tool: t.tool,
            args: t.args,
            decision: t.decision,
            reason: t.reason,
            // Executed: its start was committed (an unknown outcome counts: the call may have happened).
            ran: t.startedAt !== null,
          })),
        ),
        escalations: family.flatMap((f) =>
          f.escalations.map((e) => ({ category: e.category, reason: e.reason, source: e.source })),
        ),
        steps: run.turns,
        costUsd: run.usage.costUsd,
        durationMs,
        decisions,
      };
    } finally {
      await runtime.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The run and its delegated child runs (and theirs), the run first. */
async function familyOf(runtime: Runtime, runId: string): Promise<RunSnapshot[]> {
  const family: RunSnapshot[] = [];
  const queue = [runId];
  while (queue.length > 0) {
    const id = queue.shift()!;
    const snapshot = await runtime.get(id);
    if (!snapshot) throw new NightshiftError('INTERNAL', `eval run ${id} vanished from its own store`);
    family.push(snapshot);
    for (const child of await runtime.list({ parentRunId: id, limit: 10_000 })) queue.push(child.id);
  }
  return family;
}

function refused(err: NightshiftError, durationMs: number, decisions: number): CaseObservation {
  return {
    decisions: Array.from({ length: decisions }, (_, i) => ({
      what: `decisions[${i}]`,
      ok: false,
      reason: 'not applied: the run was refused before it started',
      score: 0,
    })),
    runId: null,
    status: 'failed',
    output: null,
    error: { code: err.code, message: err.message },
    calls: [],
    escalations: [],
    steps: 0,
    costUsd: 0,
    durationMs,
  };
}
