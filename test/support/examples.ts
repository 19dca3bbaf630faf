// A clean copy of the shipped examples for tests that run them. Only the files the examples ship are
// copied — never what running them left behind in the checkout (the README quickstart writes replies,
// a refund ledger and an upgrade plan into examples/workspaces/), so a test starts from the same state
// whatever a user did in examples/ before running `npm test`.
import { copyFileSync, mkdirSync, readdirSync, symlinkSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { repoRoot } from './paths.js';
import { tempDir } from './tmp.js';

/** Every file the examples ship with, relative to examples/. */
export const EXAMPLE_FILES = [
  'roles/refund-desk.yaml',
  'roles/refund-desk.script.yaml',
  'roles/ops-monitor.yaml',
  'roles/ops-monitor.script.yaml',
  'roles/dependency-janitor.yaml',
  'roles/dependency-janitor.script.yaml',
  'tools/refunds.ts',
  'workspaces/support/tickets/T-1.json',
  'workspaces/ops/metrics/checkout.json',
  'workspaces/maintenance/src/package.json',
  'support-desk/desk.yaml',
  'support-desk/desk.script.yaml',
  'support-desk/billing.yaml',
  'support-desk/billing.script.yaml',
  'support-desk/technical.yaml',
  'support-desk/technical.script.yaml',
  'support-desk/lead.yaml',
  'support-desk/lead.script.yaml',
  'support-desk/billing-refund.ts',
  'support-desk/nightshift.config.yaml',
  'support-desk/workspace/tickets/T-7.json',
  'roles/refund-desk.evals.yaml',
  'roles/ops-monitor.evals.yaml',
  'roles/dependency-janitor.evals.yaml',
  'roles/evals/refund-desk.answer.script.yaml',
  'roles/evals/refund-desk.big-refund.script.yaml',
  'roles/evals/ops-monitor.report.script.yaml',
  'roles/evals/ops-monitor.proposer.script.yaml',
  'roles/evals/maintenance-fixture/src/package.json',
  'support-desk/desk.evals.yaml',
] as const;

/** Copies the shipped example files from `from` (an examples/ folder) into `to`. */
export function copyExamples(from: string, to: string): void {
  for (const file of EXAMPLE_FILES) {
    mkdirSync(dirname(join(to, file)), { recursive: true });
    copyFileSync(join(from, file), join(to, file));
  }
}

/**
 * A temp project holding a clean copy of the examples, with `nightshift` and its dependencies importable
 * (the example tool module imports `nightshift` and `zod`, as a user's project would have them installed).
 */
export function exampleProject(prefix = 'nightshift-examples-'): { path: string; cleanup: () => void } {
  const tmp = tempDir(prefix);
  copyExamples(join(repoRoot, 'examples'), join(tmp.path, 'examples'));
  mkdirSync(join(tmp.path, 'node_modules'));
  for (const dep of readdirSync(join(repoRoot, 'node_modules')))
    symlinkSync(join(repoRoot, 'node_modules', dep), join(tmp.path, 'node_modules', dep));
  symlinkSync(repoRoot, join(tmp.path, 'node_modules', 'nightshift'));
  return tmp;
}
