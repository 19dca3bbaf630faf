// Who may decide. Approvals and answers come only from people or systems acting for them, through the
// CLI or the API; no tool offered to a model can reach this code, so a model cannot approve its own draft.
import { NightshiftError } from '../errors.js';

// The names nightshift itself signs or records with: `policy` and `system` (a hop to people, an input
// rule's escalation, in steps and the audit log), and the starters of runs: `eval` (a case run, and its
// decisions), `trigger:<kind>`, `mcp:<caller>`, `api:<caller>`, `run:<id>` (a specialist's parent). A
// person answering as one would read as nightshift's own act; `agent:`, `model:`, `role:` and `manager:`
// as an agent's.
// The bare words `trigger`, `mcp`, `api`, `run` are not reserved: nightshift records only their `kind:`
// forms, and a service token may be named `api` (its cancels are signed with its name).
const NIGHTSHIFT_NAMES = /^(nightshift|eval)(:|$)|^(trigger|mcp|api|run):|^(policy|system)$/i;
const AGENT_NAMES = /^(agent|model|role|manager)(:|$)/i;

/**
 * Set only by nightshift's own code (the symbol is not exported from the package): a decision an eval
 * case applies is signed `eval`, the one reserved name it may use.
 */
export const SIGNED_BY_NIGHTSHIFT: unique symbol = Symbol('nightshift.signedByNightshift');
export interface NightshiftSigned {
  [SIGNED_BY_NIGHTSHIFT]?: 'eval' | undefined;
}

/** Why `name` may not be a person's (a decider, a configured person), or undefined when it may. */
export function reservedNameReason(name: string): string | undefined {
  const forWhom = NIGHTSHIFT_NAMES.test(name) ? 'nightshift itself' : AGENT_NAMES.test(name) ? 'agents' : '';
  return forWhom ? `'${name}' is reserved for ${forWhom}` : undefined;
}

export function checkActor(by: string | undefined, signed?: NightshiftSigned): string {
  const actor = (by ?? '').trim();
  // Said in both forms: the library's callers never see `--as`, and the CLI's never see `options.by`.
  if (actor === '')
    throw new NightshiftError(
      'ACTOR_INVALID',
      'a decision needs the name of who made it (options.by in the library, e.g. { by: NAME }; --as NAME on the command line)',
    );
  if (actor.length > 120)
    throw new NightshiftError('ACTOR_INVALID', 'actor name is longer than 120 characters');
  if (signed?.[SIGNED_BY_NIGHTSHIFT] !== undefined && actor === signed[SIGNED_BY_NIGHTSHIFT]) return actor;
  // A control character (a newline, an escape) has no place in a name shown in steps, the inbox and the
  // audit log: `sys\ntem` printed as two lines.
  const control = /[\p{Cc}\p{Zl}\p{Zp}]/u.exec(actor);
  if (control) {
    const at = `U+${control[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;
    throw new NightshiftError(
      'ACTOR_INVALID',
      `actor name contains a control character (${at} at position ${control.index + 1}); give a name as people write it`,
    );
  }
  // Reserved names are matched as they read: `policy` with a zero-width space (or any other invisible
  // format character, or a compatibility form such as fullwidth letters) shows as nightshift's own
  // `policy`. Format characters are not refused outright: a zero-width non-joiner belongs in Persian names.
  const reserved =
    reservedNameReason(actor) ?? reservedNameReason(actor.normalize('NFKC').replace(/\p{Cf}/gu, ''));
  if (reserved) {
    throw new NightshiftError(
      'ACTOR_INVALID',
      `actor ${reserved}; approvals and answers must come from a person (managers decide through their own tools)`,
    );
  }
  return actor;
}
