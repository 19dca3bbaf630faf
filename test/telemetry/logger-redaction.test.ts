// The logger's redaction fast path (telemetry/redaction-fast-path.ts) skips pino's wildcard redactor for
// values it could not censor. Its lines must be the very bytes plain pino redaction writes: each line
// below is written by a plain pino instance with the runtime's redaction paths and by the same instance
// with the fast path installed, and the two outputs (or the two errors thrown) must be equal.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type Logger, pino } from 'pino';
import { CENSOR, createLogger, REDACTED_PATHS } from '../../src/telemetry/logger.js';
import {
  hasRedactionFastPath,
  installRedactionFastPath,
  wildcardSecondKeys,
} from '../../src/telemetry/redaction-fast-path.js';

type Line = (log: Logger) => void;

function hidden<T extends object>(target: T, key: string, value: unknown): T {
  Object.defineProperty(target, key, { value, enumerable: false });
  return target;
}

/** An error whose stack does not name the line that built it (the two loggers' calls differ there). */
function fixed<E extends Error>(e: E): E {
  e.stack = `${e.name}: ${e.message}\n    at the test`;
  return e;
}

class Point {
  x = 1;
  token = 'class-field-token';
  toJSON() {
    return { x: this.x };
  }
}

/** The redactor's clone assigns an own `value` through this setter instead of copying it. */
class Watched {
  seen: unknown = 'nothing';
  set value(v: unknown) {
    this.seen = v;
  }
}

class Box {
  inner = { a: 1 };
}

// Built afresh for each logger, so neither output can depend on what the other did to a value.
const LINES: Record<string, Line> = {
  'a message alone': (l) => l.info('hello'),
  'no fields, empty object': (l) => l.info({}, 'empty'),
  'flat fields': (l) => l.info({ a: 1, b: 'two', c: true, d: null }, 'flat'),
  'nested without secrets': (l) => l.info({ run: { id: 'r1', step: { n: 3, tags: ['x', 'y'] } } }, 'nested'),
  'token one level down': (l) => l.info({ call: { token: 'nst_secret', id: 7 } }, 'one down'),
  'token two levels down (paths do not reach)': (l) => l.info({ a: { b: { token: 'deep' } } }, 'two down'),
  'top-level secret fields': (l) => l.warn({ token: 't', authorization: 'Bearer x', apiKey: 'k', ok: 1 }),
  'censored key holding undefined': (l) => l.info({ a: { token: undefined, b: 1 } }, 'undef'),
  'password and apiKey one down': (l) => l.info({ user: { password: 'p', apiKey: 'k', name: 'n' } }),
  'headers with authorization and cookie': (l) =>
    l.info({ req: { method: 'GET', headers: { authorization: 'Bearer a', cookie: 'c=1', host: 'h' } } }),
  'headers with set-cookie and x-api-key': (l) =>
    l.info({ res: { headers: { 'set-cookie': ['a=1'], 'x-api-key': 'k', 'content-type': 'text/plain' } } }),
  'headers without secrets': (l) => l.info({ req: { headers: { host: 'h', accept: '*/*' } } }),
  'headers that are not an object': (l) => l.info({ req: { headers: 'none' } }),
  'set-cookie one down': (l) => l.info({ res: { 'set-cookie': 'c=2', status: 200 } }),
  'arrays of values and objects': (l) =>
    l.info({ list: [1, 'two', { token: 't' }, null, [{ password: 'p' }]] }),
  'array with a hidden toJSON': (l) => l.info({ list: hidden([1, 2], 'toJSON', () => 'from toJSON') }),
  // biome-ignore lint/suspicious/noSparseArray: a hole is the case
  'sparse array': (l) => l.info({ list: [1, , 3] }),
  // A Proxy answering `in`/getPrototypeOf differently from its ownKeys: the redactor's copy sees `token`.
  'virtual object (Proxy without a has trap)': (l) =>
    l.info({
      field: new Proxy({} as Record<string, unknown>, {
        ownKeys: () => ['user', 'token'],
        getOwnPropertyDescriptor: (_t, k) => ({
          value: k === 'token' ? 'SECRET-virt' : 'u',
          enumerable: true,
          configurable: true,
        }),
        get: (_t, k) => (k === 'token' ? 'SECRET-virt' : k === 'user' ? 'u' : undefined),
      }),
    }),
  'Proxy whose has trap hides token': (l) =>
    l.info({ field: new Proxy({ token: 'SECRET-has' }, { has: () => false }) }),
  'own __proto__ key from JSON.parse': (l) =>
    l.info({ body: JSON.parse('{"__proto__":{"token":"x"},"a":1}') as object }, 'proto'),
  'own __proto__ key at the top level': (l) =>
    l.info(JSON.parse('{"__proto__":{"a":1},"m":2,"token":"t"}') as object, 'top proto'),
  'own __proto__ nested below a field': (l) =>
    l.info({ body: { inner: JSON.parse('{"__proto__":{"b":2}}') as object } }),
  'hidden toJSON on a plain object': (l) => l.info({ v: hidden({ a: 1 }, 'toJSON', () => 'hidden form') }),
  'enumerable toJSON on a plain object': (l) => l.info({ v: { a: 1, toJSON: () => ({ b: 2 }) } }),
  'class instance with toJSON and a token field': (l) => l.info({ p: new Point() }),
  'class instance without toJSON': (l) => l.info({ b: new Box() }),
  'own field shadowing a prototype setter': (l) =>
    l.info({ w: Object.defineProperty(new Watched(), 'value', { value: 'own', enumerable: true }) }),
  'hidden token field': (l) => l.info({ v: hidden({ a: 1 }, 'token', 'not enumerable') }),
  'URL with credentials': (l) => l.info({ url: new URL('https://user:pw@example.com/p?q=1#f') }, 'url'),
  'URL as a string': (l) => l.info({ url: new URL('https://example.com/x').href }),
  'Error under err': (l) => l.error({ err: fixed(new Error('boom')) }, 'failed'),
  'Error under another key': (l) => l.error({ error: fixed(new TypeError('bad type')) }),
  'Error with a token field and a cause': (l) =>
    l.error({
      err: Object.assign(fixed(new Error('outer', { cause: fixed(new Error('inner')) })), { token: 't' }),
    }),
  'Error as the only argument': (l) => l.error(fixed(new RangeError('out of range'))),
  Dates: (l) => l.info({ at: new Date(0), bad: new Date(Number.NaN) }),
  'Date with its own toJSON': (l) => l.info({ at: hidden(new Date(0), 'toJSON', () => 'own') }),
  'null-prototype objects': (l) =>
    l.info({
      safe: Object.assign(Object.create(null) as object, { a: 1 }),
      secret: Object.assign(Object.create(null) as object, { token: 't' }),
    }),
  'Map, Set and Buffer': (l) => l.info({ m: new Map([[1, 2]]), s: new Set([1]), buf: Buffer.from('hi') }),
  BigInt: (l) => l.info({ n: 10n, o: { big: 2n } }),
  'strings JSON escapes differently': (l) =>
    l.info({ s: 'lone \ud800 bell \u0007 quote " backslash \\ del \u007f' }, 'msg \udc00 \u2028'),
  'non-finite and negative zero numbers': (l) =>
    l.info({ nan: Number.NaN, inf: Number.POSITIVE_INFINITY, z: -0 }),
  'a cycle through the field': (l) => {
    const o: Record<string, unknown> = { a: 1 };
    o.self = o;
    l.info({ c: o }, 'cycle');
  },
  'a shared reference that is not a cycle': (l) => {
    const shared = { k: 1 };
    l.info({ a: { x: shared, y: shared } });
  },
  'an enumerable getter': (l) =>
    l.info({
      g: {
        get value() {
          return 42;
        },
      },
    }),
  'a getter that throws': (l) =>
    l.info({
      g: {
        get value(): number {
          throw new Error('getter threw');
        },
      },
    }),
  'a message with format arguments': (l) => l.info('hello %s %o', 'there', { token: 't', a: { b: 1 } }),
  'a message that is an object field': (l) => l.info({ msg: { token: 't' } }),
  'a message that is a number': (l) => l.info(42 as unknown as string),
  'a child logger with bindings': (l) => {
    const child = l.child({ run: { id: 'r', token: 't' }, role: 'ops', b: { password: 'p' }, c: [1] });
    child.info({ step: { n: 1 } }, 'from child');
    child.child({ d: { e: 1 } }).warn({ apiKey: 'k' }, 'grandchild');
  },
};

/** What `line` writes (or throws) on `log`. */
function outcome(make: (write: (s: string) => void) => Logger, line: Line): string {
  const out: string[] = [];
  const log = make((s) => out.push(s));
  try {
    line(log);
  } catch (e) {
    out.push(`threw: ${(e as Error).message}`);
  }
  return out.join('');
}

const options = { name: 'redaction', timestamp: false, redact: { paths: REDACTED_PATHS, censor: CENSOR } };
const plain = (write: (s: string) => void) => pino(options, { write });
const fast = (write: (s: string) => void) => {
  const log = pino(options, { write });
  assert.equal(installRedactionFastPath(log, REDACTED_PATHS), true);
  return log;
};

describe('the logger redaction fast path', () => {
  it('has enough varied lines to mean something', () => {
    assert.ok(Object.keys(LINES).length >= 30);
  });

  for (const [name, line] of Object.entries(LINES))
    it(`writes the same bytes as plain pino redaction: ${name}`, () => {
      const expected = outcome(plain, line);
      assert.notEqual(expected, '');
      assert.equal(outcome(fast, line), expected);
    });

  it('censors what plain redaction censors (the comparison is not between two unredacted outputs)', () => {
    const line = outcome(fast, LINES['headers with authorization and cookie']!);
    assert.match(line, /"authorization":"\[redacted\]"/);
    assert.doesNotMatch(line, /Bearer a/);
  });

  it('skips the wildcard redactor for values with nothing to censor, and only for those', () => {
    const calls: unknown[] = [];
    const log = pino(options, { write: () => {} });
    const { stringifiersSym, wildcardFirstSym } = pino.symbols as unknown as Record<string, symbol>;
    const stringifiers = (
      log as unknown as Record<symbol, Record<symbol, (v: unknown, s?: unknown) => string>>
    )[stringifiersSym!]!;
    const redactor = stringifiers[wildcardFirstSym!]!;
    stringifiers[wildcardFirstSym!] = (v, s) => {
      calls.push(v);
      return redactor(v, s);
    };
    installRedactionFastPath(log, REDACTED_PATHS);
    log.info({ a: 1, run: { id: 'r', steps: [1, 2] }, at: new Date(0) }, 'plain');
    assert.deepEqual(calls, []);
    log.info({ call: { token: 't' }, other: { n: 1 } }, 'secret');
    assert.deepEqual(calls, [{ token: 't' }]);
  });

  it('is installed by createLogger, once, and its children share it', () => {
    const log = createLogger({ name: 'n', destination: { write: () => {} } });
    assert.equal(hasRedactionFastPath(log), true);
    assert.equal(installRedactionFastPath(log, REDACTED_PATHS), true);
    assert.equal(hasRedactionFastPath(log.child({ a: 1 })), true);
    assert.equal(hasRedactionFastPath(pino({ redact: ['a.b'] }, { write: () => {} })), false);
  });

  it('reads the keys below a field from the wildcard paths, and gives up on a second wildcard', () => {
    assert.deepEqual(
      [...(wildcardSecondKeys(REDACTED_PATHS) ?? [])].sort(),
      ['apiKey', 'authorization', 'cookie', 'headers', 'password', 'set-cookie', 'token'].sort(),
    );
    assert.equal(wildcardSecondKeys(['*.*.token']), undefined);
    assert.equal(wildcardSecondKeys(['*']), undefined);
    assert.equal(installRedactionFastPath(pino({ redact: ['*.*'] }, { write: () => {} }), ['*.*']), false);
  });
});
