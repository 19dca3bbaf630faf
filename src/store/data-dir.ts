// Where the embedded store lives: a flag, else NIGHTSHIFT_DATA_DIR, else ./.nightshift. The CLI's
// nightshift.config.yaml `dataDir` comes after the environment (cliDataDir).
import { resolve } from 'node:path';

export function resolveDataDir(
  flag?: string,
  env: NodeJS.ProcessEnv = process.env,
  cwd = process.cwd(),
): string {
  if (flag) return resolve(cwd, flag);
  if (env.NIGHTSHIFT_DATA_DIR) return resolve(cwd, env.NIGHTSHIFT_DATA_DIR);
  return resolve(cwd, '.nightshift');
}

/**
 * The data dir the CLI hands the runtime: `--data-dir`, else the config file's `dataDir` only when the
 * environment names no store (neither NIGHTSHIFT_DATABASE_URL nor NIGHTSHIFT_DATA_DIR): each setting
 * comes from the flag, else the environment, else nightshift.config.yaml. The file's `dataDir` used to
 * be passed as the flag is, so it silently beat the environment's Postgres URL and data dir.
 */
export function cliDataDir(
  flag: string | undefined,
  configDataDir: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
): string | undefined {
  if (flag) return flag;
  return env.NIGHTSHIFT_DATABASE_URL || env.NIGHTSHIFT_DATA_DIR ? undefined : configDataDir;
}
