// Calling shell.exec the way the engine does (scope check, then run) for a role made with defineRole, and
// the unsandboxed roles (`unsandboxedExec` on a host without bubblewrap) some of these tests call it for.

import { type DefineRoleInput, defineRole } from '../../src/roles/define.js';
import type { Role } from '../../src/roles/schema.js';
import type { ExecResult } from '../../src/tools/builtin/shell-exec.js';
import { shellExec } from '../../src/tools/builtin/shell-exec.js';
import { loadSecrets } from '../../src/tools/secrets.js';
import type { ScopeVerdict, ToolContext } from '../../src/tools/types.js';

export async function execIn(
  role: Role,
  args: Record<string, unknown>,
  options: { env?: NodeJS.ProcessEnv; protectedPaths?: string[] } = {},
): Promise<{ verdict: ScopeVerdict; result?: ExecResult }> {
  const parsed = shellExec.input.parse(args);
  const verdict = await shellExec.scope!(parsed, { role, workspace: role.workspace });
  if (verdict.kind !== 'inside') return { verdict };
  return { verdict, result: await shellExec.run(parsed, shellContext(role, options)) };
}

/** The context the engine gives shell.exec's run, for a test that acts between the check and the run. */
export function shellContext(
  role: Role,
  options: { env?: NodeJS.ProcessEnv; protectedPaths?: string[] } = {},
): ToolContext {
  return {
    role,
    runId: 'run_x',
    idempotencyKey: 'run_x:1:0',
    fencingToken: 1,
    workspace: role.workspace,
    signal: new AbortController().signal,
    secrets: loadSecrets(role, options.env ?? {}),
    protectedPaths: options.protectedPaths ?? [],
  };
}

type Commands = NonNullable<NonNullable<DefineRoleInput['scope']>['commands']>;

/** A role whose only tool is shell.exec, its workspace `ws` in `dir`. */
function shellRole(
  name: string,
  autonomy: 'sandbox' | 'full',
  scope: NonNullable<DefineRoleInput['scope']>,
  dir: string,
): Role {
  return defineRole(
    {
      name,
      description: 'd',
      autonomy,
      model: 'openai:unused',
      instructions: 'i',
      tools: ['shell.exec'],
      workspace: './ws',
      scope,
    },
    { dir },
  );
}

/** A role at `sandbox` whose shell.exec runs `commands` in bubblewrap, its workspace `ws` in `dir`. */
export function sandboxedRole(name: string, commands: Commands, dir: string): Role {
  return shellRole(name, 'sandbox', { commands }, dir);
}

/**
 * A role at `full` whose shell.exec runs `commands` without a sandbox when bubblewrap cannot run
 * (`unsandboxedExec`; see withoutBubblewrap), its workspace `ws` in `dir`.
 */
export function unsandboxedRole(name: string, commands: Commands, dir: string): Role {
  return shellRole(name, 'full', { commands, unsandboxedExec: true }, dir);
}

/**
 * Runs `fn` as on a host without bubblewrap (NIGHTSHIFT_BWRAP names no file), where an unsandboxedRole's
 * commands run unsandboxed (`sandbox: 'none'`) and the checks before them are the ones that hold there.
 */
export async function withoutBubblewrap<T>(fn: () => Promise<T>): Promise<T> {
  process.env.NIGHTSHIFT_BWRAP = '/nonexistent/bwrap';
  try {
    return await fn();
  } finally {
    delete process.env.NIGHTSHIFT_BWRAP;
  }
}
