// The roles a runtime knows: the ones it was given (so runs of defineRole roles, whose inline tools are
// not in the store, can be continued), their prepared form (tools resolved, model built; one per role
// version and model, shared by every run), and the role a stored run belongs to.
import { type PreparedRole, prepareRole } from '../engine/prepare.js';
import { roleFromRecord } from '../engine/start.js';
import { NightshiftError } from '../errors.js';
import { idForMessage } from '../message-text.js';
import type { ModelSettings } from '../models/resolve.js';
import type { Role } from '../roles/schema.js';
import type { RunRecord, Store } from '../store/types.js';
import { loadSecrets, type Redactor, redactorFor, type Secrets, scrubbedValues } from '../tools/secrets.js';
import { assertStoreOutsideWorkspace } from '../tools/store-layout.js';

export interface KnownRoles {
  /** Keeps the role so its runs can be continued by this runtime later. */
  remember(role: Role): void;
  /** The role prepared for `model` (default: its own), cached; a failed preparation is tried again next time. */
  prepare(role: Role, model?: string): Promise<PreparedRole>;
  /** The run and its role: `given`, else a role this runtime knows, else the version kept in the store. */
  ofRun(runId: string, given?: Role, knownRun?: RunRecord): Promise<{ role: Role; run: RunRecord }>;
  /** Refuses a role whose workspace holds the embedded store (ROLE_INVALID). */
  assertStoreOutside(role: Role): void;
  /**
   * What a role's commands must not see: the store, the config, and every role's secrets and (for the
   * others) workspace that this runtime knows of.
   */
  protectedPaths(role: Role): string[];
  /**
   * Scrubs a role's secret values as this process can read them (its secrets file, this environment), for
   * input recorded without preparing the role. Values only the serving process has cannot be scrubbed here.
   */
  readableSecrets(role: Role): Redactor | undefined;
  /**
   * The secrets `role` declares that are not set in this process (its secrets file, this environment).
   * A secrets file that cannot be read is left to preparing the role, which says why.
   */
  unsetSecrets(role: Role): string[];
  /** Releases what prepared roles hold (MCP servers, model clients). */
  dispose(): Promise<void>;
}

export function createKnownRoles(o: {
  store: Store;
  env: NodeJS.ProcessEnv;
  models: ModelSettings | undefined;
  /** The embedded store's folder, when this runtime opened it: no role's workspace may contain it. */
  dataDir: string | undefined;
  /** Host paths besides the ones the runtime knows (RuntimeOptions.protectedPaths). */
  protectedPaths: string[] | undefined;
  /** RuntimeOptions.onRoleSecrets. */
  onRoleSecrets?: ((values: readonly string[]) => void) | undefined;
}): KnownRoles {
  const prepared = new Map<string, Promise<PreparedRole>>();
  const known = new Map<string, Role>();
  const assertStoreOutside = (role: Role) => {
    if (o.dataDir) assertStoreOutsideWorkspace(role, o.dataDir);
  };
  function protectedPathsOf(role: Role): string[] {
    const paths = [...(o.protectedPaths ?? [])];
    if (o.dataDir) paths.push(o.dataDir);
    for (const other of [role, ...known.values()]) {
      if (other.secretsFile) paths.push(other.secretsFile);
      if (other.name !== role.name && other.workspace && other.workspace !== role.workspace)
        paths.push(other.workspace);
    }
    return paths;
  }
  return {
    remember(role) {
      known.set(`${role.name}@${role.version}`, role);
    },
    prepare(role, model) {
      const key = `${role.name}@${role.version}|${model ?? role.model}`;
      let p = prepared.get(key);
      if (!p) {
        p = Promise.resolve()
          .then(() => assertStoreOutside(role))
          .then(() =>
            prepareRole(role, { model, env: o.env, config: o.models, protectedPaths: protectedPathsOf }),
          )
          .then((ready) => {
            o.onRoleSecrets?.(preparedSecretValues(ready));
            return ready;
          });
        p.catch(() => prepared.delete(key));
        prepared.set(key, p);
      }
      return p;
    },
    async ofRun(runId, given, knownRun) {
      const run = knownRun ?? (await o.store.getRun(runId));
      if (!run)
        throw new NightshiftError('RUN_NOT_FOUND', `no run ${idForMessage(runId)} (see nightshift runs)`);
      if (given) {
        // What drives a run may not change (engine/start.ts): the role given must be the version the run
        // was recorded with, or its calls would be judged by another role's rungs and tools than the
        // ledger says.
        if (given.name !== run.role || given.version !== run.roleVersion)
          throw new NightshiftError(
            'USAGE',
            `run ${idForMessage(runId)} was recorded with role ${run.role}@${run.roleVersion}; the role given is ${given.name}@${given.version}: give the role as it was when the run started; nothing was changed`,
          );
        return { role: given, run };
      }
      const mem = known.get(`${run.role}@${run.roleVersion}`);
      if (mem) return { role: mem, run };
      const stored = await o.store.getRoleVersion(run.role, run.roleVersion);
      if (!stored)
        throw new NightshiftError(
          'RUN_NOT_RESUMABLE',
          `run ${runId}: role version ${run.role}@${run.roleVersion} is not in the store`,
        );
      return { role: roleFromRecord(stored), run };
    },
    assertStoreOutside,
    protectedPaths: protectedPathsOf,
    readableSecrets(role) {
      try {
        return redactorFor(loadSecrets(role, o.env));
      } catch {
        return undefined;
      }
    },
    unsetSecrets(role) {
      let secrets: Secrets;
      try {
        secrets = loadSecrets(role, o.env);
      } catch {
        return [];
      }
      return secrets.names.filter((name) => secrets.get(name) === undefined);
    },
    async dispose() {
      const ready = await Promise.allSettled(prepared.values());
      await Promise.allSettled(ready.flatMap((r) => (r.status === 'fulfilled' ? [r.value.dispose()] : [])));
    },
  };
}

/** The secret values a prepared role holds, its specialists' at any depth. */
function preparedSecretValues(ready: PreparedRole): string[] {
  const values: string[] = [];
  const visit = (p: PreparedRole) => {
    values.push(...scrubbedValues(p.secrets));
    for (const s of p.specialists.values()) visit(s);
  };
  visit(ready);
  return values;
}
