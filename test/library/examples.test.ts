// The library examples that docs/library.md shows compile against the built package's types and run:
// examples/library/*.ts is type-checked with its own tsconfig (the package as a user's project sees it,
// through dist/src/index.d.ts) and emitted into dist/, then run against a real SQLite store.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import type { Delivery, ModelRequest, RunSummary } from '../../src/index.js';
import { repoRoot } from '../support/paths.js';

/** What the test uses of the example (typed here: the example is compiled by its own tsconfig). */
interface RefundBotModule {
  refunds: { orderId: string; amount: number }[];
  main(o: { dataDir: string; dir: string }): Promise<{
    paused: RunSummary;
    answered: RunSummary;
    delivered: Delivery[];
    afterWorker: string;
  }>;
}

/** What the test uses of the custom-model example. */
interface CustomModelModule {
  requests: ModelRequest[];
  main(o: { dataDir: string }): Promise<RunSummary>;
}

const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');

describe('the library examples', () => {
  it('type-check against the published types', () => {
    const r = spawnSync(
      process.execPath,
      [tsc, '-p', join(repoRoot, 'examples', 'library', 'tsconfig.json')],
      {
        encoding: 'utf8',
      },
    );
    assert.equal(r.status, 0, r.stdout + r.stderr);
  });

  it('refund-bot: a run pauses on its escalation rule, an answer lets the call run once, an event is worked', async () => {
    const { main, refunds } = (await import(
      pathToFileURL(join(repoRoot, 'dist', 'examples', 'library', 'refund-bot.js')).href
    )) as RefundBotModule;
    const dataDir = mkdtempSync(join(tmpdir(), 'nightshift-library-'));
    try {
      const r = await main({ dataDir, dir: join(repoRoot, 'examples', 'library') });
      assert.equal(r.paused.status, 'escalated');
      assert.equal(r.paused.escalations[0]?.category, 'money');
      assert.equal(r.answered.status, 'succeeded');
      assert.deepEqual(r.answered.output, { summary: 'Refunded 250 USD for order A-1001' });
      assert.equal(r.delivered.length, 1);
      assert.equal(r.delivered[0]?.status, 'queued');
      // The worker ran the queued run up to the same rule: it waits for a person too.
      assert.equal(r.afterWorker, 'escalated');
      assert.deepEqual(
        refunds.map((x) => [x.orderId, x.amount]),
        [['A-1001', 250]],
      );
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('custom-model: a Model object given under models.custom takes the turns of a role naming custom:<name>', async () => {
    const { main, requests } = (await import(
      pathToFileURL(join(repoRoot, 'dist', 'examples', 'library', 'custom-model.js')).href
    )) as CustomModelModule;
    const dataDir = mkdtempSync(join(tmpdir(), 'nightshift-library-'));
    try {
      const r = await main({ dataDir });
      assert.equal(r.status, 'succeeded');
      assert.equal(r.output, 'The order is shipped.');
      // Two turns: the tool call, then the answer after its result; the role's tool was offered by its own
      // name, with the escalate tool every role has.
      assert.equal(requests.length, 2);
      assert.deepEqual(
        requests[0]?.tools.map((t) => t.name),
        ['orders.lookup', 'escalate'],
      );
      assert.ok(requests[1]?.messages.some((m) => m.role === 'tool' && m.content.includes('shipped')));
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
