// A real HTTP server on loopback that receives decision webhooks the way a receiver should: it checks the
// signature, and processes each notification id once (its idempotency key), counting deliveries and
// processings separately. `answer` decides each response (a status, or 'hang' to never answer).
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after } from 'node:test';
import { verifySignature } from '../../src/server/webhook-signature.js';

export interface Delivery {
  id: string;
  signatureOk: boolean;
  body: Record<string, unknown>;
  headers: IncomingMessage['headers'];
}

export interface Receiver {
  url: string;
  deliveries: Delivery[];
  /** Notification ids processed (each once, however often delivered). */
  processed: string[];
  /** How to answer the n-th delivery (0-based) of a notification id: a status, or 'hang' (process, never answer). */
  answer: (id: string, n: number) => number | 'hang';
  close(): Promise<void>;
}

/** `closeAfter`: close when the calling test ends (pass false from a suite's `before`: close it yourself). */
export async function startReceiver(secret: string, closeAfter = true): Promise<Receiver> {
  const hanging: ServerResponse[] = [];
  const r: Receiver = {
    url: '',
    deliveries: [],
    processed: [],
    answer: () => 200,
    close: async () => {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      const check = verifySignature(req.headers['x-nightshift-signature'] as string, raw, secret, Date.now());
      const id = String(req.headers['x-nightshift-delivery'] ?? '');
      const n = r.deliveries.filter((d) => d.id === id).length;
      r.deliveries.push({
        id,
        signatureOk: check.ok,
        body: JSON.parse(raw.toString()),
        headers: req.headers,
      });
      const answer = r.answer(id, n);
      // 'hang': processed, but the answer never reaches the sender (it dies first, in the tests).
      const accepted = answer === 'hang' || answer < 300;
      if (accepted && check.ok && !r.processed.includes(id)) r.processed.push(id);
      if (answer === 'hang') hanging.push(res);
      else res.writeHead(answer).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  r.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  if (closeAfter) after(() => r.close());
  return r;
}
