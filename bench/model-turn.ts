// Model adapters against fake servers speaking the real wire protocols on loopback (SSE included), in two
// parts. Each configuration runs in a fresh child process, with its fake server in the same process.
//
// 1. Per-turn overhead of each API adapter (anthropic, openai Responses, openai Chat Completions): N
//    sequential one-turn requests, against a raw fetch of the same request reading the same SSE answer (the
//    floor: HTTP + the fake server itself).
// 2. One task, three frameworks, one fake Responses server: the scripted model asks for lookup → update →
//    notify, then answers. nightshift's durable loop (policy on every call, every step committed to SQLite)
//    vs the AI SDK's own loop (`generateText` + tools + `stopWhen`) vs @openai/agents (`Runner.run`).
//
//   npm run build && node dist/bench/model-turn.js --reps 3 --turns 2000 --runs 500
//   node dist/bench/model-turn.js --child turn:anthropic --n 2000     # one measurement, one JSON line
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createAnthropicModel } from '../src/models/anthropic/index.js';
import { createOpenAIChatModel, createOpenAIModel } from '../src/models/openai/index.js';
import type { Model, ModelRequest } from '../src/models/types.js';
import { startFakeAnthropic } from '../test/support/fake-anthropic.js';
import type { FakeServer } from '../test/support/fake-llm.js';
import { startFakeOpenAI } from '../test/support/fake-openai.js';
import { startFakeOpenAIResponses } from '../test/support/fake-openai-responses.js';
import { counters, KEY, scripted, TASK_CONFIGS, type TaskConfig, taskSubject } from './wire-task.js';

const TURN_CONFIGS = ['turn:anthropic', 'turn:openai-responses', 'turn:openai-chat'] as const;

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
  const adapterMs = await timed(n, adapter);
  const rawMs = await timed(n, raw);
  await fake.close();
  return {
    config,
    n,
    adapterTurnsPerSec: (n / adapterMs) * 1000,
    adapterUsPerTurn: (adapterMs / n) * 1000,
    rawTurnsPerSec: (n / rawMs) * 1000,
    rawUsPerTurn: (rawMs / n) * 1000,
  };
}

async function taskChild(config: TaskConfig, n: number) {
  const fake = await startFakeOpenAIResponses();
  // Every request gets the scripted answer (the queue is refilled as it drains).
  const refill = () => fake.enqueue(...Array.from({ length: 400 }, () => scripted));
  const subject = await taskSubject(config, fake.url);
  const once = async () => {
    if (fake.remaining() < 10) refill();
    await subject.once();
    fake.requests.length = 0;
  };
  const before = { ...counters };
  const ms = await timed(n, once, 50);
  for (const k of ['lookup', 'update', 'notify'] as const) {
    if (counters[k] - before[k] !== n + 50) throw new Error(`tool ${k} ran ${counters[k] - before[k]} times`);
  }
  await subject.close();
  await fake.close();
  return {
    config,
    n,
    runsPerSec: (n / ms) * 1000,
    msPerRun: ms / n,
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
  for (let rep = 0; rep < reps; rep++) {
    for (const c of [...TURN_CONFIGS, ...TASK_CONFIGS]) {
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
    '| adapter | turns/s | µs/turn | raw fetch turns/s (floor) | raw µs/turn | adapter overhead µs/turn |',
    '|---|---|---|---|---|---|',
  ];
  for (const c of TURN_CONFIGS) {
    const r = rows.get(c)!;
    const over = r.map((x) => x.adapterUsPerTurn! - x.rawUsPerTurn!);
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
      )} | ${median(over).toFixed(0)} |`,
    );
  }
  lines.push(
    '',
    `the task (4 model turns, 3 tool calls) over the fake Responses API, n=${runs} sequential, median (min–max) of ${reps}`,
    '| loop | runs/s | ms/run | peak RSS MB |',
    '|---|---|---|---|',
  );
  for (const c of TASK_CONFIGS) {
    const r = rows.get(c)!;
    lines.push(
      `| ${c.slice(5)} | ${range(
        r.map((x) => x.runsPerSec!),
        0,
      )} | ${range(
        r.map((x) => x.msPerRun!),
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
    : (TASK_CONFIGS as readonly string[]).includes(childConfig)
      ? taskChild(childConfig as TaskConfig, n)
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
