// A clerk role whose manager is a lead, written into one temp dir: each with its own scripted model and the
// ledger tools, so a test can count what ran. The clerk's refund rule stops at `clerkLimit`, the lead's at
// `leadLimit`. Also the draft path's scene (decision 029): a drafting clerk whose lead approves its drafts.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after } from 'node:test';
import { stringify } from 'yaml';
import { fixtures } from './paths.js';
import { tempDir } from './tmp.js';

export interface ManagedRolesOptions {
  clerkTurns: unknown[];
  leadTurns: unknown[];
  clerkLimit?: number;
  leadLimit?: number;
  /** Written as the clerk's `manager:` (default './lead.yaml'). */
  manager?: unknown;
  leadAutonomy?: 'observe' | 'draft' | 'sandbox' | 'full';
  /** Other keys for the clerk's role file (written over the defaults). */
  clerkExtra?: Record<string, unknown>;
  /** Other keys for the lead's role file. */
  leadExtra?: Record<string, unknown>;
}

/** The scripted turns the manager tests share: a final answer, and a refund the ledger records. */
export const done = { final: { summary: 'done' } };
export const refund = (amount: number) => ({
  call: 'ledger.append',
  args: { entry: `refund ${amount}`, amount },
});
/** The clerk's `manager:` that lets its lead approve its drafts (`manager.approveDrafts`). */
export const approveDrafts = { role: './lead.yaml', approveDrafts: true };

export interface ManagedRoles {
  dir: string;
  clerk: string;
  lead: string;
  dataDir: string;
  workspace: string;
  ledger: () => string[];
}

function money(limit: number) {
  return [
    {
      category: 'money',
      reason: `refunds over ${limit} need someone above`,
      when: { tool: 'ledger.append', arg: 'amount', gt: limit },
    },
  ];
}

export function writeManagedRoles(o: ManagedRolesOptions): ManagedRoles {
  const tmp = tempDir('nightshift-managed-');
  const workspace = join(tmp.path, 'workspace');
  mkdirSync(workspace);
  const common = {
    model: '',
    tools: ['ledger.append'],
    toolModules: [fixtures('tools', 'ledger.ts')],
    workspace: './workspace',
  };
  writeFileSync(join(tmp.path, 'clerk-script.yaml'), stringify({ turns: o.clerkTurns }));
  writeFileSync(join(tmp.path, 'lead-script.yaml'), stringify({ turns: o.leadTurns }));
  const clerk = join(tmp.path, 'clerk.yaml');
  const lead = join(tmp.path, 'lead.yaml');
  writeFileSync(
    clerk,
    stringify({
      name: 'clerk',
      description: 'issues refunds',
      autonomy: 'full',
      instructions: 'Refund what the ticket asks for.',
      ...common,
      model: 'script:./clerk-script.yaml',
      escalation: money(o.clerkLimit ?? 100),
      manager: o.manager ?? './lead.yaml',
      ...o.clerkExtra,
    }),
  );
  writeFileSync(
    lead,
    stringify({
      name: 'lead',
      description: "decides the clerks' escalations",
      autonomy: o.leadAutonomy ?? 'full',
      instructions: 'Decide escalated refunds within your limit.',
      ...common,
      model: 'script:./lead-script.yaml',
      escalation: money(o.leadLimit ?? 1000),
      ...o.leadExtra,
    }),
  );
  after(() => tmp.cleanup());
  return {
    dir: tmp.path,
    clerk,
    lead,
    dataDir: join(tmp.path, 'data'),
    workspace,
    ledger: () => {
      try {
        return readFileSync(join(workspace, 'ledger.txt'), 'utf8').split('\n').filter(Boolean);
      } catch {
        return [];
      }
    },
  };
}

/**
 * A clerk at `draft` (no refund rule of its own that would fire) whose manager is, unless `manager` says
 * otherwise, a lead that approves its drafts.
 */
export function writeDraftingRoles(o: Omit<ManagedRolesOptions, 'clerkLimit'>): ManagedRoles {
  return writeManagedRoles({
    ...o,
    clerkLimit: 1_000_000,
    manager: o.manager ?? approveDrafts,
    clerkExtra: { autonomy: 'draft', ...o.clerkExtra },
  });
}
