// A flag that takes one value, given twice, is refused. Commander keeps the last value and drops the
// others without a word (`approve … --note ok --note 'see ticket'` recorded only the second note), so
// whichever one the user meant may be lost; a flag that means to take several says so by collecting.
import type { Command, Option } from 'commander';

/** The argument parser of a repeatable flag (`--scope a --scope b`): every value, in order. */
export const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

const takesOneValue = (o: Option): boolean =>
  (o.required || o.optional) && !o.variadic && o.parseArg !== collect;

/** Makes `command` and every command under it refuse a one-value flag given more than once (exit 2). */
export function refuseRepeatedOptions(command: Command): void {
  for (const option of command.options.filter(takesOneValue)) {
    let given = 0;
    command.on(`option:${option.name()}`, () => {
      given += 1;
      if (given > 1)
        command.error(`error: option '${option.flags}' given more than once: give it once`, {
          code: 'nightshift.optionRepeated',
        });
    });
  }
  for (const sub of command.commands) refuseRepeatedOptions(sub);
}
