// A full disk under the embedded store: the daemon's data dir is a small tmpfs (mounted here; needs
// root), filled with a file while events arrive, then freed. Contract: while full, an event is either
// accepted (and later runs) or refused with an answer that says the disk is full; runs in flight fail or
// wait cleanly; once space is back every new event is accepted and every accepted run settles, with no
// charge twice; and the daemon started again on the same files works (no wedge survives a restart).

import assert from 'node:assert/strict';
import { readdirSync, rmSync, statfsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { authFor } from '../test/support/cli.js';
import { fillDisk, mountSmallDisk, smallDiskSkip } from '../test/support/small-disk.js';
import { waitFor } from '../test/support/wait.js';
import { breaches, tally, waitSettled } from './support/check.js';
import { emitEvents, openCluster, postEvent as post } from './support/cluster.js';
import { type Payments, startPayments } from './support/payments.js';
import { record } from './support/results.js';

const TMPFS_MB = 4;
const AFTER = 15;
const PADDING = 'x'.repeat(16_000);

let payments: Payments;
before(async () => {
  payments = await startPayments();
});
after(() => payments.close());

describe('a full disk under the embedded store', { skip: smallDiskSkip() }, () => {
  it('fills the data dir under load, frees it, restarts: nothing lost or doubled, nothing wedged', async () => {
    const disk = mountSmallDisk('nightshift-full-disk-', TMPFS_MB);
    if (typeof disk === 'string') throw new Error(disk);
    const dataDir = join(disk.dir, 'data');
    const cluster = await openCluster({
      kind: 'sqlite',
      payments,
      dataDir,
      tools: ['payments.charge_once'],
      turns: [{ call: 'payments.charge_once', args: { amount: 1 } }, { final: { paid: true } }],
    });
    try {
      const first = await cluster.startWorker();
      const ids: string[] = [];
      for (let i = 0; i < 10; i++)
        ids.push((await post(first.url, `disk-before-${i}`, { padding: PADDING })).runId!);
      await waitSettled(cluster, ids, 30_000);

      const filler = fillDisk(disk.dir);
      const problems: string[] = [];
      const whileFull = await Promise.all(
        Array.from({ length: 20 }, (_, i) => post(first.url, `disk-full-${i}`, { padding: PADDING })),
      );
      const unexplained = whileFull.filter((a) => !a.runId && !/disk|space|full/i.test(a.text));
      for (const a of whileFull) if (a.runId) ids.push(a.runId);
      if (unexplained.length > 0)
        problems.push(
          `${unexplained.length} events refused while full were answered without saying the disk is full (${unexplained[0]!.status} ${unexplained[0]!.text.slice(0, 60)})`,
        );
      const refusedWhileFull = whileFull.filter((a) => !a.runId).length;

      rmSync(filler);
      const freedAt = Date.now();
      // An at-least-once producer retries an event until it is accepted; each must be, soon (three
      // refused in a row end the phase: the store is wedged).
      const afterFree: string[] = [];
      let refusedInARow = 0;
      for (let i = 0; i < AFTER && refusedInARow < 3; i++) {
        const accepted = await waitFor(
          async () => (await post(first.url, `disk-after-${i}`, { padding: PADDING })).runId,
          `event ${i} to be accepted once space is back`,
          5_000,
        ).catch(() => undefined);
        if (accepted) afterFree.push(accepted);
        refusedInARow = accepted ? 0 : refusedInARow + 1;
      }
      if (afterFree.length < AFTER)
        problems.push(`${AFTER - afterFree.length} of ${AFTER} events not accepted after space came back`);
      ids.push(...afterFree);
      const boundMs = 30_000;
      const settled = await waitSettled(cluster, ids, boundMs + 10_000);
      const recoveryMs = settled.at === undefined ? null : settled.at - freedAt;

      // Started again on the same files, the daemon takes new work.
      await cluster.kill(first);
      const second = await cluster.startWorker();
      const restarted = await emitEvents(second.url, 5, 'disk-restart');
      if (restarted.length < 5) problems.push(`${5 - restarted.length} of 5 events refused after a restart`);
      ids.push(...restarted);
      await waitSettled(cluster, ids, 20_000);

      const t = await tally(cluster, payments, ids, 1);
      // Whether the disk is really full of data at the end, or of a WAL that never gave its space back.
      const mb = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MB`;
      const files = readdirSync(dataDir).map((f) => `${f} ${mb(statSync(join(dataDir, f)).size)}`);
      const fs = statfsSync(dataDir);
      const space = `${files.join(', ')}; ${mb(fs.bavail * fs.bsize)} free`;
      // A run may fail cleanly because the disk was full; it may not fail for another reason.
      const failedOtherwise = t.details.filter(
        (d) => / failed: /.test(d) && !/disk|full|space|SQLITE_FULL/i.test(d),
      );
      problems.push(
        ...breaches(t, { recoveryMs, boundMs, allowFailed: true }),
        ...failedOtherwise,
        ...t.details.filter((d) => !/ failed: /.test(d)),
      );
      record({
        id: '6-disk-full-sqlite',
        injection: `full disk (${TMPFS_MB} MB tmpfs data dir filled under load, freed, restart)`,
        store: 'sqlite',
        started: t.started,
        finished: t.finished,
        paused: t.paused,
        lost: t.lost,
        duplicated: t.duplicated,
        stuck: t.stuck,
        recoveryMs,
        contract: `while full, an event is accepted or refused with an answer naming the full disk; after freeing, ${AFTER} of ${AFTER} new events (16 KB each) are accepted and every accepted run settles within ${boundMs / 1000} s (a run may fail cleanly, saying the disk was full); after a restart 5 of 5 events run.`,
        problems,
        notes: `(While full: ${refusedWhileFull} of 20 events refused, ${t.failed} runs failed. At the end: ${space}.)`,
      });
      assert.deepEqual(problems, []);
    } finally {
      await cluster.close();
      disk.unmount();
    }
  });
});
