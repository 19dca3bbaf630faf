// The manager hop on Postgres: the same path, allowed within the manager's authority and passed up beyond
// it, through the Postgres store.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createRuntime } from '../../src/runtime.js';
import { writeManagedRoles } from '../support/managed-roles.js';
import { dropSchema, freshSchema, postgresUnavailable, TEST_DATABASE_URL } from '../support/postgres.js';

const done = { final: { summary: 'done' } };
const refund = (amount: number) => ({ call: 'ledger.append', args: { entry: `refund ${amount}`, amount } });
const skip = await postgresUnavailable();

describe('manager agents on Postgres', { skip }, () => {
  it('a lead allows 250 and cannot allow 5,000', async () => {
    const schema = freshSchema();
    const rt = await createRuntime({
      databaseUrl: TEST_DATABASE_URL,
      env: { ...process.env, NIGHTSHIFT_DATABASE_SCHEMA: schema },
    });
    try {
      const r = writeManagedRoles({
        clerkTurns: [refund(250), done],
        leadTurns: [{ call: 'escalation.allow', args: { note: 'ok' } }, done],
      });
      const ok = await rt.run(r.clerk, {});
      assert.equal(ok.status, 'succeeded');
      assert.deepEqual(r.ledger(), ['refund 250']);

      const big = writeManagedRoles({
        clerkTurns: [refund(5000), done],
        leadTurns: [{ call: 'escalation.allow', args: { note: 'ok' } }, done],
      });
      const paused = await rt.run(big.clerk, {});
      assert.equal(paused.status, 'escalated');
      const hops = (await rt.get(paused.runId))!.steps.filter((s) => s.kind === 'escalation_hop');
      assert.deepEqual(
        hops.map((s) => s.data.to),
        ['manager', 'humans'],
      );
      assert.deepEqual(big.ledger(), []);
    } finally {
      await rt.close();
      await dropSchema(schema);
    }
  });
});
