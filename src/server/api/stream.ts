// GET /runs/{runId}/events: a run's steps as server-sent events, live. Each step is one `step` event whose
// id is its seq, so a client that reconnects with Last-Event-ID (or ?after=) gets what it missed and no
// step twice. The stream looks for new steps by reading the run's seq from the store every pollMs: the
// step may be committed by any worker process or machine sharing the store, not only this one. It sends a
// heartbeat comment every heartbeatMs (so proxies keep it open), an `end` event once the run has ended
// and every step was sent, and stops its timers when the client goes away. Each stream holds a poll timer
// and a connection for as long as the run waits (days, for a paused one), so a token may hold at most
// `perToken` streams and the server `total`: one more is refused with 429 until one closes.
import type { ServerResponse } from 'node:http';
import { z } from 'zod';
import { TERMINAL_STATUSES } from '../../domain.js';
import { idNotFound } from '../../id-kinds.js';
import { valueForMessage } from '../../message-text.js';
import type { ApiContext } from './context.js';
import { ApiError, apiErrorAnswer } from './errors.js';
import { apiDoor } from './not-found.js';
import { type Operation, operation } from './operation.js';
import { id, wholeQuery } from './schemas/common.js';

/** The streams open now, so the server can end them when it stops (and tests can see none is left). */
export interface LiveStreams {
  size(): number;
  /** Ends every open stream (the server is closing). */
  closeAll(): void;
}

function event(res: ServerResponse, name: string, data: unknown, eventId?: number): void {
  res.write(
    `${eventId !== undefined ? `id: ${eventId}\n` : ''}event: ${name}\ndata: ${JSON.stringify(data)}\n\n`,
  );
}

/** Where to start: Last-Event-ID wins over ?after= (it is what the browser sends on reconnect). */
function startAfter(header: string | string[] | undefined, after: number): number {
  if (header === undefined) return after;
  const text = Array.isArray(header) ? header[0] : header;
  if (!text || !/^\d{1,15}$/.test(text.trim()))
    throw new ApiError(
      400,
      'BAD_REQUEST',
      `Last-Event-ID ${valueForMessage(text ?? '')} is not a step seq (a whole number)`,
    );
  return Number(text.trim());
}

export function streamOperation(ctx: ApiContext): { operation: Operation; streams: LiveStreams } {
  const pollMs = ctx.stream?.pollMs ?? 250;
  const heartbeatMs = ctx.stream?.heartbeatMs ?? 15_000;
  const perToken = ctx.stream?.perToken ?? 8;
  const total = ctx.stream?.total ?? 256;
  const open = new Set<() => void>();
  const byToken = new Map<string, number>();
  const op = operation({
    id: 'streamRunEvents',
    method: 'GET',
    path: '/runs/{runId}/events',
    summary: "A run's steps as server-sent events, live, until the run ends (Last-Event-ID resumes)",
    scope: 'runs:read',
    params: z.strictObject({ runId: id }),
    query: z.strictObject({
      after: wholeQuery(0, Number.POSITIVE_INFINITY).default(0).describe('Stream the steps after this seq'),
    }),
    stream: true,
    responses: {
      200: z.string().meta({
        id: 'RunEventStream',
        description:
          'text/event-stream: `step` events (id = seq, data = a Step), `end` (data = {status}) once the run ended, heartbeat comments; `error` (data = {code, message}) when the credentials ended or the stream stopped',
      }),
    },
    async handle({ caller, params, query, req, res }) {
      let sent = startAfter(req.headers['last-event-id'], query.after);
      const first = await ctx.runtime.store.getRun(params.runId);
      if (!first) throw idNotFound(params.runId, 'run', apiDoor);
      // Counted and taken with no await in between, so two requests racing cannot both take the last slot.
      const held = byToken.get(caller.tokenId) ?? 0;
      if (held >= perToken)
        throw new ApiError(
          429,
          'TOO_MANY_STREAMS',
          `token ${caller.tokenId} already holds ${held} open event streams (at most ${perToken}): close one first`,
        );
      if (open.size >= total)
        throw new ApiError(
          429,
          'TOO_MANY_STREAMS',
          `this server already holds ${open.size} open event streams (at most ${total}): retry later`,
        );
      byToken.set(caller.tokenId, held + 1);
      res.writeHead(200, {
        'content-type': 'text/event-stream',
        'cache-control': 'no-store',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
      });
      res.write(': stream of run steps\n\n');
      let poll: NodeJS.Timeout | undefined;
      let closed = false;
      // Each heartbeat asks again who is listening: a token revoked or expired, or a session ended, while
      // its stream is open (a paused run can stream for days) ends the stream rather than feeding it.
      const heartbeat = setInterval(() => {
        ctx.auth.authenticate(req, { scope: 'runs:read' }).then(
          () => {
            if (!closed) res.write(': heartbeat\n\n');
          },
          (err: unknown) => {
            // The same {code, message} as every refusal: AUTH_REQUIRED for a token revoked or expired or a
            // session ended; a store that cannot be asked is not the client's doing (INTERNAL).
            const refused = apiErrorAnswer(err);
            if (!closed)
              event(
                res,
                'error',
                refused
                  ? {
                      code: refused.body.error.code,
                      message: 'the credentials ended: sign in again to resume',
                    }
                  : { code: 'INTERNAL', message: 'the stream stopped: reconnect to resume' },
              );
            stop();
          },
        );
      }, heartbeatMs);
      const stop = () => {
        if (closed) return;
        closed = true;
        const left = (byToken.get(caller.tokenId) ?? 1) - 1;
        if (left > 0) byToken.set(caller.tokenId, left);
        else byToken.delete(caller.tokenId);
        clearInterval(heartbeat);
        clearTimeout(poll);
        open.delete(stop);
        res.off('close', stop);
        res.end();
      };
      open.add(stop);
      res.on('close', stop);
      // A client that went away during the awaits above (the auth check, getRun) fired `close` before the
      // listener was there: without this its slot and poll would live until the run ends (days, if paused).
      if (res.destroyed || req.socket.destroyed) {
        stop();
        return undefined;
      }
      const look = async (): Promise<void> => {
        const run = await ctx.runtime.store.getRun(params.runId);
        if (closed || !run) return stop();
        if (run.seq > sent) {
          const snapshot = await ctx.runtime.store.loadRun(params.runId);
          for (const step of snapshot?.steps ?? []) {
            if (closed) return;
            if (step.seq > sent) {
              event(res, 'step', step, step.seq);
              sent = step.seq;
            }
          }
        }
        // Ended, and the steps read above were committed with (or before) the final status.
        if (TERMINAL_STATUSES.includes(run.status) && sent >= run.seq) {
          event(res, 'end', { status: run.status });
          return stop();
        }
        if (!closed) poll = setTimeout(tick, pollMs);
      };
      const tick = () => {
        look().catch((err) => {
          ctx.log.warn({ runId: params.runId, err: (err as Error).message }, 'run event stream stopped');
          if (!closed)
            event(res, 'error', { code: 'INTERNAL', message: 'the stream stopped: reconnect to resume' });
          stop();
        });
      };
      tick();
      return undefined;
    },
  });
  return {
    operation: op,
    streams: {
      size: () => open.size,
      closeAll: () => {
        for (const stop of [...open]) stop();
      },
    },
  };
}
