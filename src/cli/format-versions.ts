// Text for `nightshift versions`, `promote`, `rollback` and `autonomy` (their --json is the records).
import type { PromotionRecord } from '../store/types.js';
import type { AutonomyCheck, AutonomySuggestion } from '../versions/autonomy.js';
import type { RoleVersionsView } from '../versions/versions.js';

const when = (ms: number | null) => (ms === null ? '-' : new Date(ms).toISOString().replace('.000Z', 'Z'));

export function formatVersions(view: RoleVersionsView, cmd: string): string {
  if (view.versions.length === 0) return `no stored versions of ${view.role}`;
  const lines = [
    `${view.role}: ${view.active ? `active ${view.active.version}` : 'no active version (the role file runs)'}`,
  ];
  lines.push('  VERSION           CREATED               ACTIVE  EVAL');
  for (const v of view.versions) {
    // One verdict per suite (its newest whole-suite eval): a newer eval of one suite hides no other's.
    const evalText =
      v.evals.length > 0
        ? v.evals
            .map(
              (e) =>
                `${e.passed ? 'passed' : 'failed'} ${(e.passRate * 100).toFixed(0)}% (${e.suite})${e.safetyFailures > 0 ? `, ${e.safetyFailures} safety case(s) failed` : ''}`,
            )
            .join('; ')
        : '-';
    lines.push(
      `  ${v.version.padEnd(17)} ${when(v.createdAt).padEnd(21)} ${(v.active ? 'yes' : '').padEnd(7)} ${evalText}`,
    );
  }
  const pending = view.history.filter((p) => p.status === 'pending');
  for (const p of pending)
    lines.push(
      `pending ${p.kind} ${p.id} to ${p.version} (asked by ${p.requestedBy}): ${cmd} approve ${p.id} --as NAME`,
    );
  // Newest asked first, as the store lists them; so each line leads with when it was asked (a request
  // decided later is still in its place), and a decision's own time follows it.
  if (view.history.length > 0) lines.push('history (newest first):');
  for (const p of view.history.slice(0, 10)) {
    const decided =
      p.decidedAt !== null && p.decidedBy !== null
        ? ` by ${p.decidedBy} at ${when(p.decidedAt)}${p.decidedBy === p.requestedBy ? '' : ` (asked by ${p.requestedBy})`}`
        : ` (asked by ${p.requestedBy})`;
    lines.push(
      `  ${when(p.requestedAt)} ${p.kind} ${p.fromVersion ?? '(file)'} -> ${p.version} ${p.status}${decided}`,
    );
  }
  return lines.join('\n');
}

/**
 * What was active before a promotion took effect. With nothing active (`baseId` null) the role file ran:
 * `fromVersion` is then only the version it was judged against, which was never active.
 */
function before(p: PromotionRecord): string {
  if (p.baseId !== null) return `was ${p.fromVersion ?? 'the role file'}`;
  return `before: no active version, the role file ran${p.fromVersion ? `; judged against ${p.fromVersion}` : ''}`;
}

export function formatPromotion(p: PromotionRecord, outcome: string, cmd: string): string {
  const what = p.kind === 'rollback' ? 'rollback' : 'promotion';
  const evidence = p.evidence.length > 0 ? `\n  evidence: ${p.evidence.join('; ')}` : '';
  if (outcome === 'unchanged') return `${p.role}@${p.version} is already the active version; nothing changed`;
  if (outcome === 'promoted' || p.status === 'done')
    return `${p.role}: active version is now ${p.version} (${before(p)}); ${what} ${p.id}${evidence}`;
  if (p.status === 'refused') return `${what} ${p.id} of ${p.role} to ${p.version} refused by ${p.decidedBy}`;
  const why =
    p.widening.length > 0
      ? `it widens authority:\n${p.widening.map((w) => `  - ${w}`).join('\n')}`
      : `${p.requestedBy} may not decide for ${p.role}`;
  return `${what} ${p.id} of ${p.role} to ${p.version} waits for a person allowed for the role: ${why}${evidence}\n  grant: ${cmd} approve ${p.id} --as NAME    refuse: ${cmd} reject ${p.id} --reason TEXT --as NAME`;
}

const show = (c: AutonomyCheck) => {
  const v =
    c.value === null ? 'n/a' : Number.isInteger(c.value) ? String(c.value) : `${(c.value * 100).toFixed(1)}%`;
  const t = Number.isInteger(c.threshold) ? String(c.threshold) : `${(c.threshold * 100).toFixed(1)}%`;
  return `${v} (threshold ${t})`;
};

export function formatAutonomy(role: string, s: AutonomySuggestion, hasEvals: boolean): string {
  const head =
    s.move === 'stay'
      ? `${role}: stay at ${s.current} (${s.why})`
      : `${role}: suggest moving ${s.move} from ${s.current} to ${s.to} (${s.why})`;
  const lines = [head, 'to move up, every one of these must pass:'];
  for (const c of s.up) lines.push(`  [${c.ok ? 'ok' : '  '}] ${c.check}: ${show(c)}`);
  lines.push('to move down, any one of these is enough:');
  for (const c of s.down) lines.push(`  [${c.ok ? '!!' : '  '}] ${c.check}: ${show(c)}`);
  if (!hasEvals) lines.push('no eval record for this role (nightshift eval stores one)');
  if (s.move !== 'stay')
    lines.push(
      `this is a suggestion: make a version with autonomy: ${s.to} and promote it (a move up waits for a person)`,
    );
  return lines.join('\n');
}
