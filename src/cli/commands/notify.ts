// `nightshift notify --once`: one pass over the notification outbox from the command line (cron, or where
// no `serve` runs): timed-out tiers pass on, due notifications are sent through the channels this
// environment can use. `serve` does the same every second (NIGHTSHIFT_NOTIFY_MS).
import type { Command } from 'commander';
import { MAX_TIMER_MS } from '../../config/timer-limit.js';
import { wholeNumber } from '../../config/whole-number.js';
import { NightshiftError } from '../../errors.js';
import { type CliContext, type CommonFlags, withCommonFlags } from '../context.js';

/** The lease's bounds: as serve's --lease-ms (src/config/serve-settings.ts), the longest a timer takes. */
const MIN_LEASE_MS = 100;

/**
 * `--lease-ms`: digits only (`1e30`, `0x10`, `1.5` and ` 100` are refused, not read as numbers JavaScript
 * would make of them), from 100 to 2147483647 ms; USAGE naming the flag otherwise.
 */
function leaseMsFlag(raw: string | undefined): number | undefined {
  return raw === undefined ? undefined : wholeNumber(raw, '--lease-ms', MIN_LEASE_MS, MAX_TIMER_MS);
}

export function notifyCommand(program: Command, cli: CliContext): void {
  withCommonFlags(program.command('notify'))
    .description('send due notifications to people and pass timed-out tiers on (one pass with --once)')
    .option('--once', 'one pass, then exit (the only mode for now; serve sends continuously)')
    .option('--lease-ms <ms>', "how long a claimed notification is this process's (default 60000)")
    .action(async (flags: CommonFlags & { once?: boolean; leaseMs?: string }) => {
      if (!flags.once)
        throw new NightshiftError(
          'USAGE',
          'notify needs --once (nightshift serve sends notifications continuously)',
        );
      const leaseMs = leaseMsFlag(flags.leaseMs);
      // Imported when the command runs, not when it is declared (bench/README.md, "CLI start-up").
      const { channelsFromEnv } = await import('../../notifications/channels.js');
      // The channels first: a decisions secret too short to sign with is refused before the store opens.
      const { channels, missing } = channelsFromEnv(process.env, {
        settings: cli.projectConfig().notifications,
        people: cli.projectConfig().people?.people,
      });
      // It sends what runs left in the outbox: no store means a wrong --data-dir, not an empty outbox.
      const rt = await cli.open(flags, { createStore: false });
      const pass = await rt.notify({ channels, ...(leaseMs !== undefined ? { leaseMs } : {}) });
      const pending = await rt.store.outboxDepth();
      cli.print(
        flags,
        { ...pass, pending, unavailable: missing },
        `sent ${pass.sent}, retrying ${pass.retried}, failed ${pass.failed}, cancelled ${pass.cancelled}; tiers passed on ${pass.tiersPassed}; ${pending} waiting${missing.map((m) => `\n(${m.channel}: ${m.why})`).join('')}\n`,
      );
    });
}
