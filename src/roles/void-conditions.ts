// Escalation conditions that can never mean anything: an empty value that makes the condition hold for
// every value (`contains: ''`) or for none (`in: []`), or a combination of nothing. Each is refused where
// it is written, with why, rather than loaded as a rule that silently never (or always) fires.
import { wholeMessage } from '../config/zod-issues.js';

/** Each void form: why it is refused, and what to write instead. */
const VOID_FORMS = {
  'input: {}': ['gives no check, so it can never be true', 'give contains, matches or missing'],
  "contains: ''": ['is true of every value (all text contains the empty text)', 'give the text to look for'],
  'contains: []': ['lists no text, so it can never be true', 'list at least one text'],
  "matches: ''": ['is true of every value (the empty pattern matches any text)', 'give a pattern'],
  'matches: []': ['lists no pattern, so it can never be true', 'list at least one pattern'],
  "missing: ''": ['names no field, so it is true of almost every input', 'name the field that must be there'],
  'missing: []': ['names no field, so it can never be true', 'list at least one field'],
  'in: []': ['can never be true (no value is in an empty list)', 'list at least one value'],
  "tool: ''": ['names no tool, so it can never be true', 'name the tool'],
  'tool: []': ['names no tool, so it can never be true', 'list at least one tool'],
  'all: []': ['checks nothing, so it is true of every call', 'list at least one condition'],
  'any: []': ['can never be true', 'list at least one condition'],
} as const satisfies Record<string, readonly [why: string, instead: string]>;

export type VoidForm = keyof typeof VOID_FORMS;

/**
 * The message a void condition is refused with, e.g. `any: [] can never be true; list at least one
 * condition` (shown as written, with the file's line and the field's path, by config/zod-issues.ts).
 */
export function emptyReason(form: VoidForm): string {
  const [why, instead] = VOID_FORMS[form];
  return wholeMessage(`${form} ${why}; ${instead}`);
}
