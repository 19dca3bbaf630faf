// The library API end to end (docs/library.md): a tool and a role defined in code, a run that pauses on
// an escalation rule and goes on once a person answers, and an event turned into a queued run that a
// worker in this process picks up. It runs offline: the model is scripted (refund-bot.script.yaml).
import { setTimeout as sleep } from 'node:timers/promises';
import {
  createRuntime,
  type Delivery,
  defineRole,
  defineTool,
  type Role,
  type RunStatus,
  type RunSummary,
  type Runtime,
} from 'nightshift';
import { z } from 'zod';

/** Refunds made, in place of a payment provider's API. */
export const refunds: { orderId: string; amount: number; idempotencyKey: string }[] = [];

export const issueRefund = defineTool({
  name: 'refunds.issue',
  description: 'Refund (part of) an order to the customer',
  input: z.object({ orderId: z.string(), amount: z.number().positive(), reason: z.string() }),
  // Moves money: `external`. Deduplicated by idempotency key, so it is safe to run again after a crash.
  effect: 'external',
  idempotent: true,
  run: ({ orderId, amount }, ctx) => {
    if (!refunds.some((r) => r.idempotencyKey === ctx.idempotencyKey)) {
      refunds.push({ orderId, amount, idempotencyKey: ctx.idempotencyKey });
    }
    return { refunded: amount };
  },
});

/** The role; `dir` is where its relative paths (the model script) are found. */
export function refundBot(dir: string): Role {
  return defineRole(
    {
      name: 'refund-bot',
      description: 'Refunds damaged orders',
      autonomy: 'full',
      model: 'script:refund-bot.script.yaml',
      instructions: 'Refund orders that arrived damaged, then summarise what you did.',
      tools: [issueRefund],
      // Typed: a misspelt key (`greaterThan`) or category does not compile.
      escalation: [
        {
          category: 'money',
          reason: 'refunds over 100 USD need a person',
          when: { tool: 'refunds.issue', arg: 'amount', gt: 100 },
        },
      ],
      triggers: [{ event: 'refund.requested' }],
      output: {
        type: 'object',
        required: ['summary'],
        properties: { summary: { type: 'string' } },
      },
    },
    { dir },
  );
}

/** Polls until a run is no longer queued or running (a worker took it and it finished or paused). */
async function settled(runtime: Runtime, runId: string): Promise<RunStatus> {
  for (;;) {
    const snapshot = await runtime.get(runId);
    if (snapshot && snapshot.run.status !== 'queued' && snapshot.run.status !== 'running') {
      return snapshot.run.status;
    }
    await sleep(20);
  }
}

export async function main(options: { dataDir: string; dir: string }): Promise<{
  paused: RunSummary;
  answered: RunSummary;
  delivered: Delivery[];
  afterWorker: RunStatus;
}> {
  const role = refundBot(options.dir);
  const runtime = await createRuntime({ dataDir: options.dataDir });
  try {
    // 1. Run now: the 250 USD refund matches the escalation rule, so the run pauses before the call.
    const paused = await runtime.run(role, { orderId: 'A-1001' });
    // paused.status === 'escalated'; the question waits in runtime.inbox() (and `nightshift inbox`).
    const question = paused.escalations[0];
    if (!question) throw new Error(`expected an escalation, got ${paused.status}`);
    // 2. A person answers and lets the held call run once; the run goes on to its validated output.
    const answered = await runtime.answer(question.id, 'Approved: the photos show the damage', {
      by: 'alice',
      allowCall: true,
    });

    // 3. An event: emit records a queued run for every role with that trigger (once per idempotency
    // key), and a worker (here in this process; `nightshift serve` elsewhere) runs it.
    const abort = new AbortController();
    const worker = runtime.work({ roles: [role], concurrency: 2, signal: abort.signal });
    const delivered = await runtime.emit('refund.requested', { orderId: 'A-1002' }, { idempotencyKey: 'req-7' });
    const afterWorker = await settled(runtime, delivered[0]!.runId!);
    abort.abort();
    await worker.done;
    return { paused, answered, delivered, afterWorker };
  } finally {
    await runtime.close();
  }
}
