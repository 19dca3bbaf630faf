// Memory per idle continuous agent: one process holds N continuous agents (N role files, embedded store),
// all idle; the heap and RSS after a forced GC are compared with the same process before the agents
// started (roles already loaded, so the figure is the agent's own cost: its lease, record, heartbeat
// share and supervisor state). Also: the store queries per second the idle agents cost.
//
//   npm run build && node --expose-gc dist/bench/idle-agents.js [--agents 1000] [--seconds 10]
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { loadRoleFile } from '../src/roles/load.js';
import { createRuntime } from '../src/runtime.js';
import type { Store } from '../src/store/types.js';
import { tempDir } from '../test/support/tmp.js';

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const AGENTS = arg('agents', 1000);
const SECONDS = arg('seconds', 10);
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc');

function measure() {
  gc!();
  gc!();
  const m = process.memoryUsage();
  return { heap: m.heapUsed, rss: m.rss };
}

/** Counts store calls, to state what idle agents cost the database. */
function counting(store: Store): { store: Store; calls: () => number } {
  let calls = 0;
  const proxy = new Proxy(store, {
    get(target, key, receiver) {
      const v = Reflect.get(target, key, receiver);
      if (typeof v !== 'function') return v;
      return (...args: unknown[]) => {
        calls++;
        return (v as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return { store: proxy, calls: () => calls };
}

const tmp = tempDir('nightshift-bench-agents-');
try {
  writeFileSync(join(tmp.path, 'script.yaml'), 'turns:\n  - final: { context: { seen: 1 } }\n');
  const files: string[] = [];
  mkdirSync(join(tmp.path, 'roles'));
  for (let i = 0; i < AGENTS; i++) {
    const file = join(tmp.path, 'roles', `agent-${i}.yaml`);
    writeFileSync(
      file,
      `name: agent-${i}\ndescription: d\nautonomy: observe\nmodel: script:../script.yaml\ninstructions: i\nmode: continuous\ntriggers: [{ event: e${i} }]\n`,
    );
    files.push(file);
  }
  const roles = await Promise.all(files.map((f) => loadRoleFile(f)));
  const { openSqliteStore } = await import('../src/store/sqlite/index.js');
  const counted = counting(openSqliteStore({ dataDir: join(tmp.path, 'data') }));
  const rt = await createRuntime({ store: counted.store });
  const before = measure();
  const abort = new AbortController();
  const handle = rt.work({ roles, concurrency: 4, pollMs: 200, signal: abort.signal });
  for (;;) {
    if (handle.agents().length === AGENTS) break;
    await sleep(50);
  }
  await sleep(1000);
  const callsAtIdle = counted.calls();
  const t0 = Date.now();
  await sleep(SECONDS * 1000);
  const callsPerSec = ((counted.calls() - callsAtIdle) / (Date.now() - t0)) * 1000;
  const after = measure();
  const row = {
    agents: AGENTS,
    heapPerAgentKb: Math.round(((after.heap - before.heap) / AGENTS / 1024) * 10) / 10,
    rssPerAgentKb: Math.round(((after.rss - before.rss) / AGENTS / 1024) * 10) / 10,
    processRssMb: Math.round(after.rss / 1024 / 1024),
    storeCallsPerSecIdle: Math.round(callsPerSec),
  };
  process.stdout.write(`${JSON.stringify(row)}\n`);
  abort.abort();
  await handle.done;
  await rt.close();
  await counted.store.close();
} finally {
  tmp.cleanup();
}
