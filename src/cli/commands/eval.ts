// `nightshift eval <role>`: runs the role's eval suite, each case in isolation, stores the result against
// the role version in the project's store, and exits 0 only when the suite passed its threshold and
// nothing regressed against the baseline (docs/evals.md).
import { relative } from 'node:path';
import { type Command, Option } from 'commander';
import { rangeText, wholeNumber } from '../../config/whole-number.js';
import { NightshiftError } from '../../errors.js';
import { type CliContext, type CommonFlags, withCommonFlags } from '../context.js';
import { EXIT } from '../exit-codes.js';
import { loadRoleAndManagers } from '../role-and-managers.js';

interface EvalFlags extends CommonFlags {
  suite?: string;
  repeat: string;
  concurrency: string;
  maxCost?: string;
  threshold?: string;
  baseline?: string;
  split?: 'train' | 'holdout';
}

/** A count flag: digits only, 1 to 10000 (config/whole-number.ts, as every integer flag). */
function count(text: string, flag: string): number {
  return wholeNumber(text, flag, 1, 10_000);
}

function number(text: string | undefined, flag: string, max = Number.POSITIVE_INFINITY): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (text.trim() === '' || !Number.isFinite(n) || n < 0 || n > max)
    throw new NightshiftError('USAGE', `${flag} must be a number ${rangeText(0, max)}, got '${text}'`);
  return n;
}

export function evalCommand(program: Command, cli: CliContext): void {
  withCommonFlags(program.command('eval <role>'))
    .description("run a role's eval suite, each case in isolation; exit 1 when it fails or regressed")
    .option('--suite <file>', "the suite file (default: the role's evals:)")
    .option('--repeat <n>', 'run each case n times (a confidence interval for the pass rate)', '1')
    .option('--concurrency <n>', 'case runs at once', '1')
    .option('--max-cost <usd>', 'refuse when the estimated cost is over this (or unknown)')
    .option('--threshold <p>', "the pass rate (0..1) the suite must reach (default: the suite's threshold)")
    .option('--baseline <version>', "compare with this role version's last passing result")
    .addOption(
      new Option('--split <split>', 'only the train or the holdout cases').choices(['train', 'holdout']),
    )
    .action(async (roleFile: string, flags: EvalFlags) => {
      const repeat = count(flags.repeat, '--repeat');
      const concurrency = count(flags.concurrency, '--concurrency');
      const maxCostUsd = number(flags.maxCost, '--max-cost');
      const threshold = number(flags.threshold, '--threshold', 1);
      // Imported when the command runs, not when it is declared (bench/README.md, "CLI start-up").
      const [{ roleRecordSpec }, { formatEstimate, formatSuite }, { runSuite }, { loadSuite }] =
        await Promise.all([
          import('../../engine/start.js'),
          import('../../evals/format.js'),
          import('../../evals/run-suite.js'),
          import('../../evals/suite-file.js'),
        ]);
      const role = await loadRoleAndManagers(cli, roleFile);
      // Named by the role: shown relative to here, as the user would open it.
      const suiteFile = flags.suite ?? (role.evals ? relative(process.cwd(), role.evals) : undefined);
      if (!suiteFile)
        throw new NightshiftError(
          'USAGE',
          `${roleFile} names no eval suite: add evals: to it, or give --suite`,
        );
      const suite = loadSuite(suiteFile);
      const config = cli.projectConfig();
      // The project's store keeps the results and the baseline; the cases never run in it.
      const rt = await cli.open(flags);
      const result = await runSuite(role, suite, {
        store: rt.store,
        repeat,
        concurrency,
        maxCostUsd,
        threshold,
        baseline: flags.baseline,
        split: flags.split,
        models: config.models,
        loadRole: cli.loadRole,
        // Before any case runs, so a user sees what a real-model suite will cost (stderr under --json).
        onEstimate: (e) => (flags.json ? cli.io.err : cli.io.out)(formatEstimate(e)),
      });
      // The version the result is stored against is stored (registered) too, as `versions <role file>`
      // does: `versions ROLE` then lists it with this eval, and `promote ROLE HASH` finds it.
      await rt.store.putRoleVersion({
        name: role.name,
        version: role.version,
        spec: roleRecordSpec(role),
        createdAt: Date.now(),
      });
      cli.print(flags, result, formatSuite(result));
      cli.io.code = result.ok ? EXIT.ok : EXIT.failed;
    });
}
