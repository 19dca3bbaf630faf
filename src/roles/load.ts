// Loading a role file: strict validation with every problem reported at its line, then the checks that
// need the file system (script, workspace, tool modules, tool names), then the version.
import { existsSync, statSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { Ajv } from 'ajv';
import { parseYamlText, readYamlText, type YamlSource } from '../config/yaml-file.js';
import { type Issue, NightshiftError, RoleInvalidError } from '../errors.js';
import { loadScript } from '../models/script/script-file.js';
import { availableTools } from '../tools/registry.js';
import { cronProblem } from '../triggers/cron.js';
import { regexProblems } from './conditions.js';
import { mcpToolNames } from './mcp-names.js';
import { type Role, RoleSpec } from './schema.js';
import { roleVersion } from './version.js';

export const MODEL_PROVIDERS = [
  'script',
  'anthropic',
  'openai',
  'openai-compatible',
  'claude-code',
  'codex',
] as const;

const ajv = new Ajv({ strict: false, allErrors: true });

interface Resolved {
  secretsFile: string | undefined;
  model: string;
  scriptFile: string | undefined;
  workspace: string | undefined;
  toolModules: string[];
}

/** Checks that need the disk. Adds issues (with lines) instead of throwing. */
function resolvePaths(
  spec: RoleSpec,
  dir: string,
  issue: (path: (string | number)[], message: string) => void,
): Resolved {
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
    scriptFile = resolve(dir, rest);
    if (!existsSync(scriptFile) || !statSync(scriptFile).isFile()) {
      issue(['model'], `script file not found: ${rest} (looked for ${scriptFile})`);
      scriptFile = undefined;
    } else {
      model = `script:${scriptFile}`;
    }
  }
  let workspace: string | undefined;
  if (spec.workspace !== undefined) {
    workspace = resolve(dir, spec.workspace);
    if (!existsSync(workspace) || !statSync(workspace).isDirectory()) {
      issue(['workspace'], `workspace folder not found: ${spec.workspace} (looked for ${workspace})`);
    }
  }
  const toolModules = spec.toolModules.map((m, i) => {
    const abs = isAbsolute(m) ? m : resolve(dir, m);
    if (!existsSync(abs)) issue(['toolModules', i], `tool module not found: ${m} (looked for ${abs})`);
    return abs;
  });
  if (spec.output !== undefined) {
    try {
      ajv.compile(spec.output);
    } catch (err) {
      issue(['output'], `not a valid JSON Schema: ${(err as Error).message}`);
    }
  }
  spec.escalation.forEach((rule, i) => {
    for (const p of regexProblems(rule.when)) issue(['escalation', i, 'when'], `${p.path}: ${p.message}`);
  });
  spec.scope.commands.forEach((rule, i) => {
    if (typeof rule === 'string') return;
    rule.args?.forEach((re, j) => {
      try {
        new RegExp(re);
      } catch (err) {
        issue(['scope', 'commands', i, 'args', j], `invalid regular expression: ${(err as Error).message}`);
      }
    });
  });
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
  spec.triggers.forEach((t, i) => {
    if ('webhook' in t) refs.push([['triggers', i, 'webhook', 'secret'], t.webhook.secret]);
    if ('cron' in t) {
      const problem = cronProblem(t.cron.schedule, t.cron.timezone);
      if (problem) issue(['triggers', i, 'cron', problem.field], problem.message);
    }
  });
  if (spec.input !== undefined) {
    try {
      ajv.compile(spec.input);
    } catch (err) {
      issue(['input'], `not a valid JSON Schema: ${(err as Error).message}`);
    }
  }
  for (const [path, name] of refs) {
    if (name !== undefined && !spec.secrets.includes(name))
      issue(path, `secret ${name} is not listed under secrets:`);
  }
  let secretsFile: string | undefined;
  if (spec.secretsFile !== undefined) {
    secretsFile = resolve(dir, spec.secretsFile);
    if (!existsSync(secretsFile))
      issue(['secretsFile'], `secrets file not found: ${spec.secretsFile} (looked for ${secretsFile})`);
  }
  const listed = new Set<string>();
  spec.tools.forEach((name, i) => {
    if (name === 'escalate') issue(['tools', i], "'escalate' is always available; do not list it");
    if (listed.has(name)) issue(['tools', i], `tool '${name}' is listed twice`);
    listed.add(name);
  });
  return { model, scriptFile, workspace, toolModules, secretsFile };
}

/**
 * Loads and validates a role file. Throws RoleInvalidError listing every problem as
 * `file:line key: message`, or ROLE_NOT_FOUND.
 */
export interface LoadRoleOptions {
  /** Tool modules named by the project config (absolute paths), available to every role. */
  projectToolModules?: readonly string[] | undefined;
}

export async function loadRoleFile(file: string, options: LoadRoleOptions = {}): Promise<Role> {
  const displayPath = file;
  const abs = resolve(file);
  const text = readYamlText(abs, displayPath, 'ROLE_NOT_FOUND');
  const parsed = parseYamlText(text, displayPath, RoleSpec);
  if (!parsed.ok) throw new RoleInvalidError(parsed.issues, displayPath);
  const spec = parsed.value;
  const source: YamlSource = parsed.source;
  const issues: Issue[] = [];
  const add = (path: (string | number)[], message: string) => issues.push(source.issue(path, message));
  const dir = dirname(abs);
  const resolved = resolvePaths(spec, dir, add);
  // Project-wide modules come first, so a role's own module can override a tool of the same name.
  resolved.toolModules = [
    ...(options.projectToolModules ?? []).filter((m) => !resolved.toolModules.includes(m)),
    ...resolved.toolModules,
  ];

  if (resolved.scriptFile) {
    try {
      loadScript(resolved.scriptFile, spec.model.slice('script:'.length));
    } catch (err) {
      if (err instanceof RoleInvalidError) issues.push(...err.issues);
      else throw err;
    }
  }
  // Tool names are checked against what really exists (built-ins and the modules' exports).
  if (issues.length === 0) {
    let available: Map<string, unknown> | undefined;
    try {
      available = await availableTools({ toolModules: resolved.toolModules, inlineTools: [] });
    } catch (err) {
      if (err instanceof NightshiftError) add(['toolModules'], err.message);
      else throw err;
    }
    if (available) {
      spec.tools.forEach((name, i) => {
        if (!available.has(name))
          add(['tools', i], `unknown tool '${name}' (available: ${[...available.keys()].join(', ')})`);
      });
    }
  }
  if (issues.length > 0) throw new RoleInvalidError(issues, displayPath);

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
    budget: spec.budget,
    output: spec.output,
    scope: spec.scope,
    limits: spec.limits,
    secrets: spec.secrets,
    notify: spec.notify,
    mcp: spec.mcp,
    triggers: spec.triggers,
    input: spec.input,
    secretsFile: resolved.secretsFile,
    version: roleVersion(spec, { script: resolved.scriptFile, toolModules: resolved.toolModules }),
    source: { file: abs, dir },
    inlineTools: [],
  };
}

export { resolvePaths as resolveRolePaths };
