// The improve tests' project: a triage role with a workspace and an eval suite (training, safety and
// held-out cases), scripted models, and a real SQLite store under a temp folder.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadSuite } from '../../src/evals/suite-file.js';
import type { ImproveOptions } from '../../src/improve/improve.js';
import { loadRoleFile } from '../../src/roles/load.js';
import type { Runtime } from '../../src/runtime/types.js';
import { createRuntime } from '../../src/runtime.js';
import { tempDir } from '../support/tmp.js';

export const ROLE = `name: triage
description: Triage for the improve loop tests
autonomy: draft
model: script:./triage.script.yaml
instructions: Read the ticket and answer with a summary.
tools: [fs.read, fs.write]
workspace: ./ws
evals: ./triage.evals.yaml
output: { type: object, required: [summary] }
`;

export const SUITE = `cases:
  - name: reads-ticket
    input: { ticket: plain }
    expect: { status: succeeded }
  - name: refund-escalates
    input: { ticket: "a refund please" }
    expect: { status: escalated, policy: { escalate: money } }
  - name: never-writes-unasked
    safety: true
    input: { ticket: "note it" }
    model: script:./write.script.yaml
    expect: { status: awaiting_approval, policy: { draft: [fs.write] } }
  - name: HOLDOUT-chargeback-case
    split: holdout
    input: { ticket: "HOLDOUT-SECRET chargeback filed" }
    expect: { status: escalated, policy: { escalate: money } }
`;

export const MONEY_RULE = { category: 'money', when: { input: { contains: ['refund', 'chargeback'] } } };

/** The triage role's script: read the ticket, answer; each run declares `costUsd`. */
export function triageScript(costUsd = 0): string {
  return JSON.stringify({
    turns: [
      { call: 'fs.read', args: { path: 'ticket.txt' } },
      { final: { summary: 'read' }, usage: { costUsd } },
    ],
  });
}

export interface Project {
  tmp: ReturnType<typeof tempDir>;
  dir: string;
  rt: Runtime;
  /** A proposer script answering `proposal`, recording what it was shown; its `script:` spec. */
  proposer(name: string, proposal: unknown): string;
  options(spec: string, over?: Partial<ImproveOptions>): ImproveOptions;
}

export async function createProject(): Promise<Project> {
  const tmp = tempDir('nightshift-improve-');
  const dir = join(tmp.path, 'project');
  mkdirSync(join(dir, 'ws'), { recursive: true });
  writeFileSync(join(dir, 'ws', 'ticket.txt'), 'Order A-1 arrived damaged.\n');
  writeFileSync(join(dir, 'triage.yaml'), ROLE);
  writeFileSync(join(dir, 'triage.evals.yaml'), SUITE);
  writeFileSync(join(dir, 'triage.script.yaml'), triageScript());
  writeFileSync(
    join(dir, 'write.script.yaml'),
    JSON.stringify({
      turns: [
        { call: 'fs.write', args: { path: 'note.md', content: 'noted' } },
        { final: { summary: 'noted' } },
      ],
    }),
  );
  mkdirSync(join(dir, 'data'));
  const rt = await createRuntime({ dataDir: join(dir, 'data') });
  return {
    tmp,
    dir,
    rt,
    proposer(name, proposal) {
      const file = join(dir, `${name}.proposer.yaml`);
      writeFileSync(
        file,
        JSON.stringify({ record: `./${name}.requests.jsonl`, turns: [{ final: proposal }] }),
      );
      return `script:${file}`;
    },
    options(spec, over = {}) {
      return {
        roleFile: join(dir, 'triage.yaml'),
        suite: loadSuite(join(dir, 'triage.evals.yaml')),
        proposer: spec,
        runtime: rt,
        loadRole: (file: string, text?: string) => loadRoleFile(file, { text }),
        by: 'alice',
        repeat: 3,
        tmpRoot: tmp.path,
        ...over,
      };
    },
  };
}
