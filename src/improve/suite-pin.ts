// The improve loop's fixed suite: a fingerprint of everything an eval of the suite reads from disk while
// it runs (the suite's text, and each case's script model, grader script, recorded run and workspace
// fixture), taken before the active version's eval and checked after each candidate's. The suite's
// cases are held in memory, but the files they name are read at each case run: edited in between, the
// two versions would be judged by different tests and their paired comparison would mean nothing.
import { createHash, type Hash } from 'node:crypto';
import { existsSync, lstatSync, readdirSync, readFileSync, readlinkSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import type { Suite } from '../evals/suite-file.js';

/** Each file or folder the suite's cases name (absolute path) → its fingerprint. */
export type SuitePin = Map<string, string>;

function hashTree(h: Hash, path: string): void {
  const stat = lstatSync(path, { throwIfNoEntry: false });
  if (!stat) return void h.update('missing\0');
  if (stat.isSymbolicLink()) return void h.update(`link\0${readlinkSync(path)}\0`);
  if (stat.isDirectory()) {
    for (const name of readdirSync(path).sort()) {
      h.update(`entry\0${name}\0`);
      hashTree(h, join(path, name));
    }
    return;
  }
  h.update(`file\0${stat.size}\0`);
  h.update(readFileSync(path));
}

function fingerprint(path: string): string {
  const h = createHash('sha256');
  // The path a case names is followed (a case run copies what a top-level link points at); links inside
  // a folder are fingerprinted as links, as the copy keeps them.
  let target = path;
  try {
    target = realpathSync(path);
  } catch {}
  hashTree(h, target);
  return h.digest('hex');
}

const scriptFile = (spec: string | undefined) =>
  spec?.startsWith('script:') ? spec.slice('script:'.length) : undefined;

/**
 * Takes the fingerprint of every file or folder the suite's cases name. The suite's own text needs none:
 * the loop holds it in memory (loaded once), and it is stored with each result as `suiteHash`.
 */
export function pinSuite(suite: Suite): SuitePin {
  const pin: SuitePin = new Map();
  for (const c of suite.cases)
    for (const path of [c.workspace, c.replay, scriptFile(c.model), scriptFile(c.grader?.model)])
      if (path !== undefined && !pin.has(path))
        pin.set(path, existsSync(path) ? fingerprint(path) : 'missing');
  return pin;
}

/** The pinned files or folders whose content differs now. */
export function changedSince(pin: SuitePin): string[] {
  return [...pin.entries()]
    .filter(([path, hash]) => (existsSync(path) ? fingerprint(path) : 'missing') !== hash)
    .map(([path]) => path);
}
