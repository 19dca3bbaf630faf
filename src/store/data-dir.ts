// Where the embedded store lives: a flag, else NIGHTSHIFT_DATA_DIR, else ./.nightshift.
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
