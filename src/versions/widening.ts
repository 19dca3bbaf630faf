// Whether a candidate role version widens authority over the active one: the reasons it does, empty when
// it provably does not. Pure (no I/O). Conservative by construction: every key of the stored role is
// either known not to bear on authority (NEUTRAL), compared by a rule that proves "not wider", or, for any
// other key (including keys added to the schema later), a change of any kind counts as wider.

import { hashJson } from '../canonical-json.js';
import { AUTONOMY_LEVELS } from '../domain.js';

type Spec = Record<string, unknown>;

/** Keys that change what the role says or how it is run, never what it may do. */
const NEUTRAL = new Set([
  'name',
  'version',
  'source',
  'description',
  'instructions',
  // The model proposes; the policy decides every call whatever the model is (docs/decisions/035).
  'model',
  'output',
  'input',
  'retry',
  'continuous',
]);

const same = (a: unknown, b: unknown) => hashJson(a ?? null) === hashJson(b ?? null);
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const record = (v: unknown): Spec => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Spec) : {});

/** The candidate's entries that are not, exactly, in the active list. */
function added(active: unknown, candidate: unknown): unknown[] {
  const have = new Set(list(active).map((x) => hashJson(x)));
  return list(candidate).filter((x) => !have.has(hashJson(x)));
}

const show = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v));

/**
 * A numeric bound: wider when the candidate's is higher, or absent where the active one had one (absent
 * means no bound, or a default this module does not know; either way it cannot be proved not wider).
 */
function bound(path: string, a: unknown, c: unknown, out: string[]): void {
  if (a === undefined || a === null) {
    if (c !== undefined && c !== null) out.push(`${path} set to ${show(c)} where it was unset (default)`);
    return;
  }
  if (typeof c !== 'number') out.push(`${path} removed (was ${show(a)})`);
  else if (typeof a !== 'number' || c > a) out.push(`${path} rises from ${show(a)} to ${show(c)}`);
}

function bounds(path: string, active: unknown, candidate: unknown, out: string[], keys?: string[]): void {
  const a = record(active);
  const c = record(candidate);
  for (const k of keys ?? [...new Set([...Object.keys(a), ...Object.keys(c)])]) {
    if (a[k] === c[k]) continue;
    bound(`${path}.${k}`, a[k], c[k], out);
  }
}

/** Lists where only additions widen (tools, secrets, trigger and emit lists). */
function additions(path: string, active: unknown, candidate: unknown, out: string[]): void {
  for (const x of added(active, candidate)) out.push(`${path}: new ${show(x)}`);
}

/** A flag that widens when it goes from false (or unset) to true. */
function flag(path: string, a: unknown, c: unknown, out: string[]): void {
  if (c === true && a !== true) out.push(`${path} turned on`);
  else if (c !== a && c !== false && c !== undefined) out.push(`${path} changed to ${show(c)}`);
}

const COMPARE: Record<string, (a: unknown, c: unknown, out: string[]) => void> = {
  autonomy(a, c, out) {
    const from = AUTONOMY_LEVELS.indexOf(a as never);
    const to = AUTONOMY_LEVELS.indexOf(c as never);
    if (to < 0 || from < 0 || to > from) out.push(`autonomy rises from ${show(a)} to ${show(c)}`);
  },
  tools: (a, c, out) => additions('tools', a, c, out),
  secrets: (a, c, out) => additions('secrets', a, c, out),
  triggers: (a, c, out) => additions('triggers', a, c, out),
  emit: (a, c, out) => additions('emit', a, c, out),
  escalation(a, c, out) {
    // A rule kept exactly keeps its effect; a rule removed or changed in any way may catch less.
    const kept = new Set(list(c).map((r) => hashJson(r)));
    list(a).forEach((rule, i) => {
      if (!kept.has(hashJson(rule)))
        out.push(`escalation rule ${i + 1} (${show(record(rule).category ?? '?')}) removed or changed`);
    });
  },
  scope(a, c, out) {
    const as = record(a);
    const cs = record(c);
    for (const k of new Set([...Object.keys(as), ...Object.keys(cs)])) {
      if (k === 'network' || k === 'unsandboxedExec') flag(`scope.${k}`, as[k], cs[k], out);
      else if (Array.isArray(as[k] ?? []) && Array.isArray(cs[k] ?? []))
        additions(`scope.${k}`, as[k], cs[k], out);
      else if (!same(as[k], cs[k])) out.push(`scope.${k} changed`);
    }
  },
  budget(a, c, out) {
    const ab = record(a);
    const cb = record(c);
    bounds('budget', ab, cb, out, ['maxSteps', 'maxCostUsd', 'maxSeconds', 'maxCostUsdPerDay']);
    // `fail` ends the run at the bound; `escalate` asks a person, who may grant more.
    if (ab.onExceed !== cb.onExceed && cb.onExceed !== 'fail')
      out.push(`budget.onExceed changes from ${show(ab.onExceed)} to ${show(cb.onExceed)}`);
    for (const k of Object.keys(cb))
      if (
        !['maxSteps', 'maxCostUsd', 'maxSeconds', 'maxCostUsdPerDay', 'onExceed'].includes(k) &&
        !same(ab[k], cb[k])
      )
        out.push(`budget.${k} changed`);
  },
  limits: (a, c, out) => bounds('limits', a, c, out),
  delegation: (a, c, out) => bounds('delegation', a, c, out),
  concurrency(a, c, out) {
    if (a !== undefined && a !== null) bound('concurrency', a, c, out);
  },
  toolModules(a, c, out) {
    additions('toolModules', a, c, out);
    // The modules' code is part of the version but not stored with it: a change in it cannot be ruled out.
    if (list(c).length > 0)
      out.push('toolModules: the tool modules may have changed (their code is not stored)');
  },
};

/** Each secret a `scope.hosts` entry binds, with the hosts it is bound to (it may go nowhere else). */
function boundSecrets(spec: Spec): Map<string, string[]> {
  const bound = new Map<string, string[]>();
  for (const entry of list(record(spec.scope).hosts)) {
    const e = record(entry);
    for (const name of list(e.secrets))
      if (typeof name === 'string') bound.set(name, [...(bound.get(name) ?? []), show(e.host)]);
  }
  return bound;
}

/** The secrets the role's webhook triggers verify senders with: http.fetch never sends those. */
function triggerSecrets(spec: Spec): Set<string> {
  const held = new Set<string>();
  for (const t of list(spec.triggers)) {
    const secret = record(record(t).webhook).secret;
    if (typeof secret === 'string') held.add(secret);
  }
  return held;
}

/**
 * Secrets the candidate lets http.fetch send further than the active version did, although no list grew:
 * a host entry removed with the `secrets:` binding it held (the secret then goes to any allowed host), or
 * a webhook trigger removed whose secret the role still declares (a trigger's secret is never sent at all;
 * src/tools/net/secret-destinations.ts). Removals are otherwise narrower, so the lists' own rules miss these.
 */
function releasedSecrets(active: Spec, candidate: Spec, out: string[]): void {
  const declared = new Set(list(candidate.secrets).filter((x): x is string => typeof x === 'string'));
  const stillBound = boundSecrets(candidate);
  for (const [name, hosts] of boundSecrets(active))
    if (declared.has(name) && !stillBound.has(name))
      out.push(
        `scope.hosts: secret ${name} is no longer bound to ${hosts.join(', ')}: http.fetch may send it to any allowed host`,
      );
  const stillHeld = triggerSecrets(candidate);
  for (const name of triggerSecrets(active))
    if (declared.has(name) && !stillHeld.has(name))
      out.push(
        `triggers: secret ${name} no longer verifies a webhook trigger, and the role still declares it: http.fetch may send it`,
      );
}

/**
 * Why `candidate` widens authority over `active` (both stored role specs); empty when it does not.
 * @example authorityWidening(active.spec, candidate.spec) // ['autonomy rises from draft to full']
 */
export function authorityWidening(active: Spec, candidate: Spec): string[] {
  const out: string[] = [];
  if (same(active, candidate)) return out;
  for (const key of new Set([...Object.keys(active), ...Object.keys(candidate)])) {
    if (NEUTRAL.has(key)) continue;
    const compare = COMPARE[key];
    if (compare) compare(active[key], candidate[key], out);
    else if (!same(active[key], candidate[key])) out.push(`${key} changed (not known to be narrower)`);
  }
  releasedSecrets(active, candidate, out);
  return out;
}
