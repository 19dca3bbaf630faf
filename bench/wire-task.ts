// The peers' task over the wire (lookup → update → notify, then a final JSON answer: 4 model turns)
// against the fake Responses API, for three loops: nightshift's durable loop (policy on every call, every
// step committed to SQLite, streamed turns), the AI SDK's `generateText` + tools, and @openai/agents'
// `Runner.run`, on the Responses API, for bench/in-flight.ts (many runs at once). The task's data (plan,
// tools, counters) is shared with bench/model-turn.ts, which runs the same task on all three protocols.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { defineRole } from '../src/roles/define.js';
import type { Runtime, RuntimeOptions } from '../src/runtime/types.js';
import { createRuntime } from '../src/runtime.js';
import { defineTool } from '../src/tools/define.js';
import type { FakeReply, FakeRequest } from '../test/support/fake-llm.js';
import { tempDir } from '../test/support/tmp.js';

export const KEY = 'bench-key';
export const TASK_CONFIGS = ['task:nightshift', 'task:ai-sdk', 'task:openai-agents'] as const;
export type TaskConfig = (typeof TASK_CONFIGS)[number];

/** One loop set up against a fake server: `once` runs the task and throws unless it ended as scripted. */
export interface TaskSubject {
  once: () => Promise<void>;
  close: () => Promise<void>;
}

export const PLAN = [
  { tool: 'lookup', args: { customerId: 'cust-42' } },
  { tool: 'update', args: { customerId: 'cust-42', field: 'tier', value: 'gold' } },
  { tool: 'notify', args: { channel: '#ops', message: 'cust-42 upgraded to gold' } },
];
export const FINAL_TEXT = '{"status":"done","customer":"cust-42","tier":"gold"}';
/** The same task as a scripted model's file (`script:` models): durable-runs and wal-pages run it. */
export const TASK_SCRIPT_YAML = [
  'turns:',
  '  - call: crm.lookup',
  '    args: { customerId: cust-42 }',
  '  - call: crm.update',
  '    args: { customerId: cust-42, field: tier, value: gold }',
  '  - call: chat.notify',
  "    args: { channel: '#ops', message: cust-42 upgraded to gold }",
  `  - final: ${FINAL_TEXT}`,
  '',
].join('\n');
export const PROMPT = 'Customer cust-42 paid the invoice: upgrade them to gold and tell #ops.';
export const counters = { lookup: 0, update: 0, notify: 0 };

/** The scripted model: decides from the number of tool results already sent, so it is stateless. */
export function scripted(req: FakeRequest): FakeReply {
  const input = (Array.isArray(req.body.input) ? req.body.input : []) as { type?: string }[];
  const results = input.filter((i) => i.type === 'function_call_output').length;
  const step = PLAN[results];
  if (!step) return { text: FINAL_TEXT, usage: { input: 10, output: 5 } };
  const offered = ((req.body.tools ?? []) as { name: string }[]).map((t) => t.name);
  const name = offered.find((t) => t.endsWith(step.tool));
  if (!name) throw new Error(`tool ${step.tool} not offered: ${offered.join(', ')}`);
  return { calls: [{ name, input: step.args }], usage: { input: 10, output: 5 } };
}

export const impl = {
  lookup: ({ customerId }: { customerId: string }) => {
    counters.lookup++;
    return { customerId, name: 'Ada', tier: 'silver' };
  },
  update: ({ customerId, field, value }: { customerId: string; field: string; value: string }) => {
    counters.update++;
    return { ok: true, customerId, field, value };
  },
  notify: ({ channel }: { channel: string }) => {
    counters.notify++;
    return { delivered: true, channel };
  },
};
export const schemas = {
  lookup: z.object({ customerId: z.string() }),
  update: z.object({ customerId: z.string(), field: z.string(), value: z.string() }),
  notify: z.object({ channel: z.string(), message: z.string() }),
};
export const descriptions = {
  lookup: 'Look up a customer record',
  update: 'Update one field of a customer record',
  notify: 'Send a message to a channel',
};

/** The task's three tools as nightshift tools: a read, an idempotent write, a non-idempotent external call. */
export function taskTools() {
  return [
    defineTool({
      name: 'crm.lookup',
      description: descriptions.lookup,
      input: schemas.lookup,
      effect: 'read',
      idempotent: true,
      run: impl.lookup,
    }),
    defineTool({
      name: 'crm.update',
      description: descriptions.update,
      input: schemas.update,
      effect: 'write',
      idempotent: true,
      run: impl.update,
    }),
    defineTool({
      name: 'chat.notify',
      description: descriptions.notify,
      input: schemas.notify,
      effect: 'external',
      run: impl.notify,
    }),
  ];
}

/** The task's role over a scripted model (TASK_SCRIPT_YAML written into `dir`), as the durable benches run it. */
export function scriptedTaskRole(dir: string) {
  const script = join(dir, 'script.yaml');
  writeFileSync(script, TASK_SCRIPT_YAML);
  return defineRole(
    {
      name: 'bench-upgrader',
      description: 'Upgrades a customer and tells ops',
      autonomy: 'full',
      model: `script:${script}`,
      instructions: PROMPT,
      tools: taskTools(),
      output: { type: 'object', required: ['status'], properties: { status: { type: 'string' } } },
    },
    { dir },
  );
}

export async function nightshiftTask(
  url: string,
  options: Pick<RuntimeOptions, 'observers'> = {},
): Promise<TaskSubject & { runtime: Runtime }> {
  const tmp = tempDir('nightshift-bench-');
  const role = defineRole(
    {
      name: 'bench-upgrader',
      description: 'Upgrades a customer and tells ops',
      autonomy: 'full',
      model: 'openai:gpt-4.1-mini',
      instructions: PROMPT,
      tools: taskTools(),
    },
    { dir: tmp.path },
  );
  const runtime = await createRuntime({
    dataDir: join(tmp.path, 'data'),
    env: { OPENAI_API_KEY: KEY, OPENAI_BASE_URL: url },
    ...options,
  });
  return {
    runtime,
    once: async () => {
      const r = await runtime.run(role, { customerId: 'cust-42' });
      if (r.status !== 'succeeded' || (r.output as { tier?: string }).tier !== 'gold')
        throw new Error(`run ${r.runId} ended ${r.status}: ${JSON.stringify(r.error)}`);
    },
    close: async () => {
      await runtime.close();
      tmp.cleanup();
    },
  };
}

export async function aiSdkTask(url: string): Promise<TaskSubject> {
  const { generateText, stepCountIs, tool } = await import('ai');
  const { createOpenAI } = await import('@ai-sdk/openai');
  const model = createOpenAI({ apiKey: KEY, baseURL: url }).responses('gpt-4.1-mini');
  const tools = {
    lookup: tool({
      description: descriptions.lookup,
      inputSchema: schemas.lookup,
      execute: async (i) => impl.lookup(i),
    }),
    update: tool({
      description: descriptions.update,
      inputSchema: schemas.update,
      execute: async (i) => impl.update(i),
    }),
    notify: tool({
      description: descriptions.notify,
      inputSchema: schemas.notify,
      execute: async (i) => impl.notify(i),
    }),
  };
  return {
    once: async () => {
      const r = await generateText({ model, tools, prompt: PROMPT, stopWhen: stepCountIs(10) });
      if (r.text !== FINAL_TEXT) throw new Error(`unexpected final text ${r.text}`);
    },
    close: async () => {},
  };
}

export async function agentsTask(url: string): Promise<TaskSubject> {
  const { Agent, Runner, setDefaultOpenAIClient, setTracingDisabled, tool } = await import('@openai/agents');
  const { default: OpenAI } = await import('openai');
  setTracingDisabled(true);
  setDefaultOpenAIClient(new OpenAI({ apiKey: KEY, baseURL: url }));
  const agent = new Agent({
    name: 'billing-agent',
    instructions: PROMPT,
    model: 'gpt-4.1-mini',
    tools: [
      tool({
        name: 'lookup',
        description: descriptions.lookup,
        parameters: schemas.lookup,
        execute: async (i) => impl.lookup(i),
      }),
      tool({
        name: 'update',
        description: descriptions.update,
        parameters: schemas.update,
        execute: async (i) => impl.update(i),
      }),
      tool({
        name: 'notify',
        description: descriptions.notify,
        parameters: schemas.notify,
        execute: async (i) => impl.notify(i),
      }),
    ],
  });
  const runner = new Runner({ tracingDisabled: true });
  return {
    once: async () => {
      const r = await runner.run(agent, PROMPT);
      if (r.finalOutput !== FINAL_TEXT) throw new Error(`unexpected final output ${String(r.finalOutput)}`);
    },
    close: async () => {},
  };
}

/** Sets up `config`'s loop against the fake Responses API at `url`. */
export function taskSubject(config: TaskConfig, url: string): Promise<TaskSubject> {
  if (config === 'task:nightshift') return nightshiftTask(url);
  if (config === 'task:ai-sdk') return aiSdkTask(url);
  return agentsTask(url);
}
