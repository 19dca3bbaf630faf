// What a library user gets for calling the API wrongly from plain JavaScript (no compiler to stop them):
// a NightshiftError with a stable code naming the mistake, never a TypeError from deep inside or a
// store driver's message, and a worker that close() stops instead of polling a closed store forever.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, test } from 'node:test';
import { z } from 'zod';
import { createRuntime, defineRole, defineTool, NightshiftError, RoleInvalidError } from '../../src/index.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'nightshift-misuse-'));
  writeFileSync(join(dir, 'r.script.yaml'), 'turns:\n  - final: done\n');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const role = () =>
  defineRole(
    { name: 'r', description: 'd', autonomy: 'full', model: 'script:r.script.yaml', instructions: 'i' },
    { dir },
  );

test('every method of a closed runtime rejects with RUNTIME_CLOSED; close twice is fine', async () => {
  const runtime = await createRuntime({ dataDir: join(dir, 'data') });
  await runtime.close();
  const closed = (err: unknown, method: string) =>
    NightshiftError.isInstance(err) &&
    err.code === 'RUNTIME_CLOSED' &&
    err.message.includes(`runtime.${method}()`);
  await assert.rejects(runtime.run(role(), {}), (e) => closed(e, 'run'));
  await assert.rejects(runtime.list(), (e) => closed(e, 'list'));
  await assert.rejects(runtime.get('run_x'), (e) => closed(e, 'get'));
  await assert.rejects(runtime.inbox(), (e) => closed(e, 'inbox'));
  await assert.rejects(runtime.emit('e', {}), (e) => closed(e, 'emit'));
  assert.throws(
    () => runtime.work({ roles: [role()], concurrency: 1, signal: new AbortController().signal }),
    (e) => closed(e, 'work'),
  );
  await runtime.close();
});

test("the store of a closed runtime refuses with RUNTIME_CLOSED too, not with the driver's error", async () => {
  const runtime = await createRuntime({ dataDir: join(dir, 'data') });
  const { store } = runtime;
  const getRun = store.getRun;
  await runtime.close();
  const closed = (err: unknown, method: string) =>
    NightshiftError.isInstance(err) &&
    err.code === 'RUNTIME_CLOSED' &&
    err.message.includes(`runtime.store.${method}()`);
  await assert.rejects(runtime.store.getRun('run_x'), (e) => closed(e, 'getRun'));
  await assert.rejects(store.listRuns({}), (e) => closed(e, 'listRuns'));
  // A method taken off the store before close is refused as well.
  await assert.rejects(getRun('run_x'), (e) => closed(e, 'getRun'));
  if (store.health)
    assert.throws(
      () => store.health!(),
      (e) => closed(e, 'health'),
    );
  // Closing the store again, as a `finally` may, is harmless.
  await store.close();
});

test('a runtime hands out the same method each time, guarded or not', async () => {
  const runtime = await createRuntime({ dataDir: join(dir, 'data') });
  try {
    assert.equal(runtime.run, runtime.run);
    assert.equal(runtime.list, runtime.list);
    assert.equal(runtime.close, runtime.close);
    assert.equal(runtime.store.getRun, runtime.store.getRun);
    assert.equal(runtime.store, runtime.store);
    // Open, the store answers as usual.
    assert.equal(await runtime.store.getRun('run_x'), undefined);
  } finally {
    await runtime.close();
  }
});

test('close() stops the workers of the runtime, so worker.done resolves', async () => {
  const runtime = await createRuntime({ dataDir: join(dir, 'data') });
  const errors: unknown[] = [];
  // Aborted only at the end, so that a close() that does not stop the worker fails the test, not hangs it.
  const own = new AbortController();
  const worker = runtime.work({
    roles: [role()],
    concurrency: 1,
    signal: own.signal,
    pollMs: 20,
    onError: (err) => errors.push(err),
  });
  await new Promise((r) => setTimeout(r, 100));
  await runtime.close();
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error('worker.done did not resolve after close()')), 3000);
  });
  await Promise.race([worker.done, late]).finally(() => {
    clearTimeout(timer);
    own.abort();
  });
  assert.deepEqual(errors, []);
});

test('work() without its required options is a USAGE error naming the option', async () => {
  const runtime = await createRuntime({ dataDir: join(dir, 'data') });
  try {
    const usage = (name: string) => (e: unknown) =>
      NightshiftError.isInstance(e) && e.code === 'USAGE' && e.message.includes(name);
    assert.throws(() => runtime.work({ roles: [role()] } as never), usage('concurrency'));
    assert.throws(() => runtime.work({ roles: [role()], concurrency: 1 } as never), usage('signal'));
  } finally {
    await runtime.close();
  }
});

test('defineRole given no object (null, a file path, tools as a string) is ROLE_INVALID', () => {
  const invalid = (text: string) => (e: unknown) =>
    RoleInvalidError.isInstance(e) && e.message.includes(text);
  assert.throws(() => defineRole(null as never), invalid('got null'));
  assert.throws(() => defineRole('roles/x.yaml' as never), invalid('pass its path to runtime.run'));
  assert.throws(
    () =>
      defineRole({
        name: 'r',
        description: 'd',
        autonomy: 'full',
        model: 'script:r.script.yaml',
        instructions: 'i',
        tools: 'fs.read' as never,
      }),
    invalid('tools'),
  );
});

test('close() hands a run in flight back to the queue, lease released, instead of failing it on a closed store', async () => {
  writeFileSync(
    join(dir, 'slow.script.yaml'),
    'turns:\n  - call: slow.wait\n    args: {}\n  - final: done\n',
  );
  let begun!: () => void;
  const running = new Promise<void>((r) => {
    begun = r;
  });
  const wait = defineTool({
    name: 'slow.wait',
    description: 'waits until aborted',
    input: z.object({}),
    effect: 'read',
    idempotent: true,
    run: (_args, ctx) => {
      begun();
      return new Promise((_, reject) =>
        ctx.signal.addEventListener('abort', () => reject(new Error('aborted'))),
      );
    },
  });
  const slow = defineRole(
    {
      name: 's',
      description: 'd',
      autonomy: 'full',
      model: 'script:slow.script.yaml',
      instructions: 'i',
      tools: [wait],
    },
    { dir },
  );
  const dataDir = join(dir, 'data');
  const runtime = await createRuntime({ dataDir });
  const own = new AbortController();
  runtime.work({ roles: [slow], concurrency: 1, signal: own.signal, pollMs: 20 });
  const queued = await runtime.enqueue(slow, {});
  await running;
  await runtime.close();
  own.abort();
  const again = await createRuntime({ dataDir });
  try {
    const run = (await again.get(queued.runId))?.run;
    assert.equal(run?.status, 'queued');
    assert.equal(run?.leaseOwner, null);
  } finally {
    await again.close();
  }
});

test('enqueue() refuses a bad idempotency key as run() and emit() do, and records nothing', async () => {
  const runtime = await createRuntime({ dataDir: join(dir, 'data') });
  try {
    for (const key of ['x'.repeat(201), 'two\nlines', '']) {
      await assert.rejects(
        runtime.enqueue(role(), {}, { idempotencyKey: key }),
        (e) =>
          NightshiftError.isInstance(e) && e.code === 'USAGE' && /1 to 200 visible ASCII/.test(e.message),
      );
    }
    assert.equal((await runtime.list()).length, 0, 'nothing was recorded');
  } finally {
    await runtime.close();
  }
});

test('deliver() refuses a bad idempotency key as run(), enqueue() and emit() do, and records nothing', async () => {
  const runtime = await createRuntime({ dataDir: join(dir, 'data') });
  try {
    // Before, deliver took any of these as a key: '' deduplicated every later delivery given '', a newline
    // was echoed into IDEMPOTENCY_KEY_REUSED's message, and 5,000 characters were stored with the run.
    for (const key of ['x'.repeat(201), 'two\nlines', '']) {
      await assert.rejects(
        runtime.deliver(role(), {}, { idempotencyKey: key, trigger: { kind: 'lib' } }),
        (e) =>
          NightshiftError.isInstance(e) && e.code === 'USAGE' && /1 to 200 visible ASCII/.test(e.message),
      );
    }
    assert.equal((await runtime.list()).length, 0, 'nothing was recorded');
    const ok = await runtime.deliver(
      role(),
      {},
      { idempotencyKey: 'k'.repeat(200), trigger: { kind: 'lib' } },
    );
    assert.equal(ok.created, true);
  } finally {
    await runtime.close();
  }
});

test('deliver() without options or without trigger.kind is a USAGE error naming it, and records nothing', async () => {
  const runtime = await createRuntime({ dataDir: join(dir, 'data') });
  try {
    // Before: no options was a TypeError ("Cannot read properties of undefined (reading
    // 'idempotencyKey')"), and a trigger without kind queued a run whose actor was `trigger:undefined`.
    const bad: unknown[] = [
      undefined,
      null,
      {},
      { trigger: null },
      { trigger: { event: 'go' } },
      { trigger: { kind: '' } },
    ];
    for (const options of bad) {
      await assert.rejects(
        runtime.deliver(role(), {}, options as never),
        (e) =>
          NightshiftError.isInstance(e) &&
          e.code === 'USAGE' &&
          /options\.trigger must be an object with a non-empty string kind/.test(e.message),
        `options ${JSON.stringify(options)}`,
      );
    }
    assert.equal((await runtime.list()).length, 0, 'nothing was recorded');
  } finally {
    await runtime.close();
  }
});

test('approve, reject, answer and cancel without options say who is missing; run and enqueue given a non-role say so', async () => {
  const runtime = await createRuntime({ dataDir: join(dir, 'data') });
  try {
    // Before: each was a TypeError ("Cannot read properties of undefined (reading 'by')", and for run(42)
    // "... (reading 'indexOf')") instead of the error a user can act on.
    const calls: [string, () => Promise<unknown>][] = [
      ['approve', () => (runtime.approve as (id: string) => Promise<unknown>)('apr_x')],
      ['reject', () => (runtime.reject as (id: string) => Promise<unknown>)('apr_x')],
      ['answer', () => (runtime.answer as (id: string, t: string) => Promise<unknown>)('esc_x', 'ok')],
      ['cancel', () => (runtime.cancel as (id: string) => Promise<unknown>)('run_x')],
    ];
    for (const [name, call] of calls) {
      // The library's own form is named: it said only `--as NAME`, a CLI flag a library caller has not got.
      await assert.rejects(
        call(),
        (e) => NightshiftError.isInstance(e) && e.code === 'ACTOR_INVALID' && /options\.by/.test(e.message),
        name,
      );
    }
    await assert.rejects(
      runtime.approve('apr_x', { by: '  ' }),
      (e) => NightshiftError.isInstance(e) && e.code === 'ACTOR_INVALID' && /options\.by/.test(e.message),
    );
    await assert.rejects(
      runtime.approve('apr_x', 'alice' as never),
      (e) =>
        NightshiftError.isInstance(e) && e.code === 'USAGE' && /options must be an object/.test(e.message),
    );
    for (const bad of [42, null, '', ['r.yaml']]) {
      for (const call of [() => runtime.run(bad as never, {}), () => runtime.enqueue(bad as never, {})]) {
        await assert.rejects(
          call(),
          (e) =>
            NightshiftError.isInstance(e) &&
            e.code === 'USAGE' &&
            /role must be a role file's path or a role/.test(e.message),
          JSON.stringify(bad),
        );
      }
    }
    assert.equal((await runtime.list()).length, 0, 'nothing was recorded');
  } finally {
    await runtime.close();
  }
});

test('list() takes one status as a list of one and refuses an unknown one; work() names a roles entry that is not a role', async () => {
  const runtime = await createRuntime({ dataDir: join(dir, 'data') });
  try {
    await runtime.enqueue(role(), {});
    // Before: a string reached the SQL as it was, and an unknown status listed nothing, silently.
    assert.equal((await runtime.list({ status: 'queued' as never })).length, 1);
    assert.equal((await runtime.list({ status: ['queued'] })).length, 1);
    await assert.rejects(
      runtime.list({ status: ['done' as never] }),
      (e) =>
        NightshiftError.isInstance(e) &&
        e.code === 'USAGE' &&
        /status "done" is not a run status/.test(e.message),
    );
    // Before: a TypeError ("Cannot read properties of undefined (reading 'some')").
    assert.throws(
      () =>
        runtime.work({
          roles: [role(), 'roles/x.yaml' as never],
          concurrency: 1,
          signal: new AbortController().signal,
        }),
      (e) =>
        NightshiftError.isInstance(e) &&
        e.code === 'USAGE' &&
        /roles\[1\] is the string 'roles\/x\.yaml', not a role/.test(e.message),
    );
  } finally {
    await runtime.close();
  }
});

test('enqueue() takes a role file path as run() does; deliver() given a path says it needs a role, recording nothing', async () => {
  const file = join(dir, 'r.yaml');
  writeFileSync(
    file,
    'name: r\ndescription: d\nautonomy: full\nmodel: script:r.script.yaml\ninstructions: i\ntools: []\n',
  );
  const runtime = await createRuntime({ dataDir: join(dir, 'data') });
  try {
    // Before: a TypeError from deep inside ("Cannot read properties of undefined (reading 'indexOf')").
    const queued = await runtime.enqueue(file, {});
    assert.equal(queued.status, 'queued');
    assert.equal(queued.role, 'r');
    await assert.rejects(
      runtime.deliver(file as never, {}, { trigger: { kind: 'lib' } }),
      (e) => NightshiftError.isInstance(e) && e.code === 'USAGE' && /role must be a role/.test(e.message),
    );
    assert.equal((await runtime.list()).length, 1, 'only the enqueued run was recorded');
  } finally {
    await runtime.close();
  }
});

test('an object with a name but not a loaded role (or a role spec not passed through defineRole) is USAGE naming what is missing, for run, enqueue, deliver, work and resume', async () => {
  const runtime = await createRuntime({ dataDir: join(dir, 'data') });
  try {
    // Before: run({ name }) was a TypeError ("Cannot read properties of undefined (reading 'indexOf')"), and a
    // spec with every field but not through defineRole reached the model with a path resolved nowhere.
    const spec = {
      name: 'r',
      description: 'd',
      autonomy: 'full',
      model: 'script:r.script.yaml',
      instructions: 'i',
    };
    const cases: [unknown, RegExp][] = [
      [{ name: 'x' }, /an object without 'model' \(not a loaded role\)/],
      [spec, /an object without 'tools' \(not a loaded role\)/],
      [{ ...role(), autonomy: 'boss' }, /an object with a wrong 'autonomy'/],
    ];
    for (const [bad, why] of cases) {
      const usage = (method: string) => (e: unknown) =>
        NightshiftError.isInstance(e) &&
        e.code === 'USAGE' &&
        e.message.startsWith(`runtime.${method}(): role must be`) &&
        why.test(e.message);
      await assert.rejects(runtime.run(bad as never, {}), usage('run'));
      await assert.rejects(runtime.enqueue(bad as never, {}), usage('enqueue'));
      await assert.rejects(runtime.deliver(bad as never, {}, { trigger: { kind: 'lib' } }), usage('deliver'));
      await assert.rejects(runtime.resume('run_x', { role: bad as never }), usage('resume'));
      assert.throws(
        () => runtime.work({ roles: [bad as never], concurrency: 1, signal: new AbortController().signal }),
        (e) => NightshiftError.isInstance(e) && e.code === 'USAGE' && why.test(e.message),
      );
    }
    assert.equal((await runtime.list()).length, 0, 'nothing was recorded');
  } finally {
    await runtime.close();
  }
});
