// What a closed runtime answers: RUNTIME_CLOSED, saying what was called, for its methods and for the
// methods of `runtime.store`, instead of the store driver's own "connection is not open" (or, for a
// worker, a loop that fails every poll).
import { NightshiftError } from '../errors.js';
import type { Store } from '../store/types.js';
import type { Runtime } from './types.js';

function refuse(called: string): NightshiftError {
  return new NightshiftError(
    'RUNTIME_CLOSED',
    `${called}() was called after runtime.close(): its store is closed; create a new runtime`,
    { details: { method: called.replace(/^runtime\./, '') } },
  );
}

/** Calls that answer at once rather than with a promise, so they throw instead of rejecting. */
const SYNCHRONOUS = new Set(['runtime.work', 'runtime.store.health', 'runtime.store.watchHealth']);

/**
 * A view of `target` whose methods check `isClosed` first; `whenClosed` may answer a call itself instead
 * (close, which may be called again). The wrappers are made once per method, so `runtime.run ===
 * runtime.run`, and a method taken off the object (`const { run } = runtime`) is still guarded.
 */
function guarded<T extends object>(
  target: T,
  path: 'runtime' | 'runtime.store',
  isClosed: () => boolean,
  whenClosed: (key: string, call: () => unknown) => { answer: unknown } | undefined,
): T {
  const wrappers = new Map<string, { of: unknown; wrapper: unknown }>();
  return new Proxy(target, {
    get(t, key) {
      const value = Reflect.get(t, key, t);
      if (typeof value !== 'function' || typeof key !== 'string') return value;
      const made = wrappers.get(key);
      if (made?.of === value) return made.wrapper;
      const method = value as (...a: unknown[]) => unknown;
      const called = `${path}.${key}`;
      const wrapper = (...args: unknown[]) => {
        if (!isClosed()) return method.apply(t, args);
        const instead = whenClosed(key, () => method.apply(t, args));
        if (instead) return instead.answer;
        if (SYNCHRONOUS.has(called)) throw refuse(called);
        return Promise.reject(refuse(called));
      };
      wrappers.set(key, { of: value, wrapper });
      return wrapper;
    },
  });
}

/** `runtime` with its methods refused once `isClosed()`; `close` itself may be called again. */
export function guardClosedRuntime(runtime: Runtime, isClosed: () => boolean): Runtime {
  return guarded(runtime, 'runtime', isClosed, (key, call) =>
    key === 'close' ? { answer: call() } : undefined,
  );
}

/**
 * The store as `runtime.store` hands it out: its methods refused once the runtime is closed; `close` then
 * resolves at once (the runtime closed it already, and closing twice is harmless everywhere else too).
 */
export function guardClosedStore(store: Store, isClosed: () => boolean): Store {
  return guarded(store, 'runtime.store', isClosed, (key) =>
    key === 'close' ? { answer: Promise.resolve() } : undefined,
  );
}
