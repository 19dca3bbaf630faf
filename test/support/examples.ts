// A clean copy of the shipped examples for tests that run them. Only the files the examples ship are
// copied — never what running them left behind in the checkout (the README quickstart writes replies,
// a refund ledger and an upgrade plan into examples/workspaces/), so a test starts from the same state
// whatever a user did in examples/ before running `npm test`.
import { copyFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';

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
] as const;

/** Copies the shipped example files from `from` (an examples/ folder) into `to`. */
export function copyExamples(from: string, to: string): void {
  for (const file of EXAMPLE_FILES) {
    mkdirSync(dirname(join(to, file)), { recursive: true });
    copyFileSync(join(from, file), join(to, file));
  }
}
