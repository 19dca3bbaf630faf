// From `claude-code:<model>` / `codex:<model>` to an Executor. Everything that can be checked without
// starting a session is checked here, before a run is recorded: the CLI is installed (and where), the API
// key is set. The CLIs are hundreds of MB each, so they are not dependencies of nightshift: the messages
// say which package to install and which variable points at it.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { delimiter, dirname, isAbsolute, join } from 'node:path';
import { NightshiftError } from '../errors.js';
import type { PriceTable } from '../models/pricing.js';
import { createClaudeCodeExecutor } from './claude-code/index.js';
import { createCodexExecutor } from './codex/index.js';
import type { Executor, ExecutorName } from './types.js';

/** The versions nightshift is tested with (scripts/test-executors.sh installs exactly these). */
export const TESTED_VERSIONS = {
  claudeAgentSdk: '0.3.331',
  codex: '0.169.0',
} as const;

export interface ExecutorSettings {
  env: NodeJS.ProcessEnv;
  /** Key and base URL from the runtime's `models.anthropic` / `models.openai`, before the environment. */
  anthropic?: { apiKey?: string | undefined; baseUrl?: string | undefined } | undefined;
  openai?: { apiKey?: string | undefined; baseUrl?: string | undefined } | undefined;
  /** Price overrides, for executors that report tokens but no cost (Codex). */
  prices?: PriceTable | undefined;
}

const require = createRequire(import.meta.url);

function unavailable(spec: string, message: string): NightshiftError {
  return new NightshiftError('EXECUTOR_UNAVAILABLE', `model ${spec}: ${message}`);
}

function needKey(spec: string, variable: string, configured: string | undefined, env: NodeJS.ProcessEnv) {
  const key = configured?.trim() || env[variable]?.trim();
  if (!key)
    throw new NightshiftError(
      'MODEL_CONFIG',
      `model ${spec} needs ${variable}: set it in the environment (the ${spec.split(':')[0]} executor passes it to the CLI)`,
    );
  return key;
}

/** A package's folder: from an env variable naming it, else from nightshift's own node_modules. */
function packageDir(name: string, override: string | undefined): string | undefined {
  if (override) {
    const dir = existsSync(join(override, 'package.json')) ? override : undefined;
    return dir;
  }
  try {
    return dirname(require.resolve(`${name}/package.json`));
  } catch {
    return undefined;
  }
}

function onPath(program: string, env: NodeJS.ProcessEnv): string | undefined {
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (dir && existsSync(join(dir, program))) return join(dir, program);
  }
  return undefined;
}

function claudeCode(spec: string, modelId: string, s: ExecutorSettings): Executor {
  const { env } = s;
  const install = `npm install @anthropic-ai/claude-agent-sdk@${TESTED_VERSIONS.claudeAgentSdk}`;
  const sdkOverride = env.NIGHTSHIFT_CLAUDE_SDK?.trim() || undefined;
  const sdkDir = packageDir('@anthropic-ai/claude-agent-sdk', sdkOverride);
  if (!sdkDir) {
    throw unavailable(
      spec,
      sdkOverride
        ? `NIGHTSHIFT_CLAUDE_SDK=${sdkOverride} is not the folder of the @anthropic-ai/claude-agent-sdk package`
        : `the claude-code executor needs @anthropic-ai/claude-agent-sdk, which is not installed: run \`${install}\`, or set NIGHTSHIFT_CLAUDE_SDK to the folder of an installed copy`,
    );
  }
  // The SDK runs Claude Code's native binary: its own platform package, or NIGHTSHIFT_CLAUDE_PATH.
  const cliOverride = env.NIGHTSHIFT_CLAUDE_PATH?.trim() || undefined;
  const bundled = join(
    dirname(sdkDir),
    `claude-agent-sdk-${process.platform}-${process.arch}`,
    process.platform === 'win32' ? 'claude.exe' : 'claude',
  );
  const cli = cliOverride ?? bundled;
  if (!existsSync(cli)) {
    throw unavailable(
      spec,
      cliOverride
        ? `NIGHTSHIFT_CLAUDE_PATH=${cliOverride} does not exist`
        : `the Claude Code binary is missing (${bundled}); reinstall with \`${install}\` (its optional dependency @anthropic-ai/claude-agent-sdk-${process.platform}-${process.arch} holds it), or set NIGHTSHIFT_CLAUDE_PATH to a claude executable`,
    );
  }
  return createClaudeCodeExecutor({
    spec,
    modelId,
    sdkEntry: join(sdkDir, 'sdk.mjs'),
    cliPath: cliOverride,
    apiKey: needKey(spec, 'ANTHROPIC_API_KEY', s.anthropic?.apiKey, env),
    baseUrl: s.anthropic?.baseUrl || env.ANTHROPIC_BASE_URL?.trim() || undefined,
    env,
  });
}

function codex(spec: string, modelId: string, s: ExecutorSettings): Executor {
  const { env } = s;
  const install = `npm install @openai/codex@${TESTED_VERSIONS.codex}`;
  const override = env.NIGHTSHIFT_CODEX_PATH?.trim() || undefined;
  let cli: string | undefined;
  if (override) {
    if (!isAbsolute(override) || !existsSync(override))
      throw unavailable(
        spec,
        `NIGHTSHIFT_CODEX_PATH=${override} is not an absolute path to a codex executable`,
      );
    cli = override;
  } else {
    const dir = packageDir('@openai/codex', undefined);
    cli =
      dir && existsSync(join(dir, 'bin', 'codex.js')) ? join(dir, 'bin', 'codex.js') : onPath('codex', env);
  }
  if (!cli) {
    throw unavailable(
      spec,
      `the codex executor needs the Codex CLI, which is not installed: run \`${install}\`, or set NIGHTSHIFT_CODEX_PATH to a codex executable`,
    );
  }
  return createCodexExecutor({
    spec,
    modelId,
    cliPath: cli,
    apiKey: needKey(spec, 'OPENAI_API_KEY', s.openai?.apiKey, env),
    baseUrl: s.openai?.baseUrl || env.OPENAI_BASE_URL?.trim() || 'https://api.openai.com/v1',
    env,
    prices: s.prices,
  });
}

export function resolveExecutor(
  name: ExecutorName,
  spec: string,
  modelId: string,
  settings: ExecutorSettings,
): Executor {
  return name === 'claude-code' ? claudeCode(spec, modelId, settings) : codex(spec, modelId, settings);
}
