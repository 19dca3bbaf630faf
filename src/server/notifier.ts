// serve's notifier: passes timed-out tiers on and sends due notifications, every `intervalMs`, until
// stopped. Every outcome is logged (and counted in /metrics); a failing pass is logged and tried again.
import type { Logger } from 'pino';
import { type ChannelConfig, channelsFromEnv } from '../notifications/channels.js';
import type { Runtime } from '../runtime.js';
import type { ServeMetrics } from '../telemetry/metrics/index.js';

export interface Notifier {
  /** One pass now (tests, and a wake after a pause was committed here). */
  tick(): Promise<void>;
  stop(): Promise<void>;
}

export function startNotifier(
  runtime: Runtime,
  o: {
    env: NodeJS.ProcessEnv;
    log: Logger;
    intervalMs: number;
    metrics?: ServeMetrics | undefined;
    channels?: ChannelConfig | undefined;
    /** Whether a failure belongs to a store outage already logged once (decision 013): then no line. */
    absorbs?: ((err: unknown) => boolean) | undefined;
  },
): Notifier {
  const { channels, missing } = channelsFromEnv(o.env, o.channels);
  for (const m of missing)
    o.log.warn({ channel: m.channel, why: m.why }, `notifications by ${m.channel} cannot be sent here`);
  let running: Promise<void> | undefined;
  let stopped = false;
  const tick = (): Promise<void> => {
    running ??= (async () => {
      try {
        const pass = await runtime.notify({
          channels,
          onOutcome: (row, outcome, error) => {
            o.metrics?.notification(row.channel, outcome);
            const fields = {
              notification: row.id,
              decision: row.decisionId,
              channel: row.channel,
              attempt: row.attempt,
            };
            if (outcome === 'failed') o.log.error({ ...fields, err: error }, 'notification failed for good');
            else if (outcome === 'retry')
              o.log.warn({ ...fields, err: error }, 'notification failed; will retry');
            else o.log.info(fields, `notification ${outcome}`);
          },
        });
        if (pass.tiersPassed > 0)
          o.log.info({ tiersPassed: pass.tiersPassed }, 'tiers timed out and passed on');
      } catch (err) {
        // A pass fails every interval while the database is unreachable: the outage has its own line.
        if (!o.absorbs?.(err)) o.log.error({ err: (err as Error).message }, 'notification pass failed');
      } finally {
        running = undefined;
      }
    })();
    return running;
  };
  const timer = setInterval(() => {
    if (!stopped) void tick();
  }, o.intervalMs);
  timer.unref();
  return {
    tick,
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}
