// An `--import` script that logs every module a process resolves through the ESM loader, one URL a line,
// to the file $NIGHTSHIFT_MODULE_LOG: how a test sees which packages a CLI command loads (a package
// loaded with import() shows here; what that package then require()s inside itself does not, so a test
// looks for the package's entry, not its insides).
import { appendFileSync } from 'node:fs';
import { register } from 'node:module';
import { isMainThread } from 'node:worker_threads';

// Imported with --import (main thread): registers this same file as the loader hooks, which run on the
// loader's own thread, where isMainThread is false.
if (isMainThread) register(import.meta.url);

type NextResolve = (specifier: string, context: unknown) => Promise<{ url: string }>;

export async function resolve(specifier: string, context: unknown, nextResolve: NextResolve) {
  const resolved = await nextResolve(specifier, context);
  const log = process.env.NIGHTSHIFT_MODULE_LOG;
  if (log) appendFileSync(log, `${resolved.url}\n`);
  return resolved;
}
