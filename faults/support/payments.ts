// The outside world of the fault suite: a local "payments" HTTP server that the payments tools
// (test/fixtures/tools/payments.ts) charge. It keeps its own history of every charge request, so the
// checker counts effects outside the system under test, as Jepsen does: a charge applied twice for one
// idempotency key is a duplicate whatever the store says. It can also hold a tool at a checkpoint
// (`before` the charge, `after` it) until the test releases it, to land a kill or a freeze there, and it
// refuses a charge whose fencing token is older than one it already saw for the key.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type Checkpoint = 'before' | 'after';

export interface ChargeRequest {
  key: string;
  pid: number;
  fence: unknown;
  amount: number;
  dedupe: boolean;
  at: number;
  /** applied: money moved; duplicate: an idempotent repeat, not applied; stale: refused by fencing. */
  result: 'applied' | 'duplicate' | 'stale';
}

export interface Held {
  key: string;
  pid: number;
  at: Checkpoint;
}

export interface Report {
  key: string;
  pid: number;
  outcome: string;
}

export interface Payments {
  url: string;
  charges: ChargeRequest[];
  reports: Report[];
  /** Holds the next `count` tools that reach `at` (others pass). */
  arm(at: Checkpoint, count?: number): void;
  /** Holds no more tools at `at` (those held now stay held until released). */
  disarm(at: Checkpoint): void;
  /** Resolves with the first tool held at `at` (waiting for one if none is held yet, up to timeoutMs). */
  held(at: Checkpoint, timeoutMs?: number): Promise<Held>;
  /** Lets every held tool go on (a held request whose process died is simply dropped). */
  releaseAll(): void;
  /** Charges applied per key. */
  applied(key: string): number;
  /** Keys whose charge was applied more than once: the duplicated effects. */
  duplicatedKeys(): string[];
  close(): Promise<void>;
}

function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    let text = '';
    req.on('data', (c) => {
      text += c;
    });
    req.on('end', () => {
      try {
        resolve(text ? JSON.parse(text) : {});
      } catch (err) {
        reject(err);
      }
    });
    req.on('error', reject);
  });
}

function send(res: ServerResponse, status: number, body: unknown): void {
  if (res.destroyed) return;
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

/** Orders fencing tokens: numbers, or strings compared as numbers when they are numeric. */
function fenceValue(fence: unknown): number | undefined {
  if (typeof fence === 'number') return fence;
  if (typeof fence === 'bigint') return Number(fence);
  if (typeof fence === 'string' && fence.trim() !== '' && Number.isFinite(Number(fence)))
    return Number(fence);
  return undefined;
}

export async function startPayments(): Promise<Payments> {
  const charges: ChargeRequest[] = [];
  const reports: Report[] = [];
  const armed: Record<Checkpoint, number> = { before: 0, after: 0 };
  const holding: { held: Held; res: ServerResponse }[] = [];
  const waiters: { at: Checkpoint; resolve: (h: Held) => void }[] = [];
  const newestFence = new Map<string, number>();

  const server = createServer((req, res) => {
    readJson(req)
      .then((body) => {
        const key = String(body.key);
        const pid = Number(body.pid);
        const checkpoint = /^\/checkpoint\/(before|after)$/.exec(req.url ?? '');
        if (req.method === 'POST' && checkpoint) {
          const at = checkpoint[1] as Checkpoint;
          if (armed[at] <= 0) return send(res, 200, { held: false });
          armed[at]--;
          const held = { key, pid, at };
          holding.push({ held, res });
          for (const w of waiters.filter((x) => x.at === at)) {
            waiters.splice(waiters.indexOf(w), 1);
            w.resolve(held);
          }
          return;
        }
        if (req.method === 'POST' && req.url === '/charge') {
          const fence = fenceValue(body.fence);
          const entry: ChargeRequest = {
            key,
            pid,
            fence: body.fence,
            amount: Number(body.amount),
            dedupe: body.dedupe === true,
            at: Date.now(),
            result: 'applied',
          };
          const newest = newestFence.get(key);
          if (fence !== undefined && newest !== undefined && fence < newest) entry.result = 'stale';
          else if (entry.dedupe && charges.some((c) => c.key === key && c.result === 'applied'))
            entry.result = 'duplicate';
          if (fence !== undefined && (newest === undefined || fence > newest)) newestFence.set(key, fence);
          charges.push(entry);
          if (entry.result === 'stale')
            return send(res, 409, { error: `fencing token ${String(body.fence)} is older than ${newest}` });
          return send(res, 200, { charged: entry.amount, duplicate: entry.result === 'duplicate' });
        }
        if (req.method === 'POST' && req.url === '/report') {
          reports.push({ key, pid, outcome: String(body.outcome) });
          return send(res, 200, {});
        }
        send(res, 404, { error: 'no such route' });
      })
      .catch((err) => send(res, 400, { error: (err as Error).message }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  const releaseAll = () => {
    for (const h of holding.splice(0)) send(h.res, 200, { held: true });
  };
  const applied = (key: string) => charges.filter((c) => c.key === key && c.result === 'applied').length;
  return {
    url: `http://127.0.0.1:${port}`,
    charges,
    reports,
    arm(at, count = 1) {
      armed[at] += count;
    },
    disarm(at) {
      armed[at] = 0;
    },
    held(at, timeoutMs = 60_000) {
      const already = holding.find((h) => h.held.at === at);
      if (already) return Promise.resolve(already.held);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no tool reached the ${at} checkpoint`)), timeoutMs);
        waiters.push({
          at,
          resolve: (h) => {
            clearTimeout(timer);
            resolve(h);
          },
        });
      });
    },
    releaseAll,
    applied,
    duplicatedKeys: () => [...new Set(charges.map((c) => c.key))].filter((k) => applied(k) > 1),
    async close() {
      armed.before = 0;
      armed.after = 0;
      releaseAll();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
