// Writes a role file and its script into a temp dir, so each test states its role and model turns inline.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after } from 'node:test';
import { stringify } from 'yaml';
import { fixtures } from './paths.js';
import { tempDir } from './tmp.js';

export interface TestRoleOptions {
  name?: string;
  autonomy: 'observe' | 'draft' | 'sandbox' | 'full';
  tools?: string[];
  turns: unknown[];
  escalation?: unknown[];
  budget?: Record<string, unknown>;
  output?: Record<string, unknown>;
  ledgerTools?: boolean;
  /** Any other role keys (model, limits, ...), written over the defaults. */
  extra?: Record<string, unknown>;
}

export interface TestRole {
  dir: string;
  file: string;
  workspace: string;
  dataDir: string;
  ledger: () => string[];
  exists: (rel: string) => boolean;
  read: (rel: string) => string;
  cleanup: () => void;
}

export function writeTestRole(o: TestRoleOptions): TestRole {
  const tmp = tempDir('nightshift-role-');
  const workspace = join(tmp.path, 'workspace');
  const dataDir = join(tmp.path, 'data');
  mkdirSync(workspace);
  writeFileSync(join(tmp.path, 'script.yaml'), stringify({ turns: o.turns }));
  const role: Record<string, unknown> = {
    name: o.name ?? 'test-role',
    description: 'a role written by a test',
    autonomy: o.autonomy,
    model: 'script:./script.yaml',
    instructions: 'Do what the test says.',
    tools: o.tools ?? ['fs.read', 'fs.write', 'fs.list'],
    workspace: './workspace',
  };
  if (o.ledgerTools !== false) role.toolModules = [fixtures('tools', 'ledger.ts')];
  if (o.escalation) role.escalation = o.escalation;
  if (o.budget) role.budget = o.budget;
  if (o.output) role.output = o.output;
  Object.assign(role, o.extra);
  const file = join(tmp.path, 'role.yaml');
  writeFileSync(file, stringify(role));
  const ledgerFile = join(workspace, 'ledger.txt');
  return {
    dir: tmp.path,
    file,
    workspace,
    dataDir,
    ledger: () => {
      try {
        return readFileSync(ledgerFile, 'utf8').split('\n').filter(Boolean);
      } catch {
        return [];
      }
    },
    exists: (rel) => {
      try {
        readFileSync(join(workspace, rel));
        return true;
      } catch {
        return false;
      }
    },
    read: (rel) => readFileSync(join(workspace, rel), 'utf8'),
    cleanup: tmp.cleanup,
  };
}

/**
 * `writeTestRole` for one test file: every role it writes is removed after the file's tests (the `after`
 * hook is registered where this is called, at the top of the file).
 */
export function testRoles(): (o: TestRoleOptions) => TestRole {
  const made: TestRole[] = [];
  after(() => {
    for (const r of made) r.cleanup();
  });
  return (o) => {
    const r = writeTestRole(o);
    made.push(r);
    return r;
  };
}
