// A role made ready to run: its tools resolved, its agent built (a model, or an executor's CLI), the tool
// specs a model is offered.
// Everything that can be wrong with a role's setup (an unknown tool, a missing API key) fails here,
// before a run is created and before any side effect.
import { z } from 'zod';
import { delegateTools } from '../delegation/tools.js';
import { NightshiftError } from '../errors.js';
import { type Agent, agentSpec, type ResolveModelOptions, resolveAgent } from '../models/resolve.js';
import type { PolicyDecision } from '../policy/decide.js';
import type { Role } from '../roles/schema.js';
import { connectMcpServers } from '../tools/mcp/connect.js';
import { resolveRoleTools } from '../tools/registry.js';
import {
  loadSecrets,
  mcpEnvironment,
  type Redactor,
  redactorFor,
  revealerFor,
  type Secrets,
} from '../tools/secrets.js';
import type { AnyTool, ToolSpec } from '../tools/types.js';
import { systemPrompt } from './conversation.js';
import { escalateToolSpec } from './escalate-tool.js';

export interface PreparedRole {
  role: Role;
  tools: Map<string, AnyTool>;
  /** What takes the run's turns: a model (the engine's own loop) or an executor (a whole CLI session). */
  agent: Agent;
  toolSpecs: ToolSpec[];
  system: string;
  secrets: Secrets;
  /** Scrubs secret values from everything persisted; undefined when the role has none set. */
  redact: Redactor | undefined;
  /** Puts secret values back into a call's stored arguments, by name (engine/call-args.ts). */
  reveal: Redactor | undefined;
  /** The role's specialists, prepared, by name: what its `delegate.<name>` calls run as child runs. */
  specialists: Map<string, PreparedRole>;
  /** Closes what the role holds open (MCP server connections), and its specialists'. */
  dispose(): Promise<void>;
  /**
   * Judges the calls this run decides by its own rule instead of the role's policy: a manager run's
   * decision tools (src/managers/decision-tools.ts), whose `allow` is judged as if the manager made the
   * held call itself. Undefined for any other call, which the policy judges.
   */
  judgeOwn?: (request: { tool: string; args: unknown }) => Promise<OwnJudgement | undefined>;
  /**
   * The host paths the role's tools must not touch (EngineContext.protectedPaths), asked when a call is
   * judged: the policy denies a call on one before it runs or a person is asked.
   */
  protectedPaths?: () => readonly string[];
}

/** A verdict judgeOwn gives, with the arguments as the tool's schema parsed them. */
export interface OwnJudgement {
  verdict: PolicyDecision;
  parsedArgs: unknown;
}

const specCache = new WeakMap<AnyTool, ToolSpec>();

export function toolSpec(tool: AnyTool): ToolSpec {
  let spec = specCache.get(tool);
  if (!spec) {
    let inputSchema: Record<string, unknown> = { type: 'object' };
    if (tool.jsonSchema) inputSchema = { ...tool.jsonSchema };
    else {
      try {
        inputSchema = z.toJSONSchema(tool.input, { io: 'input', unrepresentable: 'any' }) as Record<
          string,
          unknown
        >;
      } catch {
        // A schema zod cannot express in JSON Schema: the model gets a bare object; arguments are still checked.
      }
    }
    delete inputSchema.$schema;
    spec = { name: tool.name, description: tool.description, inputSchema };
    specCache.set(tool, spec);
  }
  return spec;
}

export interface PrepareOptions extends ResolveModelOptions {
  /** A model spec that replaces the role's (`--model`). */
  model?: string | undefined;
  /** The host paths a role's tools must not touch, asked per call (runtime/roles.ts protectedPaths). */
  protectedPaths?: ((role: Role) => readonly string[]) | undefined;
}

export async function prepareRole(role: Role, options: PrepareOptions = {}): Promise<PreparedRole> {
  // Everything that can fail without side effects comes first; MCP servers are started last.
  const agent = resolveAgent(options.model ?? role.model, options);
  if (agent.kind === 'executor' && !role.workspace) {
    throw new NightshiftError(
      'MODEL_CONFIG',
      `role ${role.name}: model ${agentSpec(agent)} runs an agent CLI in the role's workspace; set workspace: in the role file`,
    );
  }
  if (agent.kind === 'executor' && role.mcp.length > 0) {
    // The CLIs are not offered MCP tools (decision 046): starting the servers anyway spawned processes and
    // handed them the role's env for nothing, and the role's instructions named tools its agent lacked.
    throw new NightshiftError(
      'MODEL_CONFIG',
      `role ${role.name}: model ${agentSpec(agent)} runs an agent CLI, which is not offered MCP tools, so nightshift does not start the role's MCP servers (mcp: ${role.mcp.map((m) => m.name).join(', ')}); remove mcp: from the role, or give it a model run by nightshift's own loop (anthropic:, openai:, ...)`,
    );
  }
  const env = options.env ?? process.env;
  const secrets = loadSecrets(role, env);
  const mcp =
    role.mcp.length > 0 ? await connectMcpServers(role, mcpEnvironment(role, secrets, env)) : undefined;
  let tools: Map<string, AnyTool>;
  try {
    tools = await resolveRoleTools(role, mcp?.tools ?? []);
  } catch (err) {
    await mcp?.close();
    throw err;
  }
  for (const t of delegateTools(role)) tools.set(t.name, t);
  const specialists = new Map<string, PreparedRole>();
  try {
    // A specialist runs on its own model (never the orchestrator's `--model` override).
    const { model: _override, ...own } = options;
    for (const s of role.specialists ?? []) specialists.set(s.name, await prepareRole(s, own));
  } catch (err) {
    await Promise.allSettled([mcp?.close(), ...[...specialists.values()].map((p) => p.dispose())]);
    throw err;
  }
  const toolSpecs = [...[...tools.values()].map(toolSpec), escalateToolSpec];
  return {
    role,
    tools,
    agent,
    toolSpecs,
    system: systemPrompt(role, { executor: agent.kind === 'executor' }),
    secrets,
    redact: redactorFor(secrets),
    reveal: revealerFor(secrets),
    specialists,
    ...(options.protectedPaths ? { protectedPaths: () => options.protectedPaths!(role) } : {}),
    dispose: async () => {
      await Promise.allSettled([mcp?.close(), ...[...specialists.values()].map((p) => p.dispose())]);
    },
  };
}
