// A server-sent events client over node:http for the API tests: reads `event:`/`id:`/`data:` blocks and
// heartbeat comments as they arrive, so a test can stop reading (or hang up) at a chosen point.
import { request } from 'node:http';

/** Reads an SSE stream until `stop` says so; resolves with the events (name, id, data). */
export function readEvents(
  url: string,
  headers: Record<string, string>,
  stop: (events: SseEvent[]) => boolean,
): { done: Promise<SseEvent[]>; abort(): void } {
  const events: SseEvent[] = [];
  let abort = () => {};
  const done = new Promise<SseEvent[]>((resolve, reject) => {
    const req = request(url, { headers }, (res) => {
      if (res.statusCode !== 200) return reject(new Error(`status ${res.statusCode}`));
      res.setEncoding('utf8');
      let buffer = '';
      res.on('data', (chunk: string) => {
        buffer += chunk;
        let cut = buffer.indexOf('\n\n');
        while (cut >= 0) {
          const block = buffer.slice(0, cut);
          buffer = buffer.slice(cut + 2);
          const e: SseEvent = { name: 'message', comment: false };
          for (const line of block.split('\n')) {
            if (line.startsWith(':')) e.comment = true;
            else if (line.startsWith('event: ')) e.name = line.slice(7);
            else if (line.startsWith('id: ')) e.id = Number(line.slice(4));
            else if (line.startsWith('data: ')) e.data = JSON.parse(line.slice(6));
          }
          events.push(e);
          if (stop(events)) {
            req.destroy();
            return resolve(events);
          }
          cut = buffer.indexOf('\n\n');
        }
      });
      res.on('end', () => resolve(events));
    });
    req.on('error', (err) => (req.destroyed ? resolve(events) : reject(err)));
    req.end();
    abort = () => {
      req.destroy();
      resolve(events);
    };
  });
  return { done, abort: () => abort() };
}

export interface SseEvent {
  name: string;
  id?: number;
  data?: unknown;
  comment: boolean;
}
