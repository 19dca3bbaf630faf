// Calling shell.exec the way the engine does (scope check, then run) for a role made with defineRole.

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
