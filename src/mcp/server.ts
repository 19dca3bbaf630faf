// nightshift as an MCP server (the official SDK's McpServer): tools to list roles, start a run, read runs
// and the inbox, and send an event; a resource per run log. No tool approves, rejects, answers or cancels:
// an agent driving nightshift cannot decide for a person (decision 033). Each call is checked against the
// caller's scopes before it reads or writes anything.
import { McpServer, ResourceTemplate } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { formatShow } from '../cli/format.js';
import { packageVersion } from '../cli/invocation.js';
import { summarizeRun } from '../delegation/waiting-children.js';
import { NightshiftError } from '../errors.js';
import { idForMessage } from '../message-text.js';
import type { Role } from '../roles/schema.js';
import type { McpDoors, McpScope } from './doors.js';
import { failureText, publicError } from './failure.js';
import {
  EventsSendInput,
  EventsSendOutput,
  InboxListInput,
  InboxListOutput,
  RolesListInput,
  RolesListOutput,
  RunsGetInput,
  RunsGetOutput,
  RunsListInput,
  RunsListOutput,
  RunsStartInput,
  RunsStartOutput,
} from './schemas.js';
import { startAndWait } from './start.js';

/** The tools, in the order clients list them. None of them decides: test/mcp asserts it. */
export const MCP_TOOLS = [
  'roles.list',
  'runs.start',
  'runs.get',
  'runs.list',
  'inbox.list',
  'events.send',
] as const;

export const RUN_LOG_TEMPLATE = 'nightshift://runs/{runId}/log';
export const runLogUri = (runId: string) => `nightshift://runs/${encodeURIComponent(runId)}/log`;

const iso = (ms: number) => new Date(ms).toISOString();

/** A tool's answer: the structured result, and the same as JSON text for clients that read only text. */
function answer<T extends Record<string, unknown>>(structured: T): CallToolResult {
  return { structuredContent: structured, content: [{ type: 'text', text: JSON.stringify(structured) }] };
}

/** A refusal or failure the calling agent reads: `[CODE] message` (a server-side one hidden over HTTP). */
function refusal(err: unknown, doors: McpDoors): CallToolResult {
  return { isError: true, content: [{ type: 'text', text: failureText(err, doors.log) }] };
}

/**
 * Runs the handler after the scope check; any error becomes a refusal the agent reads. The handler gets
 * the request's signal: aborted when the client cancels the call or its connection closes.
 */
function guarded<A>(
  doors: McpDoors,
  scope: McpScope,
  handle: (args: A, signal: AbortSignal) => Promise<CallToolResult>,
) {
  return async (args: A, extra: { signal: AbortSignal }): Promise<CallToolResult> => {
    try {
      doors.requireScope(scope);
      return await handle(args, extra.signal);
    } catch (err) {
      return refusal(err, doors);
    }
  };
}

function roleNamed(doors: McpDoors, name: string): Role {
  const role = doors.roles.find((r) => r.name === name);
  if (!role)
    throw new NightshiftError(
      'ROLE_NOT_FOUND',
      `no role '${name}' is served here (roles.list names them: ${doors.roles.map((r) => r.name).join(', ') || 'none'})`,
    );
  return role;
}

export function createMcpServer(doors: McpDoors): McpServer {
  const { runtime } = doors;
  const server = new McpServer(
    { name: 'nightshift', version: packageVersion() },
    {
      instructions:
        'nightshift runs background agents with bounded authority. Start runs of the roles roles.list names, read runs and what waits for people. Approvals and escalations are decided by people (nightshift approve/reject/answer, Slack, email): no tool here decides them.',
    },
  );

  server.registerTool(
    'roles.list',
    {
      title: 'List roles',
      description: 'The roles this server can start: name, what they do, their input schema and events.',
      inputSchema: RolesListInput,
      outputSchema: RolesListOutput,
      annotations: { readOnlyHint: true },
    },
    guarded(doors, 'runs:read', async () =>
      answer({
        roles: doors.roles.map((r) => ({
          name: r.name,
          description: r.description,
          version: r.version,
          autonomy: r.autonomy,
          mode: r.mode,
          model: r.model,
          input: r.input ?? null,
          output: r.output ?? null,
          events: r.triggers.flatMap((t) => ('event' in t ? [t.event] : [])),
          startable: r.mode !== 'continuous',
        })),
      }),
    ),
  );

  server.registerTool(
    'runs.start',
    {
      title: 'Start a run',
      description:
        "Starts a run of a role with an input (checked against the role's input schema) and waits up to waitSeconds for it to finish or pause for a person. Returns the run: its status, output or what it waits for.",
      inputSchema: RunsStartInput,
      outputSchema: RunsStartOutput,
      annotations: { readOnlyHint: false, destructiveHint: false, openWorldHint: true },
    },
    guarded(doors, 'events:send', async (args: RunsStartInput, signal) => {
      const role = roleNamed(doors, args.role);
      if (role.mode === 'continuous')
        throw new NightshiftError(
          'USAGE',
          `role ${role.name} is continuous: its agent takes events from its inbox; send one with events.send (its events: ${role.triggers.flatMap((t) => ('event' in t ? [t.event] : [])).join(', ') || 'none'})`,
        );
      return answer(await startAndWait(doors, role, args, signal));
    }),
  );

  server.registerTool(
    'runs.get',
    {
      title: 'Get a run',
      description: 'A run: its status, output, usage, escalations, pending change sets, and its steps.',
      inputSchema: RunsGetInput,
      outputSchema: RunsGetOutput,
      annotations: { readOnlyHint: true },
    },
    guarded(doors, 'runs:read', async (args: RunsGetInput) => {
      const snapshot = await runtime.get(args.runId);
      if (!snapshot)
        throw new NightshiftError(
          'RUN_NOT_FOUND',
          `no run ${idForMessage(args.runId)} (runs.list lists them)`,
        );
      const { run } = snapshot;
      const children = await runtime.list({ parentRunId: run.id, limit: 1000 });
      return answer({
        ...(await summarizeRun(runtime.store, snapshot)),
        createdAt: iso(run.createdAt),
        updatedAt: iso(run.updatedAt),
        finishedAt: run.finishedAt === null ? null : iso(run.finishedAt),
        input: run.input,
        parentRunId: run.parentRunId ?? null,
        children: children.map((c) => ({ runId: c.id, role: c.role, status: c.status })),
        ...(args.steps === false
          ? {}
          : {
              stepLog: snapshot.steps.map((s) => ({ seq: s.seq, at: iso(s.at), kind: s.kind, data: s.data })),
            }),
        log: runLogUri(run.id),
      });
    }),
  );

  server.registerTool(
    'runs.list',
    {
      title: 'List runs',
      description: 'Runs, newest first, by role, status or parent run.',
      inputSchema: RunsListInput,
      outputSchema: RunsListOutput,
      annotations: { readOnlyHint: true },
    },
    guarded(doors, 'runs:read', async (args: RunsListInput) => {
      const runs = await runtime.list({
        ...(args.role ? { role: args.role } : {}),
        ...(args.status ? { status: args.status as never } : {}),
        ...(args.parentRunId ? { parentRunId: args.parentRunId } : {}),
        limit: args.limit ?? 20,
      });
      return answer({
        runs: runs.map((r) => ({
          runId: r.id,
          role: r.role,
          status: r.status,
          createdAt: iso(r.createdAt),
          updatedAt: iso(r.updatedAt),
          costUsd: r.usage.costUsd,
          error: r.error ? { code: r.error.code, message: r.error.message } : null,
        })),
      });
    }),
  );

  server.registerTool(
    'inbox.list',
    {
      title: 'List the inbox',
      description:
        'What waits for a person: change sets to approve or reject, escalations to answer. Read-only: people decide them, not this server.',
      inputSchema: InboxListInput,
      outputSchema: InboxListOutput,
      annotations: { readOnlyHint: true },
    },
    guarded(doors, 'runs:read', async (args: InboxListInput) => {
      const inbox = await runtime.inbox();
      const mine = (x: { role: string }) => !args.role || x.role === args.role;
      return answer({
        approvals: inbox.approvals.filter(mine).map((a) => ({
          id: a.id,
          runId: a.runId,
          role: a.role,
          requestedAt: iso(a.requestedAt),
          calls: a.calls.map((c) => ({ tool: c.tool, args: c.args, effect: c.effect, reason: c.reason })),
        })),
        escalations: inbox.escalations.filter(mine).map((e) => ({
          id: e.id,
          runId: e.runId,
          role: e.role,
          category: e.category,
          reason: e.reason,
          missing: e.missing,
          source: e.source,
          createdAt: iso(e.createdAt),
        })),
        note: 'People decide these (nightshift approve / reject / answer, or the channels they are notified on); no MCP tool can.',
      });
    }),
  );

  server.registerTool(
    'events.send',
    {
      title: 'Send an event',
      description:
        'Sends a named event: every role with that event trigger gets a queued run (or, continuous, an inbox item) for nightshift serve to drive.',
      inputSchema: EventsSendInput,
      outputSchema: EventsSendOutput,
      annotations: { readOnlyHint: false, destructiveHint: false, openWorldHint: true },
    },
    guarded(doors, 'events:send', async (args: EventsSendInput) => {
      const runs = await doors.emit(args.event, args.payload ?? {}, {
        idempotencyKey: args.idempotencyKey,
        actor: doors.actor,
      });
      return answer({
        event: args.event,
        runs,
        note: runs.length === 0 ? doors.noListener : 'runs.get reads each run as it goes on',
      });
    }),
  );

  server.registerResource(
    'run-log',
    new ResourceTemplate(RUN_LOG_TEMPLATE, {
      // The newest runs' logs; any other run's log is read by its URI.
      list: async () => {
        doors.requireScope('runs:read');
        const runs = await runtime.list({ limit: 50 }).catch((err: unknown) => {
          throw publicError(err, doors.log);
        });
        return {
          resources: runs.map((r) => ({
            uri: runLogUri(r.id),
            name: `run ${r.id} (${r.role}, ${r.status})`,
            mimeType: 'text/plain',
          })),
        };
      },
    }),
    {
      title: 'Run log',
      description: 'Every step of a run and every decision with its reason, as `nightshift show` prints it.',
      mimeType: 'text/plain',
    },
    async (uri, variables) => {
      doors.requireScope('runs:read');
      const runId = decodeURIComponent(String(variables.runId ?? ''));
      try {
        const snapshot = await runtime.get(runId);
        if (!snapshot) throw new NightshiftError('RUN_NOT_FOUND', `no run ${idForMessage(runId)}`);
        return {
          contents: [
            {
              uri: uri.href,
              mimeType: 'text/plain',
              text: formatShow(snapshot, await summarizeRun(runtime.store, snapshot)),
            },
          ],
        };
      } catch (err) {
        throw publicError(err, doors.log);
      }
    },
  );

  return server;
}
