// A model of your own (docs/models.md, "A model of your own"): any object implementing `Model` takes a
// role's turns when it is given to createRuntime under models.custom and the role names it as
// `custom:<name>`. This one is a tiny rule-based model: it looks the order up with a tool, then answers
// with what the tool said. A real one would call an in-house inference service here.
import {
  createRuntime,
  defineRole,
  defineTool,
  type Model,
  type ModelRequest,
  type ModelResponse,
  type RunSummary,
} from 'nightshift';
import { z } from 'zod';

export const lookupOrder = defineTool({
  name: 'orders.lookup',
  description: 'Look an order up by id',
  input: z.object({ orderId: z.string() }),
  effect: 'read',
  run: ({ orderId }) => ({ orderId, status: 'shipped' }),
});

/** The turns this model was asked for, kept so the example's test can look at them. */
export const requests: ModelRequest[] = [];

export const orderModel: Model = {
  // As runs record it; name it after the key it is given under.
  spec: 'custom:order-model',
  provider: 'custom',
  // It reports its own cost (0 here); `priced: false` would warn that costs are unknown.
  priced: true,
  async turn(request: ModelRequest): Promise<ModelResponse> {
    requests.push(request);
    request.signal?.throwIfAborted();
    const usage = { inputTokens: 0, outputTokens: 0, cachedInputTokens: 0, costUsd: 0 };
    const result = request.messages.find((m) => m.role === 'tool');
    if (!result) {
      // First turn: ask for the tool, by nightshift's name for it (request.tools lists what is offered).
      const input = request.messages.find((m) => m.role === 'user');
      const orderId = /[A-Z]-\d+/.exec(input?.role === 'user' ? input.content : '')?.[0] ?? 'unknown';
      return {
        text: '',
        calls: [{ id: 'call-1', tool: 'orders.lookup', args: { orderId } }],
        usage,
        stopReason: 'tool_calls',
        modelId: 'order-model-1',
      };
    }
    // The tool's result came back (its content is the result as JSON): answer with it.
    const { status } = JSON.parse(result.content) as { status: string };
    return { text: `The order is ${status}.`, calls: [], usage, stopReason: 'end', modelId: 'order-model-1' };
  },
};

export async function main(options: { dataDir: string }): Promise<RunSummary> {
  const role = defineRole({
    name: 'order-desk',
    description: 'Answers questions about orders',
    autonomy: 'full',
    model: 'custom:order-model',
    instructions: 'Look the order up, then say where it is.',
    tools: [lookupOrder],
  });
  const runtime = await createRuntime({
    dataDir: options.dataDir,
    models: { custom: { 'order-model': orderModel } },
  });
  try {
    return await runtime.run(role, { question: 'Where is order A-1001?' });
  } finally {
    await runtime.close();
  }
}
