// Patterns from role files run on RE2 (linear time): a catastrophic-backtracking pattern on a long hostile
// text returns an answer instead of hanging the process. The evaluation runs in a worker thread, so a
// regression fails this test (by its timeout) instead of freezing the whole test run.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { matches } from '../../src/roles/conditions.js';

const conditionsModule = pathToFileURL(
  new URL('../../src/roles/conditions.js', import.meta.url).pathname,
).href;
const shellModule = pathToFileURL(
  new URL('../../src/tools/builtin/shell-exec.js', import.meta.url).pathname,
).href;
const roleSupport = pathToFileURL(new URL('../support/role.js', import.meta.url).pathname).href;

/**
 * Runs `body` (an async function's text, returning JSON) in a worker; resolves with what it returns. The
 * worker is terminated when the test's signal aborts (its timeout), so a hung match ends with the test.
 */
function inWorker(body: string, signal: AbortSignal): Promise<unknown> {
  const worker = new Worker(
    `const { parentPort } = require('node:worker_threads');
     (async () => { ${body} })().then((v) => parentPort.postMessage(v), (e) => parentPort.postMessage({ error: String(e) }));`,
    { eval: true },
  );
  signal.addEventListener('abort', () => void worker.terminate());
  return new Promise((resolve, reject) => {
    worker.once('message', (v) => {
      resolve(v);
      void worker.terminate();
    });
    worker.once('error', reject);
  });
}

// Hung for good on the backtracking engine: (a+)+$ tries every split of the a's before failing at '!'.
const HOSTILE = `'${'a'.repeat(50_000)}!'`;

describe('regular expressions from role files', () => {
  it('answers an escalation condition (a+)+$ on a long hostile input instead of hanging', {
    timeout: 120_000,
  }, async (t) => {
    const result = await inWorker(
      `
      const { matches } = await import('${conditionsModule}');
      return {
        tool: matches({ tool: 'ledger.append', arg: 'entry', matches: '(a+)+$' }, { call: { tool: 'ledger.append', args: { entry: ${HOSTILE} } } }),
        input: matches({ input: { matches: '(a+)+$' } }, { input: ${HOSTILE} }),
      };`,
      t.signal,
    );
    assert.deepEqual(result, { tool: false, input: false });
  });

  it('answers a shell.exec argument pattern (a+)+ on a long hostile argument instead of hanging', {
    timeout: 120_000,
  }, async (t) => {
    const result = await inWorker(
      `
      const { shellExec } = await import('${shellModule}');
      const { testRole, scopeContext } = await import('${roleSupport}');
      const role = testRole({ workspace: process.cwd(), scope: { ...testRole().scope, commands: [{ program: 'echo', args: ['(a+)+'] }] } });
      const verdict = await shellExec.scope(shellExec.input.parse({ command: 'echo', args: [${HOSTILE}] }), scopeContext(role));
      return verdict;`,
      t.signal,
    );
    assert.equal((result as { kind: string }).kind, 'outside', JSON.stringify(result));
    assert.match((result as { reason: string }).reason, /matches none of the allowed patterns/);
  });

  it('keeps the (?i) prefix and ordinary patterns working', () => {
    const subject = { input: { text: 'We will file a LAWSUIT' } };
    assert.equal(matches({ input: { matches: '(?i)lawsuit|attorney' } }, subject), true);
    assert.equal(matches({ input: { matches: 'lawsuit' } }, subject), false);
    assert.equal(matches({ input: { matches: '\\bfile\\s+a\\b' } }, subject), true);
  });
});
