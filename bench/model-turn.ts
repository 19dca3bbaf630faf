// Model adapters against fake servers speaking the real wire protocols on loopback (SSE included), in two
// parts. Each configuration runs in a fresh child process, with its fake server in the same process.
//
// 1. Per-turn overhead of each API adapter (anthropic, openai Responses, openai Chat Completions): N
//    sequential one-turn requests, against a raw fetch of the same request reading the same SSE answer (the
//    floor: HTTP + the fake server itself).
// 2. One task, three frameworks, on each protocol (Anthropic Messages, Responses, Chat Completions): the
//    scripted model asks for lookup → update → notify, then answers. nightshift's durable loop (policy on
//    every call, every step committed to SQLite, verified from the store afterwards) vs the AI SDK's own loop
//    (`generateText` + tools + `stopWhen`, the matching @ai-sdk provider) vs @openai/agents (`Runner.run`;
//    Responses and Chat only: it has no Anthropic model of its own).
//
//   npm run build && node dist/bench/model-turn.js --reps 3 --turns 2000 --runs 500 [--only turn|task]
//   node dist/bench/model-turn.js --child turn:anthropic --n 2000          # one measurement, one JSON line
//   node dist/bench/model-turn.js --child task:nightshift:chat --n 300
import { spawnSync } from 'node:child_process';
import { Agent, request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createAnthropicModel } from '../src/models/anthropic/index.js';
import { createOpenAIChatModel, createOpenAIModel } from '../src/models/openai/index.js';
import type { Model, ModelRequest } from '../src/models/types.js';
import { defineRole } from '../src/roles/define.js';
import { createRuntime } from '../src/runtime.js';
import { startFakeAnthropic } from '../test/support/fake-anthropic.js';
import type { FakeReply, FakeRequest, FakeServer } from '../test/support/fake-llm.js';
import { startFakeOpenAI } from '../test/support/fake-openai.js';
import { startFakeOpenAIResponses } from '../test/support/fake-openai-responses.js';
import { tempDir } from '../test/support/tmp.js';
import {
  counters,
  descriptions,
  FINAL_TEXT,
  impl,
  KEY,
  PLAN,
  PROMPT,
  schemas,
  taskTools,
} from './wire-task.js';

const TURN_CONFIGS = ['turn:anthropic', 'turn:openai-responses', 'turn:openai-chat'] as const;
const PROTOCOLS = ['anthropic', 'responses', 'chat'] as const;
type Protocol = (typeof PROTOCOLS)[number];
// nightshift-unsynced: the same durable loop with every commit at NORMAL (as durable-runs' --unsynced), a
// weaker power-loss guarantee than nightshift's (the claim before `notify` is not fsynced before the call):
// reported as its own row only to show what the synced claim costs, never as nightshift's figure.
const LOOPS = ['nightshift', 'nightshift-unsynced', 'ai-sdk', 'openai-agents'] as const;
type Loop = (typeof LOOPS)[number];
/** @openai/agents speaks only OpenAI's protocols (its Anthropic route is an AI SDK model wrapped: not its own). */
const TASK_CONFIGS = PROTOCOLS.flatMap((p) =>
  LOOPS.filter((l) => !(l === 'openai-agents' && p === 'anthropic')).map((l) => `task:${l}:${p}`),
);

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
}

const request: ModelRequest = {
  system: 'You are terse.',
  messages: [{ role: 'user', content: 'hello' }],
  tools: [
    {
      name: 'fs.read',
      description: 'read a file',
      inputSchema: { type: 'object', properties: { path: { type: 'string' } }, required: ['path'] },
    },
    {
      name: 'fs.write',
      description: 'write a file',
      inputSchema: { type: 'object', properties: { path: { type: 'string' }, content: { type: 'string' } } },
    },
  ],
};

async function timed(n: number, once: () => Promise<void>, warmup = 200): Promise<number> {
  for (let i = 0; i < warmup; i++) await once();
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) await once();
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

async function turnChild(config: (typeof TURN_CONFIGS)[number], n: number) {
  let fake: FakeServer;
  let model: Model;
  let path: string;
  if (config === 'turn:anthropic') {
    fake = await startFakeAnthropic();
    model = createAnthropicModel('claude-sonnet-4-5', { apiKey: KEY, baseUrl: fake.url });
    path = `${fake.url}/v1/messages`;
  } else if (config === 'turn:openai-responses') {
    fake = await startFakeOpenAIResponses();
    model = createOpenAIModel('gpt-4.1-mini', { apiKey: KEY, baseUrl: fake.url });
    path = `${fake.url}/responses`;
  } else {
    fake = await startFakeOpenAI();
    model = createOpenAIChatModel('gpt-4.1-mini', { apiKey: KEY, baseUrl: fake.url });
    path = `${fake.url}/chat/completions`;
  }
  const adapter = async () => {
    const r = await model.turn(request);
    if (r.text !== 'ok') throw new Error(`unexpected answer ${r.text}`);
    fake.requests.length = 0;
  };
  await model.turn(request);
  // The floor: the very request the adapter sent, posted with fetch, the SSE answer read whole.
  const body = JSON.stringify(fake.requests[0]!.body);
  fake.requests.length = 0;
  const headers = {
    'content-type': 'application/json',
    'x-api-key': KEY,
    'anthropic-version': '2023-06-01',
    authorization: `Bearer ${KEY}`,
  };
  const raw = async () => {
    const res = await fetch(path, { method: 'POST', headers, body });
    const text = await res.text();
    if (!text.includes('ok')) throw new Error('unexpected raw answer');
    fake.requests.length = 0;
  };
  // The second floor, since the adapters post over node:http (decision 040): the same request through
  // node:http with a keep-alive agent, the answer read whole. What the adapter adds over the transport
  // it actually uses.
  const agent = new Agent({ keepAlive: true });
  const rawHttp = () =>
    new Promise<void>((resolve, reject) => {
      const req = httpRequest(
        path,
        { method: 'POST', agent, headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) } },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (c: string) => {
            text += c;
          });
          res.on('end', () => {
            fake.requests.length = 0;
            if (text.includes('ok')) resolve();
            else reject(new Error('unexpected raw http answer'));
          });
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  // Interleaved in ten blocks each, so a change in the machine's load falls on all alike; wall and CPU time
  // (the fake server runs in this process too, the same work for each).
  for (let i = 0; i < 200; i++) {
    await adapter();
    await raw();
    await rawHttp();
  }
  let adapterMs = 0;
  let rawMs = 0;
  let adapterCpu = 0;
  let rawCpu = 0;
  let httpMs = 0;
  let httpCpu = 0;
  const cpuOf = (u: NodeJS.CpuUsage) => (u.user + u.system) / 1000;
  for (let block = 0; block < 10; block++) {
    let c0 = process.cpuUsage();
    adapterMs += await timed(n / 10, adapter, 0);
    adapterCpu += cpuOf(process.cpuUsage(c0));
    c0 = process.cpuUsage();
    rawMs += await timed(n / 10, raw, 0);
    rawCpu += cpuOf(process.cpuUsage(c0));
    c0 = process.cpuUsage();
    httpMs += await timed(n / 10, rawHttp, 0);
    httpCpu += cpuOf(process.cpuUsage(c0));
  }
  agent.destroy();
  await fake.close();
  return {
    config,
    n,
    adapterTurnsPerSec: (n / adapterMs) * 1000,
    adapterUsPerTurn: (adapterMs / n) * 1000,
    rawTurnsPerSec: (n / rawMs) * 1000,
    rawUsPerTurn: (rawMs / n) * 1000,
    adapterCpuUsPerTurn: (adapterCpu / n) * 1000,
    rawCpuUsPerTurn: (rawCpu / n) * 1000,
    rawHttpUsPerTurn: (httpMs / n) * 1000,
    rawHttpCpuUsPerTurn: (httpCpu / n) * 1000,
  };
}

// ── the task ──

/**
 * The scripted model: decides from the number of tool results already sent, so it is stateless. Read through
 * the fake's protocol-neutral reader, so one script serves all three protocols (bench/wire-task.ts's
 * `scripted` reads the Responses body only).
 */
function scripted(fake: FakeServer): (req: FakeRequest) => FakeReply {
  return (req) => {
    const seen = fake.read(req);
    const step = PLAN[seen.toolResults.length];
    if (!step) return { text: FINAL_TEXT, usage: { input: 10, output: 5 } };
    const name = seen.toolNames.find((t) => t.endsWith(step.tool));
    if (!name) throw new Error(`tool ${step.tool} not offered: ${seen.toolNames.join(', ')}`);
    return { calls: [{ name, input: step.args }], usage: { input: 10, output: 5 } };
  };
}

interface TaskSubject {
  once: () => Promise<void>;
  /** Checks what the loop left behind (nightshift: from its store), then closes it. */
  close: (runs: number) => Promise<void>;
}

const ROLE_MODEL: Record<Protocol, string> = {
  anthropic: 'anthropic:claude-sonnet-4-5',
  responses: 'openai:gpt-4.1-mini',
  chat: 'openai-chat:gpt-4.1-mini',
};

async function nightshiftTask(url: string, protocol: Protocol, unsynced = false): Promise<TaskSubject> {
  const tmp = tempDir('nightshift-bench-');
  const role = defineRole(
    {
      name: 'bench-upgrader',
      description: 'Upgrades a customer and tells ops',
      autonomy: 'full',
      model: ROLE_MODEL[protocol],
      instructions: PROMPT,
      tools: taskTools(),
    },
    { dir: tmp.path },
  );
  const runtime = await createRuntime({
    dataDir: join(tmp.path, 'data'),
    env:
      protocol === 'anthropic'
        ? { ANTHROPIC_API_KEY: KEY, ANTHROPIC_BASE_URL: url }
        : { OPENAI_API_KEY: KEY, OPENAI_BASE_URL: url },
  });
  // A benchmark-only wrapper around this runtime's store, as in durable-runs; the runtime has no such switch.
  if (unsynced) {
    const commit = runtime.store.commit.bind(runtime.store);
    runtime.store.commit = (batch) => commit({ ...batch, durable: false });
  }
  return {
    once: async () => {
      const r = await runtime.run(role, { customerId: 'cust-42' });
      if (r.status !== 'succeeded' || (r.output as { tier?: string }).tier !== 'gold')
        throw new Error(`run ${r.runId} ended ${r.status}: ${JSON.stringify(r.error)}`);
    },
    close: async (runs) => {
      // Verified from the store, as durable-runs does: every run succeeded, and the last one committed its 4
      // model turns and a policy decision (allow) for each of its 3 calls before running them.
      const counts = await runtime.store.countRuns(['succeeded', 'failed', 'escalated']);
      if (counts.succeeded !== runs)
        throw new Error(`store: ${JSON.stringify(counts)}, expected ${runs} succeeded`);
      const [last] = await runtime.store.listRuns({ limit: 1 });
      const snap = await runtime.store.loadRun(last!.id);
      const kinds = snap!.steps.map((s) => s.kind);
      const decisions = snap!.steps.filter((s) => s.kind === 'decision');
      if (kinds.filter((k) => k === 'model_turn').length !== 4 || decisions.length !== 3)
        throw new Error(`store: the last run's steps are ${kinds.join(', ')}`);
      if (decisions.some((d) => (d.data as { decision?: string }).decision !== 'allow'))
        throw new Error('store: a call was not allowed by the policy');
      await runtime.close();
      tmp.cleanup();
    },
  };
}

async function aiSdkModel(url: string, protocol: Protocol) {
  if (protocol === 'anthropic') {
    const { createAnthropic } = await import('@ai-sdk/anthropic');
    return createAnthropic({ apiKey: KEY, baseURL: `${url}/v1` }).languageModel('claude-sonnet-4-5');
  }
  const { createOpenAI } = await import('@ai-sdk/openai');
  const openai = createOpenAI({ apiKey: KEY, baseURL: url });
  return protocol === 'responses' ? openai.responses('gpt-4.1-mini') : openai.chat('gpt-4.1-mini');
}

async function aiSdkTask(url: string, protocol: Protocol): Promise<TaskSubject> {
  const { generateText, stepCountIs, tool } = await import('ai');
  const model = await aiSdkModel(url, protocol);
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

async function agentsTask(url: string, protocol: Protocol): Promise<TaskSubject> {
  const { Agent, OpenAIChatCompletionsModel, Runner, setDefaultOpenAIClient, setTracingDisabled, tool } =
    await import('@openai/agents');
  const { default: OpenAI } = await import('openai');
  setTracingDisabled(true);
  const client = new OpenAI({ apiKey: KEY, baseURL: url });
  setDefaultOpenAIClient(client);
  const agent = new Agent({
    name: 'billing-agent',
    instructions: PROMPT,
    // The Responses API by default; Chat Completions through its own chat-completions model.
    model: protocol === 'chat' ? new OpenAIChatCompletionsModel(client, 'gpt-4.1-mini') : 'gpt-4.1-mini',
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

const FAKES: Record<Protocol, () => Promise<FakeServer>> = {
  anthropic: () => startFakeAnthropic(),
  responses: () => startFakeOpenAIResponses(),
  chat: () => startFakeOpenAI(),
};

async function taskChild(config: string, n: number) {
  const [, loop, protocol] = config.split(':') as [string, Loop, Protocol];
  const fake = await FAKES[protocol]();
  const script = scripted(fake);
  // Every request gets the scripted answer (the queue is refilled as it drains).
  const refill = () => fake.enqueue(...Array.from({ length: 400 }, () => script));
  const subject =
    loop === 'nightshift'
      ? await nightshiftTask(fake.url, protocol)
      : loop === 'nightshift-unsynced'
        ? await nightshiftTask(fake.url, protocol, true)
        : loop === 'ai-sdk'
          ? await aiSdkTask(fake.url, protocol)
          : await agentsTask(fake.url, protocol);
  const once = async () => {
    if (fake.remaining() < 10) refill();
    await subject.once();
    fake.requests.length = 0;
  };
  const before = { ...counters };
  const warmup = 50;
  const cpu0 = process.cpuUsage();
  const ms = await timed(n, once, warmup);
  const cpu = process.cpuUsage(cpu0);
  for (const k of ['lookup', 'update', 'notify'] as const) {
    if (counters[k] - before[k] !== n + warmup)
      throw new Error(`tool ${k} ran ${counters[k] - before[k]} times`);
  }
  await subject.close(n + warmup);
  await fake.close();
  return {
    config,
    n,
    runsPerSec: (n / ms) * 1000,
    msPerRun: ms / n,
    // CPU (user + system) per run, warm-up included: less swayed by a busy machine than wall time.
    cpuMsPerRun: (cpu.user + cpu.system) / 1000 / (n + warmup),
    peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
  };
}

// ── the parent: every configuration in its own process, interleaved, median (min–max) ──

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor((s.length - 1) / 2)]!;
}
const range = (xs: number[], digits: number) =>
  `${median(xs).toFixed(digits)} (${Math.min(...xs).toFixed(digits)}–${Math.max(...xs).toFixed(digits)})`;

function parent(): void {
  const reps = Number(arg('reps', '3'));
  const turns = arg('turns', '2000');
  const runs = arg('runs', '500');
  const self = fileURLToPath(import.meta.url);
  const rows = new Map<string, Record<string, number>[]>();
  // `--only turn` or `--only task` runs one part; `--only task:nightshift:chat,task:ai-sdk:chat` a few configs.
  const only = arg('only', '');
  const all = [...TURN_CONFIGS, ...TASK_CONFIGS];
  const configs =
    only === '' ? all : all.filter((c) => only.split(',').some((o) => c === o || c.startsWith(`${o}:`)));
  for (let rep = 0; rep < reps; rep++) {
    for (const c of configs) {
      const n = c.startsWith('turn:') ? turns : runs;
      const out = spawnSync(process.execPath, [self, '--child', c, '--n', n], { encoding: 'utf8' });
      if (out.status !== 0) throw new Error(`${c} failed: ${out.stderr}`);
      const row = JSON.parse(out.stdout.trim().split('\n').at(-1)!);
      rows.set(c, [...(rows.get(c) ?? []), row]);
      process.stderr.write(`rep ${rep + 1} ${c}: ${JSON.stringify(row)}\n`);
    }
  }
  const lines = [
    `per-turn overhead, one text turn with 2 tools offered, n=${turns} sequential, median (min–max) of ${reps}`,
    '| adapter | turns/s | µs/turn | raw fetch turns/s (floor) | raw µs/turn | overhead µs/turn (wall) | CPU µs/turn | raw CPU µs/turn | overhead µs/turn (CPU) |',
    '|---|---|---|---|---|---|---|---|---|',
  ];
  for (const c of TURN_CONFIGS) {
    const r = rows.get(c);
    if (!r) continue;
    const over = r.map((x) => x.adapterUsPerTurn! - x.rawUsPerTurn!);
    const overCpu = r.map((x) => x.adapterCpuUsPerTurn! - x.rawCpuUsPerTurn!);
    lines.push(
      `| ${c.slice(5)} | ${range(
        r.map((x) => x.adapterTurnsPerSec!),
        0,
      )} | ${range(
        r.map((x) => x.adapterUsPerTurn!),
        0,
      )} | ${range(
        r.map((x) => x.rawTurnsPerSec!),
        0,
      )} | ${range(
        r.map((x) => x.rawUsPerTurn!),
        0,
      )} | ${range(over, 0)} | ${range(
        r.map((x) => x.adapterCpuUsPerTurn!),
        0,
      )} | ${range(
        r.map((x) => x.rawCpuUsPerTurn!),
        0,
      )} | ${range(overCpu, 0)} |`,
    );
  }
  lines.push(
    '',
    'the same adapters against a raw node:http POST (keep-alive agent) of the same request: the transport they use',
    '| adapter | raw node:http µs/turn | overhead µs/turn (wall) | raw node:http CPU µs/turn | overhead µs/turn (CPU) |',
    '|---|---|---|---|---|',
  );
  for (const c of TURN_CONFIGS) {
    const r = rows.get(c);
    if (!r) continue;
    lines.push(
      `| ${c.slice(5)} | ${range(
        r.map((x) => x.rawHttpUsPerTurn!),
        0,
      )} | ${range(
        r.map((x) => x.adapterUsPerTurn! - x.rawHttpUsPerTurn!),
        0,
      )} | ${range(
        r.map((x) => x.rawHttpCpuUsPerTurn!),
        0,
      )} | ${range(
        r.map((x) => x.adapterCpuUsPerTurn! - x.rawHttpCpuUsPerTurn!),
        0,
      )} |`,
    );
  }
  lines.push(
    '',
    `the task (4 model turns, 3 tool calls) per protocol, n=${runs} sequential, median (min–max) of ${reps}`,
    '| protocol | loop | runs/s | ms/run | CPU ms/run | peak RSS MB |',
    '|---|---|---|---|---|---|',
  );
  for (const c of TASK_CONFIGS) {
    const r = rows.get(c);
    if (!r) continue;
    lines.push(
      `| ${c.split(':')[2]} | ${c.split(':')[1]} | ${range(
        r.map((x) => x.runsPerSec!),
        0,
      )} | ${range(
        r.map((x) => x.msPerRun!),
        2,
      )} | ${range(
        r.map((x) => x.cpuMsPerRun!),
        2,
      )} | ${median(r.map((x) => x.peakRssMb!))} |`,
    );
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}

const childConfig = process.argv.includes('--child') ? arg('child', '') : undefined;
if (childConfig !== undefined) {
  const n = Number(arg('n', '1000'));
  const work = (TURN_CONFIGS as readonly string[]).includes(childConfig)
    ? turnChild(childConfig as (typeof TURN_CONFIGS)[number], n)
    : TASK_CONFIGS.includes(childConfig)
      ? taskChild(childConfig, n)
      : Promise.reject(new Error(`unknown configuration ${childConfig}`));
  work.then(
    (row) => {
      process.stdout.write(`${JSON.stringify(row)}\n`);
      process.exit(0);
    },
    (err) => {
      process.stderr.write(`${err?.stack ?? err}\n`);
      process.exit(1);
    },
  );
} else {
  parent();
}
