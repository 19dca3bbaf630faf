// Loading a role file: strict validation with every problem reported at its line, then the checks that
// need the file system (script, workspace, tool modules, tool names), then the version.
import { existsSync, statSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import { byLine, parseYamlText, readYamlText, type YamlSource } from '../config/yaml-file.js';
import { validateJson } from '../engine/output.js';
import { type Issue, NightshiftError, RoleInvalidError } from '../errors.js';
import { loadScript } from '../models/script/script-file.js';
import { secretNameForMessage } from '../secret-name.js';
import { builtinTools } from '../tools/builtin/index.js';
import { loadToolModules } from '../tools/modules.js';
import { SANDBOX_PATH } from '../tools/sandbox/bubblewrap.js';
import type { AnyTool } from '../tools/types.js';
import { cronProblem } from '../triggers/cron.js';
import { conditionToolNames, regexProblems } from './conditions.js';
import {
  checkEvalSuite,
  checkManagerFile,
  checkScriptFile,
  checkSecretsFile,
  checkToolModule,
  checkWorkspace,
  missingFilesOfRaw,
} from './files-early.js';
import { compileJsonSchema } from './json-schema.js';
import { mcpNameClashes, mcpToolNames } from './mcp-names.js';
import { inWorkspace, realOr } from './real-paths.js';
import { roleRegex } from './role-regex.js';
import {
  DEFAULT_MANAGER_TIMEOUT_MS,
  durationMs,
  type ManagerSettings,
  type Role,
  RoleSpec,
} from './schema.js';
import { Scope } from './settings.js';
import {
  DELEGATE_PREFIX,
  loadSpecialists,
  type SpecialistChain,
  withSpecialistVersions,
} from './specialists.js';
import { toolNamesOfRaw, unknownTools } from './tool-names-early.js';
import { roleVersion } from './version.js';
import { workspaceToolIssues } from './workspace-tools.js';

export const MODEL_PROVIDERS = [
  'script',
  'anthropic',
  'openai',
  'openai-chat',
  'openai-compatible',
  'custom',
  'claude-code',
  'codex',
] as const;

/** ajv's complaint about a JSON Schema, or undefined when it compiles. */
function schemaProblem(schema: Record<string, unknown>): string | undefined {
  try {
    compileJsonSchema(schema);
    return undefined;
  } catch (err) {
    return `not a valid JSON Schema: ${(err as Error).message}`;
  }
}

type AddIssue = (path: (string | number)[], message: string) => void;

interface Resolved {
  secretsFile: string | undefined;
  model: string;
  /** Absolute path of the model script, when the model is `script:` and the file exists. */
  scriptFile: string | undefined;
  workspace: string | undefined;
  toolModules: string[];
  manager: ManagerSettings | undefined;
  evals?: string | undefined;
}

/** `when.all[0].matches` → ['when', 'all', 0, 'matches']. */
function pathSegments(path: string): (string | number)[] {
  return path.split(/\.|(?=\[)/).map((seg) => (seg.startsWith('[') ? Number(seg.slice(1, -1)) : seg));
}

/**
 * The tools a role has without listing them: `escalate`, and those a role run as a manager is given
 * (managers/decision-tools.ts, managers/draft-tools.ts). `delegate.<specialist>` is one of `specialists`
 * (their names, once loaded).
 */
const IMPLICIT_TOOLS: ReadonlySet<string> = new Set([
  'escalate',
  'escalation.answer',
  'escalation.allow',
  'escalation.deny',
  'approval.approve',
  'approval.reject',
]);

/**
 * Escalation conditions on a tool the role does not have. Such a call is denied before any rule is
 * looked at, so the condition never sees one: almost always a misspelt name (`refunds.isue`), which
 * would otherwise switch the rule off without a word while the real tool runs unescalated.
 */
export function unmatchableRuleTools(
  spec: RoleSpec,
  add: AddIssue,
  specialists: readonly string[] = [],
  /** Names not to judge (the list they would be checked against is itself in doubt). */
  unsure: (name: string) => boolean = () => false,
): void {
  const has = new Set([...spec.tools, ...mcpToolNames(spec.mcp), ...IMPLICIT_TOOLS]);
  const tools = [...spec.tools, ...mcpToolNames(spec.mcp)].join(', ') || 'none';
  spec.escalation.forEach((rule, i) => {
    for (const { path, name } of conditionToolNames(rule.when)) {
      const delegation = name.startsWith(DELEGATE_PREFIX);
      if (delegation ? specialists.includes(name.slice(DELEGATE_PREFIX.length)) : has.has(name)) continue;
      if (unsure(name)) continue;
      const known = delegation
        ? `this role's specialists are ${specialists.join(', ') || 'none'}`
        : `this role's tools are ${tools}`;
      add(
        ['escalation', i, ...pathSegments(path)],
        `'${name}' is not a tool of this role (${known}): its calls are denied before any rule is looked at, so this condition never sees one (a misspelt name?)`,
      );
    }
  });
}

function isFile(path: string): boolean {
  return existsSync(path) && statSync(path).isFile();
}

function isDirectory(path: string): boolean {
  return existsSync(path) && statSync(path).isDirectory();
}

/**
 * Programs that run code a folder argument names (node's index.js or package.json main, python's
 * __main__.py, a package runner's package): a workspace folder in their script position is model code.
 */
const RUNS_A_FOLDER =
  /^(node|nodejs|bun|deno|tsx|ts-node|npx|npm|pnpm|yarn|python[0-9.]*|pypy[0-9.]*|uv|uvx|ruby|perl|php|java)$/;

/** Where a bare command name is found on the sandbox's PATH, as shell.exec looks it up; else undefined. */
function onSandboxPath(name: string): string | undefined {
  if (name.includes('/')) return undefined;
  for (const dir of SANDBOX_PATH.split(':')) {
    const candidate = join(dir, name);
    if (existsSync(candidate)) return candidate;
  }
  return undefined;
}

/**
 * What is wrong with `scope.commands` entries on their own (no workspace needed): a relative program, an
 * argument pattern that is no regular expression. Shared by a valid role and by one whose shape is wrong
 * elsewhere (commandIssuesOfRaw), so `validate` reports them with the shape's problems.
 */
function commandRuleIssues(commands: Scope['commands'], issue: AddIssue): void {
  commands.forEach((rule, i) => {
    // shell.exec takes a bare name or an absolute path (shell-exec.ts): `./run.sh` or `bin/x` would be
    // denied at every call, so the entry is refused here, where the author sees it, like a host that
    // can never match.
    const program = typeof rule === 'string' ? rule : rule.program;
    if (program.includes('/') && !isAbsolute(program))
      issue(
        typeof rule === 'string' ? ['scope', 'commands', i] : ['scope', 'commands', i, 'program'],
        `expected a bare name (git, looked up on /usr/local/bin:/usr/bin:/bin) or an absolute path, got '${program}': a relative path never runs (every call of it is denied)`,
      );
    if (typeof rule === 'string') return;
    rule.args?.forEach((re, j) => {
      try {
        roleRegex(re);
      } catch (err) {
        issue(['scope', 'commands', i, 'args', j], `invalid regular expression: ${(err as Error).message}`);
      }
    });
  });
}

/** commandRuleIssues for a file whose shape is wrong, when its `scope.commands` itself is well formed. */
function commandIssuesOfRaw(source: YamlSource): Issue[] {
  const raw = source.data() as { scope?: { commands?: unknown } } | null;
  if (typeof raw?.scope !== 'object' || raw.scope === null) return [];
  const commands = Scope.shape.commands.safeParse(raw.scope.commands);
  if (!commands.success) return [];
  const issues: Issue[] = [];
  commandRuleIssues(commands.data, (path, message) => issues.push(source.issue(path, message)));
  return issues;
}

/**
 * The checks that need the disk but not the tools: model, paths, JSON Schemas, regexes, secret names.
 * Adds issues (by key path) instead of throwing. Synchronous, so defineRole can use it too.
 *
 * `roleFile`: the file the role was loaded from (none for defineRole); it defines the role's authority as
 * much as the files it names, so the workspace may not hold it either.
 */
function resolvePaths(spec: RoleSpec, dir: string, issue: AddIssue, roleFile?: string): Resolved {
  let model = spec.model;
  let scriptFile: string | undefined;
  const colon = spec.model.indexOf(':');
  const provider = colon > 0 ? spec.model.slice(0, colon) : '';
  const rest = colon > 0 ? spec.model.slice(colon + 1) : '';
  if (!(MODEL_PROVIDERS as readonly string[]).includes(provider) || rest.trim() === '') {
    issue(
      ['model'],
      `expected <provider>:<model>, with provider one of ${MODEL_PROVIDERS.join('|')}, got '${spec.model}'`,
    );
  } else if (provider === 'script') {
    const script = checkScriptFile(rest, dir);
    if (script.problem) issue(['model'], script.problem);
    else {
      scriptFile = script.abs;
      model = `script:${script.abs}`;
    }
  }
  if (spec.executor?.codexSandbox === 'danger-full-access' && spec.autonomy !== 'full') {
    issue(
      ['executor', 'codexSandbox'],
      `danger-full-access turns Codex's sandbox off; it is allowed only at autonomy full (this role is ${spec.autonomy})`,
    );
  }
  if (spec.executor && provider !== 'codex' && provider !== 'claude-code') {
    issue(
      ['executor'],
      `executor settings apply only to claude-code: and codex: models (model is '${spec.model}')`,
    );
  }
  let workspace: string | undefined;
  if (spec.workspace !== undefined) {
    const checked = checkWorkspace(spec.workspace, dir);
    workspace = checked.abs;
    if (checked.problem) issue(['workspace'], checked.problem);
  }
  const toolModules = spec.toolModules.map((m, i) => {
    const checked = checkToolModule(m, dir);
    if (checked.problem) issue(['toolModules', i], checked.problem);
    return checked.abs;
  });
  for (const key of ['output', 'input'] as const) {
    const schema = spec[key];
    const problem = schema === undefined ? undefined : schemaProblem(schema);
    if (problem) issue([key], problem);
  }
  spec.escalation.forEach((rule, i) => {
    for (const p of regexProblems(rule.when)) issue(['escalation', i, ...pathSegments(p.path)], p.message);
  });
  commandRuleIssues(spec.scope.commands, issue);
  const refs: [(string | number)[], string | undefined][] = [
    [['notify', 'slack', 'webhook'], spec.notify.slack?.webhook],
    [['notify', 'slack', 'token'], spec.notify.slack?.token],
    [['notify', 'email', 'user'], spec.notify.email?.user],
    [['notify', 'email', 'password'], spec.notify.email?.password],
    ...Object.entries(spec.notify.webhooks).map(([name, w]): [(string | number)[], string] => [
      ['notify', 'webhooks', name, 'secret'],
      w.secret,
    ]),
  ];
  spec.scope.hosts.forEach((h, i) => {
    if (typeof h !== 'string')
      h.secrets?.forEach((name, j) => {
        refs.push([['scope', 'hosts', i, 'secrets', j], name]);
      });
  });
  spec.triggers.forEach((t, i) => {
    if ('webhook' in t) refs.push([['triggers', i, 'webhook', 'secret'], t.webhook.secret]);
    if ('cron' in t) {
      const problem = cronProblem(t.cron.schedule, t.cron.timezone);
      if (problem) issue(['triggers', i, 'cron', problem.field], problem.message);
      // A tick whose input the role's schema refuses would be refused at every tick (INPUT_INVALID in
      // the log), so the schedule would never start a run: said here, at load, instead.
      if (spec.input !== undefined && schemaProblem(spec.input) === undefined) {
        const check = validateJson(t.cron.input ?? {}, spec.input);
        if (!check.ok)
          issue(
            ['triggers', i, 'cron', 'input'],
            `each tick's input (${t.cron.input === undefined ? '{} when not set' : 'this one'}) does not match the role's input schema: ${check.errors.join('; ')}; give the trigger an input: that does`,
          );
      }
    }
  });
  if (spec.continuous.heartbeatSeconds * 2 > spec.continuous.leaseSeconds)
    issue(
      ['continuous', 'heartbeatSeconds'],
      `${spec.continuous.heartbeatSeconds} s (10 when not set) must be at most half of continuous.leaseSeconds (${spec.continuous.leaseSeconds}), so one late heartbeat does not lose the lease: raise leaseSeconds or lower heartbeatSeconds`,
    );
  for (const [path, name] of refs) {
    if (name !== undefined && !spec.secrets.includes(name))
      issue(path, `secret ${secretNameForMessage(name)} is not listed under secrets:`);
  }
  let manager: ManagerSettings | undefined;
  if (spec.manager !== undefined) {
    const m = typeof spec.manager === 'string' ? { role: spec.manager } : spec.manager;
    const checked = checkManagerFile(m.role, dir);
    manager = {
      file: checked.abs,
      approveDrafts: 'approveDrafts' in m ? m.approveDrafts : false,
      timeoutMs: 'timeout' in m ? durationMs(m.timeout) : DEFAULT_MANAGER_TIMEOUT_MS,
    };
    const at = typeof spec.manager === 'string' ? ['manager'] : ['manager', 'role'];
    if (checked.problem) issue(at, checked.problem);
  }
  let evals: string | undefined;
  if (spec.evals !== undefined) {
    const checked = checkEvalSuite(spec.evals, dir);
    evals = checked.abs;
    if (checked.problem) issue(['evals'], checked.problem);
  }
  let secretsFile: string | undefined;
  if (spec.secretsFile !== undefined) {
    const checked = checkSecretsFile(spec.secretsFile, dir);
    secretsFile = checked.abs;
    if (checked.problem) issue(['secretsFile'], checked.problem);
  }
  const listed = new Set<string>();
  spec.tools.forEach((name, i) => {
    if (name === 'escalate') issue(['tools', i], "'escalate' is always available; do not list it");
    else if (name.startsWith(DELEGATE_PREFIX))
      issue(
        ['tools', i],
        `'${DELEGATE_PREFIX}' names the tools of specialists; list the role under specialists:`,
      );
    else if (listed.has(name)) issue(['tools', i], `tool '${name}' is listed twice`);
    listed.add(name);
  });
  // The files that define the role's authority must not be writable by its own tools.
  if (workspace !== undefined) {
    const guarded: [string, string | undefined][] = [
      ['its own role file', roleFile],
      ['its model script', scriptFile],
      ['its secrets file', secretsFile],
      ['its manager role file', manager?.file],
      // A specialist edited to `autonomy: full` would run so at the next delegation of a new run.
      ...spec.specialists.map((s): [string, string] => ["a specialist's role file", resolve(dir, s)]),
      ...toolModules.map((m): [string, string] => ['a tool module', m]),
    ];
    for (const [what, file] of guarded) {
      if (file !== undefined && inWorkspace(workspace, file)) {
        issue(
          ['workspace'],
          `the workspace contains ${what} (${file}); a role's tools could rewrite what it may do`,
        );
      }
    }
    // A stdio MCP server runs outside the sandbox as nightshift's own user: a program or script of it that
    // the role can write would run model-authored code there at the next start.
    spec.mcp.forEach((server, i) => {
      const command = server.command ?? [];
      const runsFolders = command[0] !== undefined && RUNS_A_FOLDER.test(basename(command[0]));
      let positional = 0;
      command.forEach((part, j) => {
        // A bare program name is looked up on PATH, not here.
        if (j === 0 && !part.includes('/')) return;
        // `--require=./ws/x.js`: the value after `=` is checked as the argument would be.
        const option = j > 0 && part.startsWith('-');
        const value = option ? part.slice(part.indexOf('=') + 1) : part;
        if (option && !part.includes('=')) return;
        if (j > 0 && !option) positional++;
        const abs = resolve(dir, value);
        if (!inWorkspace(workspace, abs)) return;
        // A server may well be given the workspace, or a folder in it, to serve; but a folder in the script
        // position of a program that runs folders, a file, or a path not there yet (the model could create
        // it before the next start) is code the role's tools can write.
        if (j > 0 && isDirectory(abs) && !(runsFolders && !option && positional === 1)) return;
        issue(
          ['mcp', i, 'command', j],
          `the MCP server ${server.name} runs ${part} (${realOr(abs)}), which is inside the workspace the role's own tools can write: it could be written or rewritten and would then run outside the sandbox at the next start; keep server files outside the workspace`,
        );
      });
    });
    // An allowlisted program the role can write is no allowlist: fs.write over it, then shell.exec runs
    // model-authored code. Checked again at each call (shell-exec.ts), as a link may point there later.
    spec.scope.commands.forEach((rule, i) => {
      const program = typeof rule === 'string' ? rule : rule.program;
      const at = typeof rule === 'string' ? ['scope', 'commands', i] : ['scope', 'commands', i, 'program'];
      const found = isAbsolute(program) ? program : onSandboxPath(program);
      if (found !== undefined && inWorkspace(workspace, found)) {
        issue(
          at,
          `the allowlisted program ${program} (${realOr(found)}) is inside the workspace, which the role's own tools can write: it could be rewritten and then run; install it outside the workspace (e.g. /usr/local/bin) or run it through an interpreter the role allows`,
        );
      }
    });
  }
  return { model, scriptFile, workspace, toolModules, secretsFile, manager, evals };
}

export interface LoadRoleOptions {
  /** Tool modules named by the project config (absolute paths), available to every role. */
  projectToolModules?: readonly string[] | undefined;
  /** The orchestrators being loaded above this role (when it is loaded as a specialist). */
  chain?: SpecialistChain | undefined;
  /**
   * The file's text, instead of reading it: a role that does not exist on disk yet but lives at `file`
   * (the improve loop's candidate, whose relative paths mean what the role file's mean).
   */
  text?: string | undefined;
}

/**
 * Loads and validates a role file. Throws RoleInvalidError listing every problem as
 * `file:line key: message` (file as given here), or ROLE_NOT_FOUND. Paths in the role are relative to
 * the role file and come back absolute.
 *
 * @example
 * const role = await loadRoleFile('roles/refund-desk.yaml');
 */
export async function loadRoleFile(file: string, options: LoadRoleOptions = {}): Promise<Role> {
  const displayPath = file;
  const abs = resolve(file);
  const text = options.text ?? readYamlText(abs, displayPath, 'role');
  const parsed = parseYamlText(text, displayPath, RoleSpec);
  if (!parsed.ok) {
    // Not when a key that may have been meant to name tools is itself misspelt (`toolModule:`): the
    // names it would have made available would be reported as unknown.
    const toolKeyMisspelt = parsed.issues.some(
      (i) => /^unknown key/.test(i.message) && /tool|mcp|module/i.test(i.path),
    );
    // Nor a missing workspace when `workspace:` itself may be the misspelt key (`workspce:`).
    const workspaceKeyMisspelt = parsed.issues.some(
      (i) => /^unknown key/.test(i.message) && /'workspace'/.test(i.message),
    );
    const early =
      parsed.source && !toolKeyMisspelt
        ? await earlyIssues(
            parsed.source,
            dirname(abs),
            options.projectToolModules,
            workspaceKeyMisspelt,
          ).catch(() => [])
        : [];
    // The files it names are looked for whatever else is wrong: a missing one is as independent a
    // problem as the shape's.
    const files = parsed.source ? missingFilesOfRaw(parsed.source, dirname(abs)) : [];
    // So are entries of a well-formed `scope.commands` that could never run.
    const commands = parsed.source ? commandIssuesOfRaw(parsed.source) : [];
    throw new RoleInvalidError(byLine([...parsed.issues, ...files, ...early, ...commands]), displayPath);
  }
  const { value: spec, source } = parsed;
  const issues: Issue[] = [];
  const add: AddIssue = (path, message) => issues.push(source.issue(path, message));
  const dir = dirname(abs);
  const resolved = resolvePaths(spec, dir, add, abs);

  if (resolved.scriptFile) {
    // The script's own problems are reported at its lines, under the path the user would open.
    const written = spec.model.slice('script:'.length);
    const scriptDisplay = isAbsolute(written) ? written : join(dirname(displayPath), written);
    try {
      loadScript(resolved.scriptFile, scriptDisplay);
    } catch (err) {
      if (RoleInvalidError.isInstance(err)) issues.push(...err.issues);
      else throw err;
    }
  }

  // Tool names are checked against what really exists: built-ins, MCP tools and the modules' exports.
  // A module that is missing or fails to load leaves the list unknown, so names are then not checked.
  const project = (options.projectToolModules ?? []).filter((m) => !resolved.toolModules.includes(m));
  const available = new Set<string>([...builtinTools.map((t) => t.name), ...mcpToolNames(spec.mcp)]);
  const notMcp = new Set<string>(builtinTools.map((t) => t.name));
  const fromModules = new Set<string>();
  let complete = resolved.toolModules.every(isFile);
  for (const [i, module] of [...project, ...resolved.toolModules].entries()) {
    if (!isFile(module)) continue;
    try {
      for (const t of await loadToolModules([module])) {
        available.add(t.name);
        notMcp.add(t.name);
        fromModules.add(t.name);
      }
    } catch (err) {
      if (!NightshiftError.isInstance(err)) throw err;
      complete = false;
      const at = i - project.length;
      if (at >= 0) add(['toolModules', at], err.message);
      else issues.push({ path: '', message: `project tool module: ${err.message}` });
    }
  }
  for (const { path, message } of mcpNameClashes(spec.mcp, notMcp)) add(path, message);
  const unknown = complete ? unknownTools(spec.tools, available) : [];
  for (const [i, message] of unknown) add(['tools', i], message);
  // Also only with every module loaded: the one that failed may be what replaces a built-in fs tool.
  if (complete)
    for (const [i, message] of workspaceToolIssues(spec.tools, spec.workspace !== undefined, (name) =>
      fromModules.has(name),
    ))
      add(['tools', i], message);
  const specialists = await loadSpecialists(
    spec.specialists,
    { name: spec.name, file: abs, dir, maxDepth: spec.delegation.maxDepth },
    options.chain,
    // A specialist is its own file: `text` was this file's, never theirs.
    (f, chain) => loadRoleFile(f, { ...options, text: undefined, chain }),
    add,
  );
  // Reported with the list's own problems, not after they are fixed, except where it could be the list
  // that is wrong: while `tools` names a tool that does not exist (`refunds.isue`), a rule on a real
  // tool (`refunds.issue`) may be right and the list wrong, which is already said; a name that is no
  // tool at all is wrong either way. A specialist that failed to load is reported already too; its
  // delegate tool is then not known.
  const specialistsLoaded = specialists.length === spec.specialists.length;
  unmatchableRuleTools(
    spec,
    add,
    specialists.map((s) => s.name),
    (name) =>
      name.startsWith(DELEGATE_PREFIX) ? !specialistsLoaded : unknown.length > 0 && available.has(name),
  );
  if (issues.length > 0) throw new RoleInvalidError(issues, displayPath);

  // Project-wide modules come first, so a role's own module can override a tool of the same name.
  return assembleRole(
    spec,
    { ...resolved, toolModules: [...project, ...resolved.toolModules] },
    { file: abs, dir },
    [],
    specialists,
  );
}

/**
 * What can be told of a file whose shape is wrong, from its raw YAML (tool-names-early.ts): unknown names
 * in `tools:`, workspace tools listed without a workspace, and escalation rules on a tool the list lacks,
 * when `escalation:` itself is well formed.
 */
async function earlyIssues(
  source: YamlSource,
  dir: string,
  projectToolModules: readonly string[] | undefined,
  workspaceKeyMisspelt: boolean,
): Promise<Issue[]> {
  const names = await toolNamesOfRaw(source, dir, projectToolModules);
  if (!names) return [];
  const raw = source.data() as Record<string, unknown>;
  const hasWorkspace = raw.workspace !== undefined || workspaceKeyMisspelt;
  const workspace = workspaceToolIssues(names.listed, hasWorkspace, (name) =>
    names.fromModules.has(name),
  ).map(([i, message]) => source.issue(['tools', i], message));
  const rules = RoleSpec.shape.escalation.safeParse(raw.escalation);
  if (!rules.success) return [...names.unknown, ...workspace];
  const issues = [...names.unknown, ...workspace];
  unmatchableRuleTools(
    { tools: names.tools, mcp: [], escalation: rules.data } as unknown as RoleSpec,
    (path, message) => issues.push(source.issue(path, message)),
    [],
    // Specialists are known only from a valid role; a real tool may be right while the list is wrong.
    (name) => name.startsWith(DELEGATE_PREFIX) || (names.unknown.length > 0 && names.available.has(name)),
  );
  return issues;
}

/** The Role the engine runs, from a validated spec and its resolved paths (shared with defineRole). */
export function assembleRole(
  spec: RoleSpec,
  resolved: Resolved,
  source: Role['source'],
  inlineTools: AnyTool[],
  specialists: Role[] = [],
): Role {
  return {
    name: spec.name,
    description: spec.description,
    autonomy: spec.autonomy,
    model: resolved.model,
    instructions: spec.instructions,
    tools: [...new Set([...spec.tools, ...mcpToolNames(spec.mcp)])],
    toolModules: resolved.toolModules,
    workspace: resolved.workspace,
    escalation: spec.escalation,
    ...(spec.escalate ? { escalate: spec.escalate } : {}),
    budget: spec.budget,
    output: spec.output,
    scope: spec.scope,
    limits: spec.limits,
    secrets: spec.secrets,
    notify: spec.notify,
    mcp: spec.mcp,
    triggers: spec.triggers,
    input: spec.input,
    mode: spec.mode,
    concurrency: spec.concurrency,
    retry: spec.retry,
    continuous: spec.continuous,
    emit: spec.emit,
    ...(spec.executor ? { executor: spec.executor } : {}),
    ...(resolved.manager ? { manager: resolved.manager } : {}),
    ...(resolved.evals ? { evals: resolved.evals } : {}),
    secretsFile: resolved.secretsFile,
    version: withSpecialistVersions(
      roleVersion(spec, { script: resolved.scriptFile, toolModules: resolved.toolModules }, inlineTools),
      specialists,
    ),
    ...(specialists.length > 0 ? { specialists, delegation: spec.delegation } : {}),
    source,
    inlineTools,
  };
}

export { resolvePaths as resolveRolePaths };
