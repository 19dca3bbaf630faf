// `nightshift improve <role> --proposer <model>`: rounds of the gated improvement loop (src/improve/),
// and `nightshift improve --history <role>`: every round recorded for the role.
import { existsSync } from 'node:fs';
import { relative } from 'node:path';
import type { Command } from 'commander';
import { rangeText, wholeNumber } from '../../config/whole-number.js';
import { NightshiftError } from '../../errors.js';
import { type CliContext, type CommonFlags, defaultActor, withCommonFlags } from '../context.js';
import { EXIT } from '../exit-codes.js';
import { loadRoleAndManagers } from '../role-and-managers.js';

interface ImproveFlags extends CommonFlags {
  proposer?: string;
  rounds: string;
  repeat: string;
  maxCost?: string;
  maxCostRatio: string;
  suite?: string;
  history?: boolean;
  as?: string;
}

/** A count flag: digits only, from 1 (config/whole-number.ts, as every integer flag). */
function whole(text: string, flag: string, max: number): number {
  return wholeNumber(text, flag, 1, max);
}

/** A flag's number: above 0, or (`zero`) 0 and above. */
function positive(text: string | undefined, flag: string, zero = false): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (text.trim() === '' || !Number.isFinite(n) || n < 0 || (n === 0 && !zero))
    throw new NightshiftError(
      'USAGE',
      `${flag} must be a number ${zero ? rangeText(0, Number.POSITIVE_INFINITY) : 'above 0'}, got '${text}'`,
    );
  return n;
}

export function improveCommand(program: Command, cli: CliContext): void {
  withCommonFlags(program.command('improve <role>'))
    .description(
      'propose a change to a role, evaluate it on its suite, and promote it only if better (--history: past rounds)',
    )
    .option('--proposer <model>', 'the model that proposes changes (script:<file> offline)')
    .option('--rounds <n>', 'improvement rounds', '1')
    .option('--repeat <n>', 'runs of each case, for the active version and each candidate alike', '1')
    .option('--max-cost <usd>', 'refuse when the estimate (proposer and evals) is over this, or unknown')
    .option(
      '--max-cost-ratio <x>',
      "a candidate may cost at most x times the active version's per case run",
      '1.2',
    )
    .option('--suite <file>', "the suite file (default: the role's evals:)")
    .option('--as <name>', 'who asks for the promotions (default: $NIGHTSHIFT_ACTOR or $USER)')
    .option('--history', "list the role's recorded rounds (the role by name or file)")
    .action(async (arg: string, flags: ImproveFlags) => {
      // Imported when the command runs, not when it is declared (bench/README.md, "CLI start-up").
      const [actor, suiteFile_, format, history, improvement, load, modelCheck] = await Promise.all([
        import('../../approvals/actor.js'),
        import('../../evals/suite-file.js'),
        import('../../improve/format.js'),
        import('../../improve/history.js'),
        import('../../improve/improve.js'),
        import('../../roles/load.js'),
        import('../model-check.js'),
      ]);
      const { checkActor } = actor;
      const { loadSuite } = suiteFile_;
      const { formatHistory, formatRound } = format;
      const { allImprovementRounds } = history;
      const { checkImprovable, improve } = improvement;
      const { loadRoleFile } = load;
      const { checkModel } = modelCheck;
      if (flags.history) {
        const name = /\.ya?ml$/.test(arg) && existsSync(arg) ? (await cli.loadRole(arg)).name : arg;
        // Only reads: a store that is not there is refused (STORE_NOT_FOUND), not made empty, and the store is
        // opened read-only, so a user who may read it and not write it gets the history (opened for writing,
        // SQLite's open of the file failed with EACCES).
        const rt = await cli.open(flags, { createStore: false, readOnly: true });
        const rounds = await allImprovementRounds(rt.store, name);
        cli.print(flags, { role: name, rounds }, formatHistory(name, rounds));
        return;
      }
      if (!flags.proposer)
        throw new NightshiftError(
          'USAGE',
          'improve needs --proposer <model> (or --history to list past rounds)',
        );
      const rounds = whole(flags.rounds, '--rounds', 100);
      const repeat = whole(flags.repeat, '--repeat', 10_000);
      // As eval's: --max-cost 0 lets only free (scripted) models run.
      const maxCostUsd = positive(flags.maxCost, '--max-cost', true);
      const maxCostRatio = positive(flags.maxCostRatio, '--max-cost-ratio');
      const role = await loadRoleAndManagers(cli, arg);
      const suiteFile = flags.suite ?? (role.evals ? relative(process.cwd(), role.evals) : undefined);
      if (!suiteFile)
        throw new NightshiftError('USAGE', `${arg} names no eval suite: add evals: to it, or give --suite`);
      const suite = loadSuite(suiteFile);
      const config = cli.projectConfig();
      // The proposer's model as a run would build it: a spec that cannot work, or a missing API key.
      const proposer = checkModel(flags.proposer, config.models);
      if (proposer.error)
        throw new NightshiftError(proposer.error.code, `--proposer: ${proposer.error.message}`, {
          ...(proposer.error.details ? { details: proposer.error.details } : {}),
        });
      // Who asks for the promotions: a reserved name was refused only at the promotion, after the rounds ran.
      const by = checkActor(flags.as ?? defaultActor());
      const loadRole = (file: string, text?: string) =>
        loadRoleFile(file, { projectToolModules: config.toolModules, text });
      const planned = {
        roleFile: arg,
        suite,
        proposer: flags.proposer,
        loadRole,
        rounds,
        repeat,
        maxCostUsd,
      };
      // Every flag, the role, its suite (not inside a workspace), the proposer and the estimate are checked
      // before the store is opened (or made): bad input writes nothing.
      await checkImprovable({ ...planned, models: config.models });
      const rt = await cli.open(flags);
      const say = flags.json ? cli.io.err : cli.io.out;
      const result = await improve({
        ...planned,
        runtime: rt,
        by,
        maxCostRatio,
        models: config.models,
        people: config.people,
        onEstimate: (usd) => say(`estimated cost: ${usd.toFixed(4)} USD (proposer and evals)`),
        onRound: flags.json ? undefined : (r) => cli.io.out(formatRound(r)),
      });
      // With nothing promoted, the file's version is what runs, not an active version: say which.
      const promoted = await rt.store.activePromotion(result.role);
      cli.print(
        flags,
        result,
        promoted
          ? `active version: ${result.role}@${result.activeVersion}`
          : `no active version: the role file runs (${result.role}@${result.activeVersion})`,
      );
      // A round waiting for a person is a pause (exit 3), as in promote.
      cli.io.code = result.rounds.some((r) => r.outcome === 'pending') ? EXIT.paused : EXIT.ok;
    });
}
