// Regular expressions written in role files (escalation `matches`, `scope.commands` argument patterns)
// run on text the model controls, so they run on RE2 (re2js, a pure-JavaScript port): matching takes
// time linear in the text, whatever the pattern, so no pattern can hang a run by backtracking.
// RE2 syntax is JavaScript's without lookaround and backreferences; `(?i)` turns on case-insensitivity.
import { RE2JS } from 're2js';

export type RoleRegex = RE2JS;

const compiled = new Map<string, RE2JS>();

/** Compiles (and caches) a role's pattern; throws with the reason when it is not valid RE2 syntax. */
export function roleRegex(source: string): RE2JS {
  let re = compiled.get(source);
  if (!re) {
    try {
      re = RE2JS.compile(source);
    } catch (err) {
      throw new Error(
        `${(err as Error).message} (patterns use RE2 syntax: no lookaround or backreferences)`,
        { cause: err },
      );
    }
    if (compiled.size > 1000) compiled.clear();
    compiled.set(source, re);
  }
  return re;
}

/** Whether the pattern matches somewhere in `text`. */
export function regexFinds(source: string, text: string): boolean {
  return roleRegex(source).test(text);
}

/** Whether the pattern matches the whole of `text`. */
export function regexMatchesWhole(source: string, text: string): boolean {
  return roleRegex(source).testExact(text);
}
