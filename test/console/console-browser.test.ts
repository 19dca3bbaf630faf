// The web console in a real browser: Debian's chromium (never a downloaded one), driven by playwright-core,
// against a real `nightshift serve`. A person logs in with a token, sees a paused run in the inbox, reads
// its diff, approves it and watches the run finish on its timeline (refreshed by console.js); answers an
// escalation; a person not allowed for the role sees no decide buttons and a forged POST is refused with
// nothing changed. It saves docs/console.png and prints the first load's bytes and time to interactive.
import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type Browser, chromium, type Page } from 'playwright-core';
import { stringify } from 'yaml';
import { openSqliteStore } from '../../src/store/sqlite/index.js';
import { json, runCli, type Served, startServe } from '../support/cli.js';
import { repoRoot } from '../support/paths.js';
import { testRoles } from '../support/roles.js';
import { waitFor } from '../support/wait.js';

const CHROMIUM = process.env.NIGHTSHIFT_CHROMIUM ?? '/usr/bin/chromium';
const missing = !existsSync(CHROMIUM);
if (missing && process.env.CI)
  throw new Error(
    `${CHROMIUM} is missing: install Debian's chromium (apt-get install chromium); CI runs this test`,
  );

const role = testRoles();

interface RunView {
  status: string;
  approvals: { id: string; status: string; decidedBy: string | null; note: string | null }[];
  escalations: { id: string }[];
}

describe('the web console in chromium', { skip: missing ? `${CHROMIUM} is not installed` : false }, () => {
  const billing = role({
    name: 'billing',
    autonomy: 'draft',
    ledgerTools: false,
    turns: [
      {
        call: 'fs.write',
        args: { path: 'refund.txt', content: 'refund 40 to T-1\napproved in the console\n' },
      },
      { final: { summary: 'refund written' } },
    ],
    extra: { triggers: [{ event: 'refund' }] },
  });
  const ops = role({
    name: 'ops-desk',
    autonomy: 'full',
    ledgerTools: false,
    turns: [
      { escalate: { category: 'money', reason: 'refund of 250 asked' } },
      { final: { summary: 'done' } },
    ],
    extra: { triggers: [{ event: 'ops' }] },
  });
  let served: Served;
  let browser: Browser;
  const cli = (args: string[]) =>
    runCli([...args, '--data-dir', billing.dataDir, '--json'], { cwd: billing.dir });
  const tokens: Record<string, string> = {};
  const problems: string[] = [];
  const outside: string[] = [];

  async function emit(event: string): Promise<string> {
    const res = await fetch(`${served.url}/events/${event}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...served.auth },
      body: '{}',
    });
    assert.equal(res.status, 202, await res.clone().text());
    return ((await res.json()) as { runs: { runId: string }[] }).runs[0]!.runId;
  }
  const show = async (runId: string) => json<RunView>(await cli(['show', runId]));
  const paused = (runId: string) =>
    waitFor(async () => {
      const r = await show(runId);
      return r.status === 'awaiting_approval' || r.status === 'escalated' ? r : undefined;
    }, `run ${runId} to pause`);

  async function logIn(name: string): Promise<Page> {
    const context = await browser.newContext();
    const page = await context.newPage();
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(m.text());
    });
    page.on('request', (r) => {
      if (!r.url().startsWith(served.url)) outside.push(r.url());
    });
    await page.goto(`${served.url}/console/`);
    assert.match(page.url(), /\/login$/, 'without a session the console sends the browser to log in');
    await page.fill('#token', tokens[name]!);
    await Promise.all([page.waitForURL(`${served.url}/console/`), page.click('button[type=submit]')]);
    assert.equal(await page.textContent('#who'), name);
    return page;
  }

  before(async () => {
    writeFileSync(
      join(billing.dir, 'nightshift.config.yaml'),
      stringify({
        people: [
          { name: 'alice', decides: ['billing', 'ops-desk'] },
          { name: 'bob', decides: ['other-team'] },
        ],
      }),
    );
    served = await startServe(
      [billing.file, ops.file, '--port', '0', '--data-dir', billing.dataDir, '--poll-ms', '20'],
      { cwd: billing.dir },
    );
    for (const name of ['alice', 'bob']) {
      const res = await cli(['token', 'create', '--as', name, '--scope', 'runs:read,decide']);
      assert.equal(res.code, 0, res.stderr);
      tokens[name] = json<{ token: string }>(res).token;
    }
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  });
  after(async () => {
    await browser?.close();
    served?.child.kill('SIGKILL');
  });

  it('logs in, shows the paused run with its diff, approves it, and the timeline shows it finish', async () => {
    const runId = await emit('refund');
    const { approvals } = await paused(runId);
    const approvalId = approvals[0]!.id;
    const page = await logIn('alice');
    const item = page.locator(`article#${approvalId}`);
    assert.match((await item.textContent()) ?? '', /Change set of billing/);
    const added = await item.locator('pre.diff .add').allTextContents();
    assert.ok(added.includes('+refund 40 to T-1'), `the diff shows the added line: ${added.join(' | ')}`);
    assert.ok(added.includes('+approved in the console'));

    // The first load, as measured by the browser itself (figures for the note, not assertions).
    await page.reload();
    // A string: the test's TypeScript has no DOM types; this runs in the page.
    const load = (await page.evaluate(`(() => {
      const nav = performance.getEntriesByType('navigation')[0];
      return {
        html: nav.decodedBodySize,
        assets: performance.getEntriesByType('resource').map((r) => [r.name.split('/').pop(), r.decodedBodySize]),
        interactiveMs: Math.round(nav.domInteractive),
        loadedMs: Math.round(nav.loadEventEnd),
      };
    })()`)) as { html: number; assets: [string, number][]; interactiveMs: number; loadedMs: number };
    const bytes = load.html + load.assets.reduce((n, [, b]) => n + b, 0);
    console.log(
      `console first load: ${bytes} bytes (html ${load.html}, ${load.assets.map(([n, b]) => `${n} ${b}`).join(', ')}); domInteractive ${load.interactiveMs} ms, loadEventEnd ${load.loadedMs} ms`,
    );
    await page.screenshot({ path: join(repoRoot, 'docs', 'console.png'), fullPage: true });

    // Keyboard: the approve button takes focus and is a real button.
    await page.focus(`#approve-button-${approvalId}`);
    assert.equal(await page.evaluate('document.activeElement && document.activeElement.tagName'), 'BUTTON');
    await page.fill(`#approve-${approvalId}`, 'looks right');
    await Promise.all([
      page.waitForURL(`${served.url}/console/runs/${runId}`),
      page.click(`#approve-button-${approvalId}`),
    ]);
    // No reload here: console.js refreshes the timeline until the run has finished.
    await page.locator('#run-status', { hasText: /^succeeded$/ }).waitFor({ timeout: 30_000 });
    assert.match((await page.textContent('#steps')) ?? '', /approval_decided/);
    assert.match((await page.textContent('#calls')) ?? '', /fs\.write/);
    assert.equal(billing.read('refund.txt'), 'refund 40 to T-1\napproved in the console\n');
    const a = (await show(runId)).approvals[0]!;
    assert.deepEqual([a.status, a.decidedBy, a.note], ['approved', 'alice', 'looks right']);
    await page.context().close();
  });

  it('answers an escalation from the inbox', async () => {
    const runId = await emit('ops');
    const { escalations } = await paused(runId);
    const id = escalations[0]!.id;
    const page = await logIn('alice');
    assert.match((await page.textContent(`article#${id}`)) ?? '', /refund of 250 asked/);
    assert.match((await page.textContent(`article#${id}`)) ?? '', /\[money\]/);
    await page.fill(`#answer-${id}`, 'yes, refund it');
    await Promise.all([
      page.waitForURL(`${served.url}/console/runs/${runId}`),
      page.click(`#answer-button-${id}`),
    ]);
    await page.locator('#run-status', { hasText: /^succeeded$/ }).waitFor({ timeout: 30_000 });
    const store = openSqliteStore({ dataDir: billing.dataDir });
    await store.init();
    const e = await store.getEscalation(id);
    await store.close();
    assert.deepEqual([e?.status, e?.answer, e?.answeredBy], ['answered', 'yes, refund it', 'alice']);
    await page.context().close();
  });

  it('shows a person not allowed no decide buttons, and refuses their forged POST with nothing changed', async () => {
    const runId = await emit('refund');
    const approvalId = (await paused(runId)).approvals[0]!.id;
    const page = await logIn('bob');
    const item = page.locator(`article#${approvalId}`);
    assert.match((await item.textContent()) ?? '', /You may not decide for billing/);
    assert.equal(await page.locator('form[action^="/console/decide"]').count(), 0);
    // The forged POST: bob's own session and CSRF token (from the logout form), the approve form's fields.
    const csrf = await page.getAttribute('input[name=csrf]', 'value');
    const forged = await page.request.post(`${served.url}/console/decide/approve/${approvalId}`, {
      form: { csrf: csrf!, note: 'forged' },
      headers: { origin: served.url },
    });
    assert.equal(forged.status(), 403);
    assert.match(await forged.text(), /bob may not decide|not allowed|may not/i);
    // Without the CSRF token (a cross-site form cannot know it): refused too.
    const noCsrf = await page.request.post(`${served.url}/console/decide/approve/${approvalId}`, {
      form: { note: 'forged' },
      headers: { origin: served.url },
    });
    assert.equal(noCsrf.status(), 403);
    assert.match(await noCsrf.text(), /CSRF_INVALID/);
    // From another site, even with a valid session and token (as a cross-site form would be): refused.
    const crossSite = await page.request.post(`${served.url}/console/decide/reject/${approvalId}`, {
      form: { csrf: csrf!, reason: 'forged' },
      headers: { origin: 'http://evil.example' },
    });
    assert.equal(crossSite.status(), 403);
    const a = (await show(runId)).approvals[0]!;
    assert.deepEqual([a.status, a.decidedBy], ['pending', null]);

    // Live refresh: bob watches the paused run's timeline; alice approves at the terminal; bob's page
    // shows the run finish with no reload (console.js fetches the timeline fragment while it runs).
    await page.goto(`${served.url}/console/runs/${runId}`);
    assert.equal(await page.textContent('#run-status'), 'awaiting_approval');
    const approved = await cli(['approve', approvalId, '--as', 'alice', '--queue']);
    assert.equal(approved.code, 0, approved.stderr);
    await page.locator('#run-status', { hasText: /^succeeded$/ }).waitFor({ timeout: 30_000 });
    assert.equal(await page.locator('#timeline[data-live]').count(), 0, 'polling stops once the run ended');
    await page.context().close();
  });

  it('answers every error with a clear page: unknown run 404, bad filter 400, forbidden 403', async () => {
    const page = await logIn('bob');
    const gone = await page.goto(`${served.url}/console/runs/run_nope`);
    assert.equal(gone?.status(), 404);
    assert.match((await page.textContent('#error')) ?? '', /there is no run run_nope/);
    const bad = await page.goto(`${served.url}/console/runs?status=nope`);
    assert.equal(bad?.status(), 400);
    assert.match((await page.textContent('#error')) ?? '', /unknown status 'nope'/);
    const runs = await page.goto(`${served.url}/console/runs?role=billing`);
    assert.equal(runs?.status(), 200);
    assert.ok((await page.locator('#runs tbody tr').count()) >= 2);
    for (const path of ['/console/agents', '/console/stats'])
      assert.equal((await page.goto(`${served.url}${path}`))?.status(), 200, path);
    assert.equal(await page.locator('#chart-success svg').count(), 1);
    assert.deepEqual(outside, [], 'the console asks for nothing outside serve');
    assert.deepEqual(
      problems.filter((m) => /Content Security Policy|Refused to/i.test(m)),
      [],
      'no CSP violation',
    );
    await page.context().close();
  });
});
