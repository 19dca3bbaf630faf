// The sections of a role file (budget, scope, limits, notify, triggers, ...) and the loaded role's settings.
// Key names here are a public contract: role files and acceptance tests rely on them. Every object is strict,
// so a misspelt key is an error instead of a silently ignored setting. Nothing here knows about tool objects,
// so tools can read a role's settings without a cycle back through the role (schema.ts) to the tools.
import { isIP } from 'node:net';
import { z } from 'zod';
import { secretNameMessage } from '../config/zod-issues.js';
import { AUTONOMY_LEVELS, type Autonomy as AutonomyLevel, EFFECTS } from '../domain.js';
import type { EscalationRule } from './conditions.js';
import type { EscalatePath } from './escalate-path.js';

export { AUTONOMY_LEVELS } from '../domain.js';
/** The role's autonomy level (the words and their meaning are in src/domain.ts). */
export const Autonomy = z.enum(AUTONOMY_LEVELS);
export type Autonomy = AutonomyLevel;

export const Budget = z.strictObject({
  /** Model turns a run may take. */
  maxSteps: z.number().int().positive().default(25),
  /** Total model cost in USD a run may spend. */
  maxCostUsd: z.number().positive().default(1),
  /** Active seconds a run may take (time spent paused for a human does not count). */
  maxSeconds: z.number().positive().default(600),
  /**
   * Model cost in USD all of the role's runs together may spend per UTC day (from the recorded cost of their
   * model turns since midnight UTC). No limit when unset.
   */
  maxCostUsdPerDay: z.number().positive().optional(),
  /** What an overrun does: pause the run and ask a human (default), or fail it. */
  onExceed: z.enum(['escalate', 'fail']).default('escalate'),
});
export type Budget = z.infer<typeof Budget>;

/** The longest role name, in characters (ROLE_NAME's pattern says the same). */
export const ROLE_NAME_MAX = 63;
export const ROLE_NAME = /^[a-z0-9][a-z0-9._-]{0,62}$/;
export const TOOL_NAME = /^[a-zA-Z][a-zA-Z0-9_-]*(\.[a-zA-Z][a-zA-Z0-9_-]*)*$/;

export const SECRET_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** The name of a secret the role declares (its value never appears in the role file). */
const SECRET_REF_MESSAGE = secretNameMessage('the name of a secret listed under secrets:');
const SecretRef = z.string().regex(SECRET_NAME, SECRET_REF_MESSAGE);

/** Where a role's notify tools and MCP servers are reached: a URL of another scheme could only fail later. */
export const HttpUrl = z.url({ protocol: /^https?$/, error: 'an http or https URL' });

/**
 * The SMTP server a message is sent through: the fields a role's `notify.email` and the config's
 * `notifications.email` share. `secret` checks the user and password, each side saying where its secret
 * names come from.
 */
export function smtpServer(secret: z.ZodString) {
  return {
    host: z.string().min(1),
    port: z.number().int().positive().max(65535).default(587),
    /** TLS from the first byte (port 465). */
    secure: z.boolean().default(false),
    /** Refuse to send unless the server offers STARTTLS (default true; turn off only for a local relay). */
    requireTls: z.boolean().default(true),
    user: secret.optional(),
    password: secret.optional(),
    from: z.string().min(3),
  };
}

/** Where notify.* tools may send: fixed by the role, never chosen by the model. */
export const NotifyConfig = z.strictObject({
  slack: z
    .strictObject({
      /** Secret holding an incoming-webhook URL. */
      webhook: SecretRef.optional(),
      /** Secret holding a bot token, for chat.postMessage to the listed channels. */
      token: SecretRef.optional(),
      channels: z.array(z.string().min(1)).default([]),
      apiUrl: HttpUrl.default('https://slack.com/api'),
    })
    .optional(),
  email: z
    .strictObject({
      ...smtpServer(SecretRef),
      /** The only recipients allowed. */
      to: z.array(z.string().min(3)).min(1),
    })
    .optional(),
  /** Named webhook targets: a URL and the secret that signs each delivery (HMAC-SHA256). */
  webhooks: z
    .record(z.string().regex(/^[a-z0-9][a-z0-9_-]*$/), z.strictObject({ url: HttpUrl, secret: SecretRef }))
    .default({}),
});
export type NotifyConfig = z.infer<typeof NotifyConfig>;

/**
 * An MCP server whose tools the role may call: a stdio command or a streamable HTTP URL, and the tools
 * allowed, each with the effect the role assigns (null or omitted: treated as `external`).
 */
export const McpServerConfig = z
  .strictObject({
    name: z.string().regex(/^[a-z][a-z0-9_-]*$/, 'lowercase letters, digits, _ or -'),
    command: z.array(z.string().min(1)).min(1).optional(),
    url: HttpUrl.optional(),
    /** Environment variables passed to a stdio server (everything else is scrubbed). */
    env: z.array(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/)).default([]),
    tools: z.record(z.string().regex(/^[a-zA-Z0-9_-]+$/), z.enum(EFFECTS).nullable()),
  })
  .refine((m) => (m.command === undefined) !== (m.url === undefined), {
    message: 'give exactly one of command (stdio) or url (streamable HTTP)',
  });
export type McpServerConfig = z.infer<typeof McpServerConfig>;

/** Whose signatures a webhook trigger verifies: the sender's own scheme (src/server/webhooks/). */
export const WEBHOOK_SCHEMES = ['nightshift', 'github', 'stripe', 'slack', 'standard'] as const;
export type WebhookScheme = (typeof WEBHOOK_SCHEMES)[number];

/** A webhook trigger: POST /hooks/<path>, verified with the sender's scheme before anything is recorded. */
export const WebhookTrigger = z
  .strictObject({
    /** The path under /hooks/ on the daemon. */
    path: z.string().regex(/^[a-z0-9][a-z0-9_-]*$/, 'lowercase letters, digits, _ or -'),
    /** The secret (listed under secrets:) the sender signs with; its value is never logged. */
    secret: SecretRef,
    /**
     * The sender's signing scheme: `nightshift` (x-nightshift-signature, HMAC-SHA256 over
     * "<timestamp>.<body>"), `github` (X-Hub-Signature-256), `stripe` (Stripe-Signature), `slack`
     * (X-Slack-Signature v0), `standard` (Standard Webhooks: webhook-id, webhook-timestamp, webhook-signature).
     */
    scheme: z.enum(WEBHOOK_SCHEMES).default('nightshift'),
    /** How far a signed timestamp may be from now (stripe and standard only; default 300). */
    toleranceSeconds: z.number().int().min(1).max(86_400).optional(),
    /**
     * The run's input: the delivered JSON body (default), or `envelope`: `{ scheme, event, deliveryId,
     * payload }`, where `event` is what the sender says happened (GitHub's X-GitHub-Event, Stripe's and
     * Standard Webhooks' `type`, Slack's `event.type`).
     */
    input: z.enum(['body', 'envelope']).default('body'),
  })
  .refine((w) => w.toleranceSeconds === undefined || w.scheme === 'stripe' || w.scheme === 'standard', {
    path: ['toleranceSeconds'],
    message:
      'only for scheme stripe or standard (GitHub signs no timestamp; Slack and nightshift use a fixed 300 s window)',
  });
export type WebhookTrigger = z.infer<typeof WebhookTrigger>;

/** What starts a role's runs besides `nightshift run`: named events, or a verified webhook. */
export const Trigger = z.union([
  z.strictObject({
    event: z.string().regex(/^[a-zA-Z0-9][a-zA-Z0-9._:-]*$/, 'an event name such as ticket.created'),
  }),
  z.strictObject({ webhook: WebhookTrigger }),
  z.strictObject({
    cron: z.strictObject({
      /** A cron pattern (5 or 6 fields; 6 adds seconds), e.g. "0 9 * * 1-5". */
      schedule: z.string().min(1),
      /** IANA time zone the schedule is read in. Default UTC. */
      timezone: z.string().min(1).default('UTC'),
      /**
       * Run the last tick missed while no worker was up, once, at start; under overlap: skip, not one a run
       * of the role was under way at (triggers/under-way.ts).
       */
      catchUp: z.boolean().default(false),
      /**
       * A tick while a run of this role is still queued or running (a continuous role: while its agent's
       * inbox holds an event): skip it, queue it (runs of the role then execute one at a time, in order),
       * or start another alongside.
       */
      overlap: z.enum(['skip', 'queue', 'allow']).default('skip'),
      /**
       * Each tick's run input (`{}` when not set). Optional with no default, so a role without it keeps
       * the version it had; checked at load against the role's `input` schema (roles/load.ts).
       */
      input: z.record(z.string(), z.unknown()).optional(),
    }),
  }),
]);
export type Trigger = z.infer<typeof Trigger>;

/** An allowed program for shell.exec: a bare name (looked up on the sandbox PATH) or an absolute path. */
export const CommandRule = z.union([
  z.string().min(1),
  z.strictObject({
    program: z.string().min(1),
    /** Every argument must fully match one of these regular expressions (default: any argument). */
    args: z.array(z.string().min(1)).optional(),
  }),
]);
export type CommandRule = z.infer<typeof CommandRule>;

/**
 * What http.fetch compares a URL's host with (src/tools/net/host-allowlist.ts): a name, `*.` and a name,
 * or an IP literal. Anything else (`https://api.x.com`, `api.x.com:443`, `api.x.com/v1`, `*`) can never
 * equal a URL's host, so the entry would deny every call without a word: it is refused at load instead.
 */
const HOST_NAME = /^(\*\.)?[a-z0-9_](?:[a-z0-9_-]*[a-z0-9_])?(?:\.[a-z0-9_](?:[a-z0-9_-]*[a-z0-9_])?)*\.?$/i;
function isHostPattern(host: string): boolean {
  return isIP(host.replace(/^\[(.*)\]$/, '$1')) !== 0 || HOST_NAME.test(host);
}
const HostName = z
  .string()
  .min(1)
  .refine((h) => h === '' || isHostPattern(h), {
    error: (issue) =>
      `expected a host name (api.example.com), a wildcard for its subdomains (*.example.com) or an IP ` +
      `address, got '${String(issue.input)}': a URL's scheme, port, path, credentials or a bare '*' ` +
      `never match a host (a name with other letters: write it in its ASCII form, xn--...)`,
  });

/** A host http.fetch may reach: `api.example.com`, `*.example.com`, or an IP literal. */
export const HostRule = z.union([
  HostName,
  z.strictObject({
    host: HostName,
    /** Allow this host even though it resolves to a loopback, private or link-local address. */
    private: z.boolean().default(false),
    /**
     * Secrets http.fetch may send to this host. A secret listed by any host entry goes only to the hosts
     * that list it; one no entry lists goes to any allowed host. Optional (no default) so roles stored
     * before it existed keep their shape and version.
     */
    secrets: z.array(z.string().regex(SECRET_NAME, SECRET_REF_MESSAGE)).optional(),
  }),
]);
export type HostRule = z.infer<typeof HostRule>;

/** What the role's tools may touch beyond the workspace. Enforced by each tool's scope check. */
export const Scope = z.strictObject({
  commands: z.array(CommandRule).default([]),
  /** Environment variables passed to commands (everything else is scrubbed). */
  env: z.array(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/)).default([]),
  /** Whether commands get network access (default: none). */
  network: z.boolean().default(false),
  hosts: z.array(HostRule).default([]),
  /** At `full` only: run shell.exec without bubblewrap where it is unavailable. Never at `sandbox`. */
  unsandboxedExec: z.boolean().default(false),
});
export type Scope = z.infer<typeof Scope>;

export const Limits = z.strictObject({
  execSeconds: z.number().positive().max(3600).default(30),
  execOutputBytes: z
    .number()
    .int()
    .positive()
    .max(16 * 1024 * 1024)
    .default(64 * 1024),
  fetchSeconds: z.number().positive().max(600).default(15),
  fetchBytes: z
    .number()
    .int()
    .positive()
    .max(64 * 1024 * 1024)
    .default(1024 * 1024),
  // What one shell.exec command may consume (src/tools/sandbox/limits.ts). Optional without defaults, so
  // roles that set none keep their version; DEFAULT_EXEC_LIMITS applies.
  /** CPU seconds each process of a command may use; it is killed (SIGKILL) at the limit. Default 60. */
  execCpuSeconds: z
    .number()
    .int('execCpuSeconds must be a whole number of seconds')
    .min(1, 'execCpuSeconds must be at least 1')
    .max(86_400, 'execCpuSeconds must be at most 86400 (a day)')
    .optional(),
  /** Address space (bytes) each process of a command may map; allocations past it fail. Default 2 GiB. */
  execMemoryBytes: z
    .number()
    .int('execMemoryBytes must be a whole number of bytes')
    .min(64 * 1024 * 1024, 'execMemoryBytes must be at least 67108864 (64 MiB)')
    .max(256 * 1024 * 1024 * 1024, 'execMemoryBytes must be at most 274877906944 (256 GiB)')
    .optional(),
  /** Processes and threads a command may have at once; forks past it fail. Default 128. */
  execProcesses: z
    .number()
    .int('execProcesses must be a whole number')
    .min(4, 'execProcesses must be at least 4 (the sandbox itself takes some)')
    .max(65_536, 'execProcesses must be at most 65536')
    .optional(),
  /** Output tokens one model turn may produce (sent as the provider's limit). Default DEFAULT_MAX_OUTPUT_TOKENS. */
  maxOutputTokens: z.number().int().positive().max(1_000_000).optional(),
});
export type Limits = z.infer<typeof Limits>;

/** Job mode: how a run that failed for a transient reason (a provider outage, a dead worker) is retried. */
export const Retry = z.strictObject({
  /** Attempts in all, the first included; 1 = never retry. */
  maxAttempts: z.number().int().min(1).max(100).default(3),
  /** Wait before the second attempt; doubles for each further attempt. */
  backoffSeconds: z.number().nonnegative().max(86_400).default(10),
  maxBackoffSeconds: z.number().nonnegative().max(86_400).default(600),
});
export type Retry = z.infer<typeof Retry>;

/** Continuous mode: the long-lived agent's lease, heartbeat and crash-loop handling. */
export const Continuous = z.strictObject({
  /** A worker that stops renewing (died, hung) loses the agent this long after its last heartbeat. */
  leaseSeconds: z.number().min(1).max(3600).default(30),
  /** How often the holder renews the lease; must be well under leaseSeconds. */
  heartbeatSeconds: z.number().min(0.1).max(600).default(10),
  /** Failures in a row before the agent stops and escalates to a human (ops). */
  maxFailures: z.number().int().min(1).max(1000).default(5),
  /** Restart delay after the first failure; doubles with each further failure in a row. */
  backoffSeconds: z.number().nonnegative().max(86_400).default(1),
  maxBackoffSeconds: z.number().nonnegative().max(86_400).default(300),
});
export type Continuous = z.infer<typeof Continuous>;

/**
 * The output token limit of a model turn when the role sets none: room for a long final answer or a large file
 * write, and for a reasoning model's thinking, without letting one runaway turn spend a model's whole maximum.
 */
export const DEFAULT_MAX_OUTPUT_TOKENS = 16_384;

/**
 * Settings for roles whose model is an executor (`codex:<model>`, `claude-code:<model>`). Optional and
 * without defaults, so roles that do not use it keep their version.
 */
export const ExecutorSettings = z.strictObject({
  /**
   * Codex's sandbox at autonomy `full`: `workspace-write` (the default: only the workspace is writable, no
   * network) or `danger-full-access` (no sandbox at all; only at `full`, and only when asked for here).
   */
  codexSandbox: z.enum(['workspace-write', 'danger-full-access']).optional(),
});
export type ExecutorSettings = z.infer<typeof ExecutorSettings>;

/** `15m`, `30s`, `2h`, `1d`: how long a manager agent has to decide before the matter goes to people. */
export const DURATION = /^(\d+(?:\.\d+)?)(s|m|h|d)$/;
const DURATION_MS = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** Milliseconds of a duration DURATION matched (`15m` → 900000). */
export function durationMs(text: string): number {
  const m = DURATION.exec(text);
  if (!m) throw new Error(`not a duration: ${text}`);
  return Number(m[1]) * DURATION_MS[m[2] as keyof typeof DURATION_MS];
}

/**
 * The role's manager agent (docs/escalation.md): the role file of the agent every escalation of this role
 * goes to first. A bare path, or the path with how it may decide. Optional without a default, so roles
 * that name none keep their version.
 */
export const ManagerSpec = z.union([
  z.string().min(1),
  z.strictObject({
    /** The manager's role file, relative to this role file. */
    role: z.string().min(1),
    /**
     * Whether the manager may approve this role's drafted change sets, judged as if it made each call itself
     * (docs/escalation.md). Off by default: drafts go to people.
     */
    approveDrafts: z.boolean().default(false),
    /** How long the manager has to decide before the matter passes to people. */
    timeout: z
      .string()
      .regex(DURATION, 'a duration such as 30s, 15m, 2h or 1d')
      .refine((t) => !DURATION.test(t) || durationMs(t) > 0, 'must be longer than 0')
      .default('15m'),
  }),
]);
export type ManagerSpec = z.infer<typeof ManagerSpec>;

/** The manager as the loaded role holds it: the file made absolute, the timeout in milliseconds. */
export interface ManagerSettings {
  /** Absolute path of the manager's role file. */
  file: string;
  approveDrafts: boolean;
  timeoutMs: number;
}

/** The default time a manager agent has to decide. */
export const DEFAULT_MANAGER_TIMEOUT_MS = 15 * 60_000;

/**
 * A loaded role's settings: validated, with paths made absolute and a content version. This is the role as
 * tools see it (ToolContext.role); `Role` (schema.ts) adds the tool objects passed to defineRole.
 */
export interface RoleSettings {
  name: string;
  description: string;
  autonomy: Autonomy;
  model: string;
  instructions: string;
  tools: string[];
  toolModules: string[];
  workspace: string | undefined;
  escalation: EscalationRule[];
  /** Who is notified when a run waits for a human (absent: nobody is told; the inbox still shows it). */
  escalate?: EscalatePath | undefined;
  budget: Budget;
  output: Record<string, unknown> | undefined;
  scope: Scope;
  limits: Limits;
  secrets: string[];
  notify: NotifyConfig;
  /** MCP servers; their allowed tools are also in `tools` as `<server>.<tool>`. */
  mcp: McpServerConfig[];
  triggers: Trigger[];
  input: Record<string, unknown> | undefined;
  mode: 'job' | 'continuous';
  concurrency: number | undefined;
  retry: Retry;
  continuous: Continuous;
  emit: string[];

  /** The manager agent escalations go to first (absent when the role names none). */
  manager?: ManagerSettings | undefined;
  /** Settings for executor models (absent in roles stored before executors existed). */
  executor?: ExecutorSettings | undefined;
  /** Absolute path of the secrets file, if any. */
  secretsFile: string | undefined;
  /** sha256 (hex, first 16 chars) of the resolved content, including files the role refers to. */
  version: string;
  /** Where the role came from: a file path, or `defineRole` with its base directory. */
  source: { file: string | undefined; dir: string };
}
