// A loaded Role built by hand, for tests that call tools directly (no role file, no loader).
import { Budget, Continuous, Limits, NotifyConfig, Retry, type Role, Scope } from '../../src/roles/schema.js';
import { noSecrets } from '../../src/tools/secrets.js';
import type { ScopeContext, ToolContext } from '../../src/tools/types.js';

/** A role at `full` autonomy with the fs tools and no workspace unless `overrides` give one. */
export function testRole(overrides: Partial<Role> = {}): Role {
  return {
    name: 'test-role',
    description: 'a role built by a test',
    autonomy: 'full',
    model: 'script:none',
    instructions: 'Do what the test says.',
    tools: ['fs.read', 'fs.list', 'fs.write'],
    toolModules: [],
    workspace: undefined,
    escalation: [],
    // Defaults come from the schema, so they follow it when it changes.
    budget: Budget.parse({}),
    output: undefined,
    scope: Scope.parse({}),
    limits: Limits.parse({}),
    secrets: [],
    notify: NotifyConfig.parse({}),
    mcp: [],
    triggers: [],
    input: undefined,
    mode: 'job',
    concurrency: undefined,
    retry: Retry.parse({}),
    continuous: Continuous.parse({}),
    emit: [],
    secretsFile: undefined,
    version: '0000000000000000',
    source: { file: undefined, dir: process.cwd() },
    inlineTools: [],
    ...overrides,
  };
}

/** The context a tool's run() gets, for a role (its workspace is the role's). */
export function toolContext(role: Role): ToolContext {
  return {
    role,
    runId: 'run_test',
    idempotencyKey: 'run_test:1:0',
    fencingToken: 1,
    workspace: role.workspace,
    signal: new AbortController().signal,
    secrets: noSecrets,
  };
}

/** The context a tool's scope check gets, for a role. */
export function scopeContext(role: Role): ScopeContext {
  return { role, workspace: role.workspace };
}
