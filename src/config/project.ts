// The project config file, nightshift.config.yaml in the working directory (optional). Precedence is
// flags, then environment, then this file.
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { z } from 'zod';
import { NotificationSettings, PersonSpec } from '../notifications/settings.js';
import { parseYamlFile } from './yaml-file.js';

const ProviderSettings = z.strictObject({
  baseUrl: z.url().optional(),
});

const Price = z.strictObject({
  input: z.number().nonnegative(),
  output: z.number().nonnegative(),
  cachedInput: z.number().nonnegative().optional(),
});

/** `nightshift serve` settings; flags and NIGHTSHIFT_* variables override them (serve-settings.ts). */
export const ServeConfig = z.strictObject({
  host: z.string().min(1).optional(),
  port: z.number().int().min(0).max(65_535).optional(),
  workers: z.number().int().min(1).max(64).optional(),
  concurrency: z.number().int().min(1).max(10_000).optional(),
  pollMs: z.number().int().min(1).optional(),
  graceMs: z.number().int().min(0).optional(),
  leaseMs: z.number().int().min(100).optional(),
});
export type ServeConfig = z.infer<typeof ServeConfig>;

export const ProjectConfigSpec = z.strictObject({
  dataDir: z.string().min(1).optional(),
  /** Who may decide approvals and escalations, and where they are reached (docs/escalation-channels.md). */
  people: z
    .array(PersonSpec)
    .refine((ps) => new Set(ps.map((p) => p.name)).size === ps.length, {
      message: 'two people have the same name',
    })
    .optional(),
  /** Where decisions are sent (Slack, email) and the address people reach `serve` at. */
  notifications: NotificationSettings.optional(),
  serve: ServeConfig.optional(),
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
      /** Retries after a 429, a 5xx or a dropped connection (default 2). */
      maxRetries: z.number().int().nonnegative().max(10).optional(),
      /** Send a role's output schema to the provider as structured output (default true). */
      structuredOutput: z.boolean().optional(),
    })
    .optional(),
});

export interface ProjectConfig {
  file: string | undefined;
  dataDir: string | undefined;
  toolModules: string[];
  models: z.infer<typeof ProjectConfigSpec>['models'];
  serve: ServeConfig;
  people: PersonSpec[];
  notifications: NotificationSettings | undefined;
}

export const CONFIG_FILE = 'nightshift.config.yaml';

export function loadProjectConfig(cwd: string): ProjectConfig {
  const file = join(cwd, CONFIG_FILE);
  if (!existsSync(file))
    return {
      file: undefined,
      dataDir: undefined,
      toolModules: [],
      models: undefined,
      serve: {},
      people: [],
      notifications: undefined,
    };
  const spec = parseYamlFile(file, CONFIG_FILE, ProjectConfigSpec);
  return {
    file,
    dataDir: spec.dataDir ? resolve(dirname(file), spec.dataDir) : undefined,
    toolModules: (spec.toolModules ?? []).map((m) => resolve(dirname(file), m)),
    models: spec.models,
    serve: spec.serve ?? {},
    people: spec.people ?? [],
    notifications: spec.notifications && {
      ...spec.notifications,
      // A secrets file is read relative to the config file, as a role's is relative to the role.
      secretsFile: spec.notifications.secretsFile && resolve(dirname(file), spec.notifications.secretsFile),
    },
  };
}
