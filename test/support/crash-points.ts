// What the kill -9 tests share: waiting for a process to reach a chosen point (it writes a file there),
// killing the CLI there, and reading the embedded store between the kill and the next process.
import { existsSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { openSqliteStore } from '../../src/store/sqlite/index.js';
import { type CliOptions, startCli } from './cli.js';

/** Resolves once `path` exists (a held tool or module wrote it): the process is at the chosen point. */
export async function waitForFile(path: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!existsSync(path)) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${path}`);
    await sleep(10);
  }
}

/** Starts the CLI with `args` and kills it with SIGKILL once it writes `reached`. */
export async function killCliAt(args: string[], reached: string, options: CliOptions = {}): Promise<void> {
  const cli = startCli(args, options);
  await waitForFile(reached);
  cli.child.kill('SIGKILL');
  await cli.done;
}

/** Opens the SQLite store in `dataDir`, reads from it, and closes it. */
export async function inStore<T>(
  dataDir: string,
  read: (s: ReturnType<typeof openSqliteStore>) => Promise<T>,
): Promise<T> {
  const store = openSqliteStore({ dataDir });
  await store.init();
  try {
    return await read(store);
  } finally {
    await store.close();
  }
}
