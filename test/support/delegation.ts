// Writes an orchestrator and its specialists (role files and scripts) into one temp dir sharing one
// workspace, so each delegation test states its roles and their model turns inline.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after } from 'node:test';
import { stringify } from 'yaml';
import { fixtures } from './paths.js';
import { tempDir } from './tmp.js';

export interface RoleSketch {
  /** The role's name; its file is `<name>.yaml`, its script `<name>.script.yaml`. */
  name: string;
  autonomy: 'observe' | 'draft' | 'sandbox' | 'full';
  turns: unknown[];
  tools?: string[];
  /** Names of other sketched roles this one delegates to. */
  specialists?: string[];
  input?: Record<string, unknown>;
  output?: Record<string, unknown>;
  /** Any other role keys, written over the defaults. */
  extra?: Record<string, unknown>;
}

export interface RoleTree {
  dir: string;
  workspace: string;
  dataDir: string;
  file(name: string): string;
}

/** Writes the roles; removed after the test file. */
export function writeRoleTree(roles: RoleSketch[]): RoleTree {
  const tmp = tempDir('nightshift-delegation-');
  after(() => tmp.cleanup());
  const workspace = join(tmp.path, 'workspace');
  mkdirSync(workspace);
  for (const r of roles) {
    writeFileSync(join(tmp.path, `${r.name}.script.yaml`), stringify({ turns: r.turns }));
    const role: Record<string, unknown> = {
      name: r.name,
      description: `${r.name}, written by a test.`,
      autonomy: r.autonomy,
      model: `script:./${r.name}.script.yaml`,
      instructions: 'Do what the test says.',
      tools: r.tools ?? ['fs.read'],
      toolModules: [fixtures('tools', 'ledger.ts')],
      workspace: './workspace',
      ...(r.specialists ? { specialists: r.specialists.map((s) => `./${s}.yaml`) } : {}),
      ...(r.input ? { input: r.input } : {}),
      ...(r.output ? { output: r.output } : {}),
      ...r.extra,
    };
    writeFileSync(join(tmp.path, `${r.name}.yaml`), stringify(role));
  }
  return {
    dir: tmp.path,
    workspace,
    dataDir: join(tmp.path, 'data'),
    file: (name) => join(tmp.path, `${name}.yaml`),
  };
}

/** A specialist input schema: `{ task: string }`. */
export const TASK_INPUT = {
  type: 'object',
  required: ['task'],
  properties: { task: { type: 'string' } },
};
