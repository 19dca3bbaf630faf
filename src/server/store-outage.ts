// Store outages as the operator sees them: one log line when the store stops taking writes (Postgres
// unreachable, the disk full) and one when it is back with how long it lasted, instead of one error per
// claim tick, per run and per request in between; and the HTTP answer a request gets meanwhile.
import type { Logger } from 'pino';
import { isNightshiftError } from '../errors.js';
import { storeOutageOf } from '../store/outage.js';
import type { StoreHealthWatch } from '../store/types.js';

export interface StoreOutageLog {
  /** Whether this error is part of the outage already logged (so it needs no line of its own). */
  absorbs(err: unknown): boolean;
  stop(): void;
}

export function logStoreOutages(store: StoreHealthWatch, log: Logger): StoreOutageLog {
  let absorbed = 0;
  const stop =
    store.watchHealth?.((health, detail) => {
      if (typeof detail.event === 'string') {
        log.warn(detail, detail.event);
      } else if (health.ok) {
        log.info({ ...detail, absorbed }, 'store available again');
        absorbed = 0;
      } else {
        log.error({ code: health.code, reason: health.reason, ...detail }, 'store unavailable');
      }
    }) ?? (() => {});
  return {
    absorbs(err) {
      if (store.health?.().ok !== false) return false;
      if (!isNightshiftError(err) || err.code !== 'STORE_ERROR') return false;
      absorbed++;
      return true;
    },
    stop,
  };
}

/**
 * The HTTP answer for a store failure: 507 when the disk is full, 503 while the database is unreachable
 * or busy (STORE_BUSY: a statement or lock timeout, the pool's connections all in use; a producer retries
 * all of them later). The store's own message (a file path, a host)
 * goes to the log, not to the caller. Undefined for anything else.
 */
export function storeFailureAnswer(
  err: unknown,
): { status: number; body: { error: { code: string; message: string } } } | undefined {
  const outage = storeOutageOf(err);
  if (outage === undefined) return undefined;
  if (outage === 'disk_full') {
    return {
      status: 507,
      body: {
        error: {
          code: 'DISK_FULL',
          message: 'the disk holding the store is full: nothing was recorded; retry later',
        },
      },
    };
  }
  if (outage === 'corrupt') {
    return {
      status: 503,
      body: {
        error: {
          code: 'STORE_CORRUPT',
          message:
            "the store's database file is damaged, so nothing was recorded: its operator must restore it and restart nightshift (see the log)",
        },
      },
    };
  }
  if (outage === 'busy') {
    return {
      status: 503,
      body: {
        error: {
          code: 'STORE_BUSY',
          message:
            'the database is busy (a statement or lock timeout, or every store connection in use), so this request may not have been recorded: send it again shortly (an event sent again with its idempotency-key is never recorded twice)',
        },
      },
    };
  }
  return {
    status: 503,
    body: {
      error: {
        code: 'STORE_UNAVAILABLE',
        message:
          // Every door answers this (events, webhooks, /api/v1 reads and decisions): not only events.
          'the database could not be reached, so this request may or may not have been recorded: send it again later (an event sent again with its idempotency-key is never recorded twice)',
      },
    },
  };
}
