// `nightshift versions`, `promote`, `rollback` and `autonomy`: a role's stored versions, which one is
// active, and the record that says whether its rung should move (src/versions/).
import { statSync } from 'node:fs';
import type { Command } from 'commander';
import { createIdSource, isIdOf, systemClock } from '../../clock.js';
import { NightshiftError } from '../../errors.js';
import type { Runtime } from '../../runtime.js';
import { parseSince, SINCE_FORMATS } from '../../stats/since.js';
import type { PromotionContext, PromotionResult } from '../../versions/promote.js';
import { type CliContext, type CommonFlags, defaultActor, withCommonFlags } from '../context.js';
import { EXIT } from '../exit-codes.js';
import { collect } from '../repeated-options.js';
import { loadRoleAndManagers } from '../role-and-managers.js';

/** What the commands do, imported when one runs, not when they are declared (bench/README.md, "CLI start-up"). */
async function impl() {
  const [actor, start, schema, autonomy, evidence, promotion, versions, format] = await Promise.all([
    import('../../approvals/actor.js'),
    import('../../engine/start.js'),
    import('../../roles/schema.js'),
    import('../../versions/autonomy.js'),
    import('../../versions/evidence.js'),
    import('../../versions/promote.js'),
    import('../../versions/versions.js'),
    import('../format-versions.js'),
  ]);
  return { ...actor, ...start, ...schema, ...autonomy, ...evidence, ...promotion, ...versions, ...format };
}

type PromoteFlags = CommonFlags & { as?: string; evidence?: string[]; note?: string };

export function promotionContext(cli: CliContext, rt: Runtime): PromotionContext {
  return { store: rt.store, clock: systemClock, ids: createIdSource(), people: cli.projectConfig().people };
}

/**
 * Whether the argument is a role file (registered when given), not a role's name. A folder of that name
 * (a project folder named after its role) is not a file: `versions pv` beside `pv/` names the role.
 */
function namesFile(arg: string): boolean {
  if (/\.ya?ml$/.test(arg)) return true;
  try {
    return !statSync(arg).isDirectory();
  } catch {
    return false;
  }
}

/**
 * Opens the store for a role given by name or by file. By name the commands only read, so a missing store
 * is refused (STORE_NOT_FOUND); a file is loaded first (a missing or invalid one is refused before the
 * store is opened, which it used to create) and its version stored (registered), so an edit can be
 * promoted before anything ran it: that may make the store, unless `create` is false (rollback).
 */
async function openRole(
  cli: CliContext,
  flags: CommonFlags,
  arg: string,
  create = true,
): Promise<{ rt: Runtime; name: string }> {
  const { roleRecordSpec } = await impl();
  const role = namesFile(arg) ? await loadRoleAndManagers(cli, arg) : undefined;
  const rt = await cli.open(flags, role && create ? {} : { createStore: false });
  if (!role) return { rt, name: arg };
  await rt.store.putRoleVersion({
    name: role.name,
    version: role.version,
    spec: roleRecordSpec(role),
    createdAt: Date.now(),
  });
  return { rt, name: role.name };
}

/** A role given by name with nothing stored for it: `versions` and `autonomy` alike (exit 2). */
function noStoredVersion(name: string): NightshiftError {
  return new NightshiftError(
    'VERSION_NOT_FOUND',
    `no stored version of role '${name}' in this store: run it, or give its role file (or check the name and --data-dir)`,
  );
}

export function versionCommands(program: Command, cli: CliContext): void {
  const { io, cmd } = cli;
  withCommonFlags(program.command('versions <role>'))
    .description(
      "a role's stored versions: hash, first seen, which is active, eval summary; and its promotions",
    )
    .action(async (arg: string, flags: CommonFlags) => {
      // By name it only reads; a file's version is stored first (openRole).
      const { roleVersionsView, formatVersions } = await impl();
      const { rt, name } = namesFile(arg)
        ? await openRole(cli, flags, arg)
        : { rt: await cli.open(flags, { readOnly: true }), name: arg };
      const view = await roleVersionsView(rt.store, name);
      // A role this store has never seen is an unknown name (a typo, the wrong --data-dir), refused as
      // `autonomy` refuses it, not an empty list that exits 0 as if all were well.
      if (view.versions.length === 0 && view.history.length === 0) throw noStoredVersion(name);
      cli.print(flags, view, formatVersions(view, cmd));
    });

  const printResult = async (flags: CommonFlags, r: PromotionResult) => {
    const { formatPromotion } = await impl();
    cli.print(flags, r, formatPromotion(r.promotion, r.outcome, cmd));
    // Waiting for a person is a pause, as a run's is (exit 3).
    io.code = r.outcome === 'pending' ? EXIT.paused : EXIT.ok;
  };

  withCommonFlags(program.command('promote <role> <version>'))
    .description('make a stored version the active one (a version that widens authority waits for a person)')
    .option('--as <name>', 'who promotes (default: $NIGHTSHIFT_ACTOR or $USER)')
    .option(
      '--evidence <text>',
      'what the promotion rests on (repeatable): an eval id, a ticket, a note',
      collect,
    )
    .option('--note <text>', 'a note kept with the promotion')
    .action(async (arg: string, version: string, flags: PromoteFlags) => {
      // By name the version must already be stored; given the file, promote registers it (and may make
      // the store: a role can be promoted before anything ran it).
      // Who promotes is checked before the store is opened (or made): a reserved name writes nothing.
      const { checkActor, promote } = await impl();
      const by = checkActor(flags.as ?? defaultActor());
      const { rt, name: role } = await openRole(cli, flags, arg);
      await printResult(
        flags,
        await promote(promotionContext(cli, rt), {
          role,
          version,
          by,
          evidence: flags.evidence,
          note: flags.note,
        }),
      );
    });

  withCommonFlags(program.command('rollback <role>'))
    .description('make the previously active version active again (again: one further back)')
    .option('--as <name>', 'who rolls back (default: $NIGHTSHIFT_ACTOR or $USER)')
    .option('--evidence <text>', 'why (repeatable)', collect)
    .option('--note <text>', 'a note kept with the rollback')
    .action(async (arg: string, flags: PromoteFlags) => {
      // A rollback needs promotions stored before it: a missing store is a wrong --data-dir.
      const { checkActor, rollback } = await impl();
      const by = checkActor(flags.as ?? defaultActor());
      const { rt, name: role } = await openRole(cli, flags, arg, false);
      await printResult(
        flags,
        await rollback(promotionContext(cli, rt), {
          role,
          by,
          evidence: flags.evidence,
          note: flags.note,
        }),
      );
    });

  withCommonFlags(program.command('autonomy <role>'))
    .description('suggest moving a role up or down a rung from its record, with the evidence and thresholds')
    .option('--since <when>', `only the record since: ${SINCE_FORMATS}`)
    .action(async (arg: string, flags: CommonFlags & { since?: string }) => {
      const since = flags.since !== undefined ? parseSince(flags.since, Date.now()) : undefined;
      const { autonomyEvidence, suggestAutonomy, Autonomy, evalRecord, formatAutonomy } = await impl();
      const { rt, name } = await openRole(cli, flags, arg);
      const active = await rt.store.activePromotion(name);
      const versions = await rt.store.listRoleVersions(name);
      const version = active?.version ?? versions.at(-1)?.version;
      const spec = version ? (await rt.store.getRoleVersion(name, version))?.spec : undefined;
      if (!spec) throw noStoredVersion(name);
      const evidence = await autonomyEvidence(rt.store, name, { since, version });
      const thresholds = cli.projectConfig().versions.autonomy;
      const suggestion = suggestAutonomy(Autonomy.parse(spec.autonomy), evidence, thresholds);
      const hasEvals = (await evalRecord(rt.store, name)).length > 0;
      cli.print(
        flags,
        { role: name, version, evidence, thresholds, suggestion },
        formatAutonomy(name, suggestion, hasEvals),
      );
    });
}

/**
 * `approve prm_…` / `reject prm_…`: a pending promotion is decided through the same commands as a change
 * set, by a person allowed for its role (checked before anything is written).
 */
export async function decidePromotion(
  cli: CliContext,
  flags: CommonFlags & { as?: string; note?: string; reason?: string },
  id: string,
  decision: 'grant' | 'refuse',
): Promise<void> {
  const { grantPromotion, refusePromotion, formatPromotion } = await impl();
  const rt = await cli.open(flags, { createStore: false });
  const ctx = promotionContext(cli, rt);
  const by = flags.as ?? defaultActor();
  const p =
    decision === 'grant'
      ? await grantPromotion(ctx, id, { by, note: flags.note })
      : await refusePromotion(ctx, id, { by, reason: flags.reason ?? '' });
  cli.print(flags, p, formatPromotion(p, p.status === 'done' ? 'promoted' : p.status, cli.cmd));
}

/** Pending promotions are prm_ ids; every other id is a change set's or an escalation's. */
export const isPromotionId = (id: string) => isIdOf('promotion', id);
