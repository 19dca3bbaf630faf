// defineRole: the same role as a YAML file, from TypeScript. Tools may be given as names or as tool objects.
import { resolve } from 'node:path';
import { formatPath, zodIssues } from '../config/zod-issues.js';
import { type Issue, RoleInvalidError } from '../errors.js';
import { loadScript } from '../models/script/script-file.js';
import { builtinTools } from '../tools/builtin/index.js';
import { isTool } from '../tools/define.js';
import type { AnyTool } from '../tools/types.js';
import { assembleRole, resolveRolePaths, unmatchableRuleTools } from './load.js';
import { mcpNameClashes } from './mcp-names.js';
import { type Role, RoleSpec, type RoleSpecInput } from './schema.js';
import { workspaceToolIssues } from './workspace-tools.js';

export type DefineRoleInput = Omit<RoleSpecInput, 'tools'> & { tools?: (string | AnyTool)[] };

/**
 * Defines a role in code. Paths (script, workspace, tool modules) are relative to `options.dir`
 * (default: the working directory). Throws RoleInvalidError listing every problem, by key path.
 * Synchronous, so tool names given as strings are checked when a run resolves its tools (TOOL_NOT_FOUND),
 * not here; tool objects are kept in `role.inlineTools`. A built-in workspace tool (fs.*, shell.exec)
 * listed without `workspace` is refused, unless an inline tool or a tool module may replace it.
 *
 * @example
 * const role = defineRole({
 *   name: 'refund-desk', description: 'Answers refund requests', autonomy: 'draft',
 *   model: 'anthropic:claude-sonnet-4-5', instructions: 'You handle refund requests...',
 *   tools: ['fs.read', issueRefund], workspace: './workspace',
 * });
 */
export function defineRole(input: DefineRoleInput, options: { dir?: string } = {}): Role {
  const dir = resolve(options.dir ?? process.cwd());
  // Plain JavaScript callers can pass anything: a role file's path, null, `tools` as one string. Say so
  // as a ROLE_INVALID issue rather than a TypeError from deep inside.
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    const got = input === null ? 'null' : Array.isArray(input) ? 'an array' : typeof input;
    const hint = typeof input === 'string' ? ' (to run a role file, pass its path to runtime.run)' : '';
    throw new RoleInvalidError([
      { path: '', message: `defineRole expects a role object, got ${got}${hint}` },
    ]);
  }
  if (input.tools !== undefined && !Array.isArray(input.tools)) {
    throw new RoleInvalidError([
      { path: 'tools', message: 'expected a list of tool names or defineTool results' },
    ]);
  }
  const inlineTools: AnyTool[] = [];
  const tools = (input.tools ?? []).map((t) => {
    if (isTool(t)) {
      inlineTools.push(t);
      return t.name;
    }
    return t;
  });
  const raw = { ...input, tools };
  const parsed = RoleSpec.safeParse(raw);
  if (!parsed.success) {
    throw new RoleInvalidError(zodIssues(undefined, raw, RoleSpec, parsed.error.issues as never));
  }
  const spec = parsed.data;
  const issues: Issue[] = [];
  const resolved = resolveRolePaths(spec, dir, (path, message) =>
    issues.push({ path: formatPath(path), message }),
  );
  unmatchableRuleTools(spec, (path, message) => issues.push({ path: formatPath(path), message }));
  // An inline tool replaces the built-in of its name. Tool modules are not loaded here (this is
  // synchronous): a role that names any is not judged, as its tool names are not; a call of a built-in fs
  // tool without a workspace is still denied at run time, naming the tool.
  if (spec.toolModules.length === 0) {
    const inline = new Set(inlineTools.map((t) => t.name));
    const missing = workspaceToolIssues(
      spec.tools,
      spec.workspace !== undefined,
      (name) => inline.has(name),
      'options.dir, by default the working directory',
    );
    for (const [i, message] of missing) issues.push({ path: formatPath(['tools', i]), message });
  }
  // Tool modules are loaded when a run resolves its tools, which refuses a clash with theirs then.
  const taken = new Set([...builtinTools.map((t) => t.name), ...inlineTools.map((t) => t.name)]);
  for (const { path, message } of mcpNameClashes(spec.mcp, taken))
    issues.push({ path: formatPath(path), message });
  if (resolved.scriptFile) {
    try {
      loadScript(resolved.scriptFile);
    } catch (err) {
      if (RoleInvalidError.isInstance(err)) issues.push(...err.issues);
      else throw err;
    }
  }
  // Specialists are role files, loaded (and checked for cycles) with the file that lists them.
  if (spec.specialists.length > 0)
    issues.push({
      path: 'specialists',
      message:
        'specialists are loaded from role files: list them in a role file and load it with loadRoleFile',
    });
  if (issues.length > 0) throw new RoleInvalidError(issues);
  return assembleRole(spec, resolved, { file: undefined, dir }, inlineTools);
}
