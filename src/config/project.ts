// The project config file, nightshift.config.yaml in the working directory (optional). Precedence is
// flags, then environment, then this file.
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { z } from 'zod';
import { reservedNameReason } from '../approvals/actor.js';
import { NotificationSettings } from '../notifications/settings.js';
import { GroupsSpec, type PeopleDirectory, PeopleSpec } from '../people/config.js';
import { VersionsConfig } from '../versions/config.js';
import { CONFIG_FILE } from './config-file.js';
import { MAX_TIMER_MS } from './timer-limit.js';
import { parseYamlFile } from './yaml-file.js';

const ProviderSettings = z.strictObject({
  baseUrl: z.url().optional(),
});

const Price = z.strictObject({
  input: z.number().nonnegative(),
  output: z.number().nonnegative(),
  cachedInput: z.number().nonnegative().optional(),
  cacheWriteInput: z.number().nonnegative().optional(),
  cacheWrite1hInput: z.number().nonnegative().optional(),
});

/** `nightshift serve` settings; flags and NIGHTSHIFT_* variables override them (serve-settings.ts). */
export const ServeConfig = z.strictObject({
  host: z.string().min(1).optional(),
  port: z.number().int().min(0).max(65_535).optional(),
  workers: z.number().int().min(1).max(64).optional(),
  concurrency: z.number().int().min(1).max(10_000).optional(),
  pollMs: z.number().int().min(1).max(MAX_TIMER_MS).optional(),
  graceMs: z.number().int().min(0).max(MAX_TIMER_MS).optional(),
  leaseMs: z.number().int().min(100).max(MAX_TIMER_MS).optional(),
  /**
   * How long a run may meet nothing but a busy database (statement or lock timeouts, a full pool) before
   * that costs it an attempt (default 10 minutes).
   */
  storeBusyLimitMs: z.number().int().min(0).max(MAX_TIMER_MS).optional(),
  /** Server-sent event streams (GET /api/v1/runs/{id}/events) one token may hold open at once. */
  streamsPerToken: z.number().int().min(1).optional(),
  /** Server-sent event streams the daemon holds open at once, all callers together. */
  streams: z.number().int().min(1).optional(),
  /** How often an open stream sends a heartbeat and checks its token again (a revoked one ends it). */
  streamHeartbeatMs: z.number().int().min(10).max(MAX_TIMER_MS).optional(),
  /** How far V8 lets the JS heap grow past what the last full collection kept, in percent; 0: V8's policy. */
  heapGrowingPercent: z.number().int().min(0).max(1_000).optional(),
  /**
   * The address people reach serve at when it is behind a proxy (`https://agents.example.com`): the
   * console's and login forms accept a post whose Origin is this one, besides the one the Host header names.
   */
  publicUrl: z.url({ protocol: /^https?$/ }).optional(),
  /** How long a client may take to send a request's headers (slow clients are cut: 408, then closed). */
  headersTimeoutMs: z.number().int().min(100).max(MAX_TIMER_MS).optional(),
  /** How long a client may take to send a whole request, body included (not the answer: streams run on). */
  requestTimeoutMs: z.number().int().min(100).max(MAX_TIMER_MS).optional(),
  /** How long an idle keep-alive connection stays open between requests. */
  keepAliveTimeoutMs: z.number().int().min(100).max(MAX_TIMER_MS).optional(),
  /** Connections open at once; past it a new one is closed as it arrives. */
  maxConnections: z.number().int().min(1).max(1_000_000).optional(),
});
export type ServeConfig = z.infer<typeof ServeConfig>;

export const ProjectConfigSpec = z
  .strictObject({
    dataDir: z.string().min(1).optional(),
    /** Who may decide which roles' approvals and escalations, and where each is reached (src/people/). */
    people: PeopleSpec.optional(),
    /** Group name → people, so an escalation tier can name a team. */
    groups: GroupsSpec.optional(),
    /** Where decisions are sent (Slack, email) and the address people reach `serve` at. */
    notifications: NotificationSettings.optional(),
    serve: ServeConfig.optional(),
    /** Which definition of a role runs (its active version, or the file) and the autonomy thresholds. */
    versions: VersionsConfig.optional(),
    /** Tool modules every role of the project may use (relative to this file). */
    toolModules: z.array(z.string().min(1)).optional(),
    models: z
      .strictObject({
        anthropic: ProviderSettings.optional(),
        openai: ProviderSettings.optional(),
        /** USD per million tokens, keyed by model spec (`anthropic:claude-sonnet-4-5`). */
        prices: z.record(z.string(), Price).optional(),
        /** Per request attempt, until the whole answer has streamed in (default 120000). */
        timeoutMs: z.number().int().positive().max(3_600_000).optional(),
        /**
         * The most bytes one model answer may send (per attempt; default 33554432, 32 MiB): a provider that
         * streams without end fails the turn (MODEL_RESPONSE_TOO_LARGE) instead of growing memory.
         */
        maxResponseBytes: z
          .number()
          .int()
          .min(65_536, 'at least 65536 (64 KiB): a real answer with tool calls needs room')
          .max(1_073_741_824, 'at most 1073741824 (1 GiB)')
          .optional(),
        /** Retries after a 429, a 5xx or a dropped connection (default 2). */
        maxRetries: z.number().int().nonnegative().max(10).optional(),
        /** Send a role's output schema to the provider as structured output (default true). */
        structuredOutput: z.boolean().optional(),
      })
      .optional(),
  })
  .superRefine((spec, ctx) => {
    const names = new Set<string>();
    for (const [i, p] of (spec.people ?? []).entries()) {
      if (names.has(p.name))
        ctx.addIssue({ code: 'custom', path: ['people', i, 'name'], message: `${p.name} is listed twice` });
      // A person named like nightshift's own signers (system, policy, eval, …) could log in but never
      // decide: every decision they made would be refused as ACTOR_INVALID.
      const reserved = reservedNameReason(p.name);
      if (reserved)
        ctx.addIssue({
          code: 'custom',
          path: ['people', i, 'name'],
          message: `${reserved}: a person cannot be named so (they could log in but never decide); rename them`,
        });
      names.add(p.name);
    }
    for (const [group, members] of Object.entries(spec.groups ?? {})) {
      if (names.has(group))
        ctx.addIssue({
          code: 'custom',
          path: ['groups', group],
          message: `${group} is also a person's name`,
        });
      for (const m of members)
        if (!names.has(m))
          ctx.addIssue({ code: 'custom', path: ['groups', group], message: `${m} is not in people:` });
    }
  });

export interface ProjectConfig {
  file: string | undefined;
  dataDir: string | undefined;
  toolModules: string[];
  models: z.infer<typeof ProjectConfigSpec>['models'];
  serve: ServeConfig;
  /** Undefined when the file names no people: then anyone named may decide. */
  people: PeopleDirectory | undefined;
  notifications: NotificationSettings | undefined;
  versions: VersionsConfig;
}

export { CONFIG_FILE };

export function loadProjectConfig(cwd: string): ProjectConfig {
  const file = join(cwd, CONFIG_FILE);
  if (!existsSync(file))
    return {
      file: undefined,
      dataDir: undefined,
      toolModules: [],
      models: undefined,
      serve: {},
      people: undefined,
      notifications: undefined,
      versions: VersionsConfig.parse({}),
    };
  const spec = parseYamlFile(file, CONFIG_FILE, ProjectConfigSpec);
  return {
    file,
    dataDir: spec.dataDir ? resolve(dirname(file), spec.dataDir) : undefined,
    toolModules: (spec.toolModules ?? []).map((m) => resolve(dirname(file), m)),
    models: spec.models,
    serve: spec.serve ?? {},
    versions: spec.versions ?? VersionsConfig.parse({}),
    people: spec.people ? { people: spec.people, groups: spec.groups ?? {} } : undefined,
    notifications: spec.notifications && {
      ...spec.notifications,
      // A secrets file is read relative to the config file, as a role's is relative to the role.
      secretsFile: spec.notifications.secretsFile && resolve(dirname(file), spec.notifications.secretsFile),
    },
  };
}
