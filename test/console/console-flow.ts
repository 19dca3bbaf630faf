// The web console's scenario, one for every browser (drivers.ts: chromium and firefox), against a real
// `nightshift serve`: a person logs in with a token, sees a paused run in the inbox, reads its diff,
// approves it and watches the run finish on its timeline (refreshed by console.js); answers an
// escalation; works through the inbox by keyboard alone; a person not allowed for the role sees no
// decide buttons and a forged POST is refused with nothing changed; the runs list pages by cursor with
// its filters kept; the charts over time render; every error is a clear page. It prints the first load's
// bytes and time to interactive, and chromium saves docs/console.png.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { stringify } from 'yaml';
import { openSqliteStore } from '../../src/store/sqlite/index.js';
import { writeRun } from '../contract/stats.js';
import { json, runCli, type Served, startServe } from '../support/cli.js';
import { repoRoot } from '../support/paths.js';
import { testRoles } from '../support/roles.js';
import { waitFor } from '../support/wait.js';
import type { BrowserChoice, ConsoleBrowser, ConsolePage } from './drivers.js';

interface RunView {
  status: string;
  approvals: { id: string; status: string; decidedBy: string | null; note: string | null }[];
  escalations: { id: string }[];
}

/** Old finished runs written into the store before serve starts: more than two pages of the runs list. */
const OLD_BILLING = 60;

export function describeConsole(choice: BrowserChoice): void {
  describe(`the web console in ${choice.name}`, { skip: choice.skip }, () => {
    const role = testRoles();
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
    let browser: ConsoleBrowser;
    const cli = (args: string[]) =>
      runCli([...args, '--data-dir', billing.dataDir, '--json'], { cwd: billing.dir });
    const tokens: Record<string, string> = {};
    const watch = { problems: [] as string[], requests: [] as string[] };
    const oldIds: string[] = [];

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
    const finished = (page: ConsolePage) =>
      waitFor(
        async () => ((await page.text('#run-status')) === 'succeeded' ? true : undefined),
        'the timeline to show the run succeeded',
        30_000,
      );

    /** A form POST sent from outside the page with this page's session (a forgery, or a plain form). */
    async function post(page: ConsolePage, path: string, form: Record<string, string>, origin = served.url) {
      const res = await fetch(`${served.url}${path}`, {
        method: 'POST',
        redirect: 'manual',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          cookie: await page.cookieHeader(),
          origin,
        },
        body: new URLSearchParams(form).toString(),
      });
      return { status: res.status, text: await res.text() };
    }

    async function logIn(name: string): Promise<ConsolePage> {
      const page = await browser.newPage(watch);
      await page.goto(`${served.url}/console/`);
      assert.match(page.url(), /\/login$/, 'without a session the console sends the browser to log in');
      await page.fill('#token', tokens[name]!);
      await page.clickAndWait('button[type=submit]', `${served.url}/console/`);
      assert.equal(await page.text('#who'), name);
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
      // History older than anything serve will run, so it fills the later pages of the runs list.
      const store = openSqliteStore({ dataDir: billing.dataDir });
      await store.init();
      for (let i = 0; i < OLD_BILLING; i++) {
        oldIds.push(
          await writeRun(store, { role: 'billing', version: 'v0', status: 'succeeded', created: i }),
        );
        await writeRun(store, {
          role: 'billing',
          version: 'v0',
          status: 'failed',
          created: i,
          errorCode: 'X',
        });
      }
      await store.close();
      served = await startServe(
        [billing.file, ops.file, '--port', '0', '--data-dir', billing.dataDir, '--poll-ms', '20'],
        { cwd: billing.dir },
      );
      for (const name of ['alice', 'bob']) {
        const res = await cli(['token', 'create', '--as', name, '--scope', 'runs:read,decide']);
        assert.equal(res.code, 0, res.stderr);
        tokens[name] = json<{ token: string }>(res).token;
      }
      browser = await choice.launch();
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
      const item = `article#${approvalId}`;
      assert.match((await page.text(item)) ?? '', /Change set of billing/);
      const added = await page.evaluate<string[]>(
        `[...document.querySelectorAll('${item} pre.diff .add')].map((e) => e.textContent)`,
      );
      assert.ok(added.includes('+refund 40 to T-1'), `the diff shows the added line: ${added.join(' | ')}`);
      assert.ok(added.includes('+approved in the console'));
      // before: a file that could not be read was diffed against nothing like a new one, and nothing said
      // which; now the page says which beside the diff, where it is seen (laid out, not hidden).
      const said = await page.evaluate<{ text: string; seen: boolean }>(`(() => {
        const n = document.querySelector('${item} .diff-note');
        if (!n) return { text: '', seen: false };
        const box = n.getBoundingClientRect();
        return { text: n.textContent, seen: box.height > 0 && getComputedStyle(n).visibility === 'visible' };
      })()`);
      assert.equal(said.text, 'New file: there is no refund.txt in the workspace now.');
      assert.ok(said.seen, 'the note beside the diff is laid out and visible');

      // The first load, as measured by the browser itself (figures for the note, not assertions).
      await page.goto(`${served.url}/console/`);
      const load = await page.evaluate<{
        html: number;
        assets: [string, number][];
        interactiveMs: number;
      }>(`(() => {
        const nav = performance.getEntriesByType('navigation')[0];
        return {
          html: nav.decodedBodySize,
          assets: performance.getEntriesByType('resource').map((r) => [r.name.split('/').pop(), r.decodedBodySize]),
          interactiveMs: Math.round(nav.domInteractive),
        };
      })()`);
      const bytes = load.html + load.assets.reduce((n, [, b]) => n + b, 0);
      console.log(
        `${choice.name}: console first load ${bytes} bytes (html ${load.html}, ${load.assets.map(([n, b]) => `${n} ${b}`).join(', ')}); domInteractive ${load.interactiveMs} ms`,
      );
      if (choice.name === 'chromium') await page.screenshot(join(repoRoot, 'docs', 'console.png'));

      await page.fill(`#approve-${approvalId}`, 'looks right');
      await page.clickAndWait(`#approve-button-${approvalId}`, `${served.url}/console/runs/${runId}`);
      // No reload here: console.js refreshes the timeline until the run has finished.
      await finished(page);
      assert.match((await page.text('#steps')) ?? '', /approval_decided/);
      assert.match((await page.text('#calls')) ?? '', /fs\.write/);
      assert.equal(billing.read('refund.txt'), 'refund 40 to T-1\napproved in the console\n');
      const a = (await show(runId)).approvals[0]!;
      assert.deepEqual([a.status, a.decidedBy, a.note], ['approved', 'alice', 'looks right']);
      await page.close();
    });

    it('answers an escalation from the inbox', async () => {
      const runId = await emit('ops');
      const { escalations } = await paused(runId);
      const id = escalations[0]!.id;
      const page = await logIn('alice');
      assert.match((await page.text(`article#${id}`)) ?? '', /refund of 250 asked/);
      assert.match((await page.text(`article#${id}`)) ?? '', /\[money\]/);
      await page.fill(`#answer-${id}`, 'yes, refund it');
      await page.clickAndWait(`#answer-button-${id}`, `${served.url}/console/runs/${runId}`);
      await finished(page);
      const store = openSqliteStore({ dataDir: billing.dataDir });
      await store.init();
      const e = await store.getEscalation(id);
      await store.close();
      assert.deepEqual([e?.status, e?.answer, e?.answeredBy], ['answered', 'yes, refund it', 'alice']);
      await page.close();
    });

    it('works through the inbox by keyboard alone: Tab to the note, type it, Tab to Approve, Enter', async () => {
      const runId = await emit('refund');
      const approvalId = (await paused(runId)).approvals[0]!.id;
      const page = await logIn('alice');
      const focused = () => page.evaluate<string>('document.activeElement ? document.activeElement.id : ""');
      const visited: string[] = [];
      for (let i = 0; i < 100 && (await focused()) !== `approve-${approvalId}`; i++) {
        await page.press('Tab');
        visited.push(await focused());
      }
      assert.equal(
        await focused(),
        `approve-${approvalId}`,
        `Tab reaches the note box; went ${visited.join(' ')}`,
      );
      await page.type('by keyboard');
      await page.press('Tab');
      assert.equal(await focused(), `approve-button-${approvalId}`, 'the next Tab is the Approve button');
      // The focused control is visibly marked (console.css :focus-visible), not only in the DOM.
      const outline = await page.evaluate<string>('getComputedStyle(document.activeElement).outlineStyle');
      assert.notEqual(outline, 'none', 'the focused button shows an outline');
      await page.pressAndWait('Enter', `${served.url}/console/runs/${runId}`);
      await finished(page);
      const a = (await show(runId)).approvals[0]!;
      assert.deepEqual([a.status, a.decidedBy, a.note], ['approved', 'alice', 'by keyboard']);
      await page.close();
    });

    it('shows a person not allowed no decide buttons, and refuses their forged POST with nothing changed', async () => {
      const runId = await emit('refund');
      const approvalId = (await paused(runId)).approvals[0]!.id;
      const page = await logIn('bob');
      assert.match((await page.text(`article#${approvalId}`)) ?? '', /You may not decide for billing/);
      assert.equal(await page.count('form[action^="/console/decide"]'), 0);
      // The forged POST: bob's own session and CSRF token (from the logout form), the approve form's fields.
      const csrf = (await page.attribute('input[name=csrf]', 'value'))!;
      const forged = await post(page, `/console/decide/approve/${approvalId}`, { csrf, note: 'forged' });
      assert.equal(forged.status, 403);
      assert.match(forged.text, /<h1>Not allowed<\/h1>/, 'a clear page, not a bare status');
      assert.match(forged.text, /bob may not decide|may not/i);
      // A wrong CSRF token, and none (a cross-site form cannot know it): refused, each with its page.
      const badForms: Record<string, string>[] = [{ csrf: `${csrf}x`, note: 'forged' }, { note: 'forged' }];
      for (const form of badForms) {
        const bad = await post(page, `/console/decide/approve/${approvalId}`, form);
        assert.equal(bad.status, 403);
        assert.match(bad.text, /data-code="CSRF_INVALID"/);
        assert.match(bad.text, /<h1>Not allowed<\/h1>/);
      }
      // From another site, even with a valid session and token (as a cross-site form would be): refused.
      const crossSite = await post(
        page,
        `/console/decide/reject/${approvalId}`,
        { csrf, reason: 'forged' },
        'http://evil.example',
      );
      assert.equal(crossSite.status, 403);
      const a = (await show(runId)).approvals[0]!;
      assert.deepEqual([a.status, a.decidedBy], ['pending', null]);

      // Live refresh: bob watches the paused run's timeline; alice approves at the terminal; bob's page
      // shows the run finish with no reload (console.js fetches the timeline fragment while it runs).
      await page.goto(`${served.url}/console/runs/${runId}`);
      assert.equal(await page.text('#run-status'), 'awaiting_approval');
      const approved = await cli(['approve', approvalId, '--as', 'alice', '--queue']);
      assert.equal(approved.code, 0, approved.stderr);
      await finished(page);
      assert.equal(await page.count('#timeline[data-live]'), 0, 'polling stops once the run ended');
      await page.close();
    });

    it('pages the runs list by cursor with its filters kept, and refuses a cursor it did not hand out', async () => {
      const page = await logIn('bob');
      const seen: string[] = [];
      let url = `${served.url}/console/runs?role=billing&status=succeeded`;
      for (let pages = 0; pages < 10; pages++) {
        assert.equal(await page.goto(url), 200);
        const rows = await page.evaluate<string[][]>(
          `[...document.querySelectorAll('#runs tbody tr')].map((tr) => [...tr.cells].map((td) => td.textContent))`,
        );
        for (const [id, roleAt, status] of rows) {
          assert.match(roleAt!, /^billing@/);
          assert.equal(status, 'succeeded');
          seen.push(id!);
        }
        // The filters stay selected on every page.
        assert.equal(await page.evaluate('document.querySelector("#role").value'), 'billing');
        assert.equal(await page.evaluate('document.querySelector("#status").value'), 'succeeded');
        const next = await page.attribute('#next-page', 'href');
        if (!next) break;
        assert.match(next, /role=billing&status=succeeded&cursor=/);
        if (pages > 0) assert.equal(await page.count('#first-page'), 1);
        url = `${served.url}${next}`;
      }
      assert.equal(new Set(seen).size, seen.length, 'no run appears on two pages');
      for (const id of oldIds) assert.ok(seen.includes(id), `old run ${id} is on some page`);
      assert.ok(seen.length >= OLD_BILLING + 1, `${seen.length} runs over the pages`);

      const bad = await page.goto(`${served.url}/console/runs?role=billing&cursor=bm9wZQ`);
      assert.equal(bad, 400);
      assert.match((await page.text('#error')) ?? '', /cursor is not valid for runs/);
      assert.equal(await page.attribute('#error', 'data-code'), 'CURSOR_INVALID');
      await page.close();
    });

    it('charts the five metrics per role over time, with a table of the same figures', async () => {
      const page = await logIn('bob');
      assert.equal(await page.goto(`${served.url}/console/stats?range=24h`), 200);
      assert.equal(await page.text('.ranges a[aria-current=page]'), '24h');
      const section = 'section.role-series[id^="series-billing-"]';
      assert.ok((await page.count(section)) >= 1, 'billing has a section of charts');
      assert.equal(await page.count(`${section} figure.spark svg[role=img]`), 5);
      // Every chart is labelled, and its bars name their bucket and value.
      const titles = await page.evaluate<string[]>(
        `[...document.querySelectorAll('${section} svg > title')].map((t) => t.textContent)`,
      );
      assert.deepEqual(
        titles.map((t) => t.replace(/ of billing@.*/, '')),
        ['Success rate', 'Duration p50', 'Tool calls per run', 'Cost per task', 'Escalation rate'],
      );
      assert.ok((await page.count(`${section} rect.bar title`)) >= 5, 'the hour of this test has bars');
      assert.equal(await page.count(`${section} table.series tbody tr`), 24, 'one table row per hour');
      if (choice.name === 'chromium') await page.screenshot(join(repoRoot, 'docs', 'console-stats.png'));
      assert.equal(await page.goto(`${served.url}/console/stats?range=30d`), 200);
      assert.equal(await page.count(`${section} table.series tbody tr`), 30);
      assert.equal(await page.goto(`${served.url}/console/stats?range=1y`), 400);
      assert.match((await page.text('#error')) ?? '', /unknown range '1y'.*24h, 7d, 30d/);
      await page.close();
    });

    it('answers every error with a clear page: unknown run or page 404, bad filter 400', async () => {
      const page = await logIn('bob');
      assert.equal(await page.goto(`${served.url}/console/runs/run_nope`), 404);
      assert.match((await page.text('#error')) ?? '', /there is no run run_nope/);
      assert.equal(await page.goto(`${served.url}/console/runs?status=nope`), 400);
      assert.match((await page.text('#error')) ?? '', /unknown status 'nope'/);
      assert.equal(await page.goto(`${served.url}/console/assets/nope.js`), 404);
      assert.match((await page.text('h1')) ?? '', /Not found/);
      assert.equal(await page.goto(`${served.url}/console/nope`), 404);
      assert.match((await page.text('#error')) ?? '', /there is no console page \/console\/nope/);
      for (const path of ['/console/agents', '/console/stats'])
        assert.equal(await page.goto(`${served.url}${path}`), 200, path);
      assert.equal(await page.count('#chart-success svg'), 1);
      assert.deepEqual(
        // data: URLs are not requests that leave the browser (Firefox loads a built-in font as one).
        watch.requests.filter((u) => !u.startsWith(served.url) && !u.startsWith('data:')),
        [],
        'the console asks for nothing outside serve',
      );
      assert.deepEqual(
        watch.problems.filter((m) => /Content.Security.Policy|Refused to|CSP/i.test(m)),
        [],
        'no CSP violation',
      );
      await page.close();
    });
  });
}
