// The web console shown hostile text, in Debian's chromium through playwright-core (drivers.ts): markup
// that would run script if it reached the page as HTML (`<img onerror>`, `</script><script>`, `<svg
// onload>`, a `javascript:` link, an attribute broken out of its quotes) and a U+202E that would show one
// name for another, put where a model, an event's sender or a person writes: an escalation's reason and
// what it misses, a drafted file's path and content, the model's text, a run's input and output, the note
// typed when approving and the answer typed to an escalation, and the addresses and filters of the pages
// themselves. Every console page is visited: none may hold an element or attribute the text brought in,
// none may set window.__pwned, and each shows the text as text. The CSP (src/auth/headers.ts) would block
// an inline handler's script, so the test looks for the injected elements themselves, not only their
// effect: escaping is what must hold, the CSP is the second wall.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { stringify } from 'yaml';
import { json, runCli, type Served, startServe } from '../support/cli.js';
import { testRoles } from '../support/roles.js';
import { waitFor } from '../support/wait.js';
import { type ConsoleBrowser, type ConsolePage, chromiumChoice } from './drivers.js';

const RLO = '\u202E';
/** Each would run script, or add an element, if the console wrote it into a page unescaped. */
const MARKUP = [
  `<img src=x onerror="window.__pwned='img'">`,
  `</script><script>window.__pwned='script'</script>`,
  `<svg onload="window.__pwned='svg'"></svg>`,
  `<a href="javascript:window.__pwned='link'" id="evil-link">click</a>`,
  `"><img src=x onerror="window.__pwned='attr'" id="evil-attr">`,
  `javascript:window.__pwned='bare'`,
];
/** What each hostile field holds: every piece of markup, then a name that shows reversed after U+202E. */
const HOSTILE = `${MARKUP.join(' ')} invoice${RLO}fdp.exe`;

/** In the page: every sign that hostile text became markup, as readable strings (none expected). */
const INJECTED = `(() => {
  const found = [];
  if (window.__pwned !== undefined) found.push('window.__pwned = ' + window.__pwned);
  for (const el of document.querySelectorAll('*')) {
    for (const a of el.attributes) {
      if (/^on/i.test(a.name)) found.push(el.tagName + ' has ' + a.name);
      if (/^\\s*javascript:/i.test(a.value)) found.push(el.tagName + ' ' + a.name + '=' + a.value);
    }
  }
  for (const el of document.querySelectorAll('img, iframe, object, embed, base, meta[http-equiv], #evil-link, #evil-attr'))
    found.push('element ' + el.outerHTML.slice(0, 120));
  for (const s of document.querySelectorAll('script'))
    if (s.getAttribute('src') !== '/console/assets/console.js') found.push('script ' + s.outerHTML.slice(0, 120));
  for (const svg of document.querySelectorAll('svg'))
    if (svg.getAttribute('role') !== 'img') found.push('svg ' + svg.outerHTML.slice(0, 120));
  return found;
})()`;

const choice = chromiumChoice();

describe('the web console shown hostile text (chromium)', { skip: choice.skip }, () => {
  const role = testRoles();
  const drafter = role({
    name: 'drafter',
    autonomy: 'draft',
    tools: ['fs.write'],
    ledgerTools: false,
    turns: [
      {
        calls: [
          { tool: 'fs.write', args: { path: `${MARKUP[0]}.txt`, content: HOSTILE } },
          { tool: 'fs.write', args: { path: `invoice${RLO}fdp.exe`, content: HOSTILE } },
        ],
        say: HOSTILE,
      },
      { final: { summary: HOSTILE } },
    ],
    extra: { triggers: [{ event: 'draft' }] },
  });
  const asker = role({
    name: 'asker',
    autonomy: 'full',
    ledgerTools: false,
    turns: [
      { escalate: { category: 'money', reason: HOSTILE, missing: HOSTILE } },
      { final: { summary: HOSTILE } },
    ],
    extra: { triggers: [{ event: 'ask' }] },
  });
  let served: Served;
  let browser: ConsoleBrowser;
  let page: ConsolePage;
  const watch = { problems: [] as string[], requests: [] as string[] };
  const runs: Record<string, string> = {};
  const cli = (args: string[]) =>
    runCli([...args, '--data-dir', drafter.dataDir, '--json'], { cwd: drafter.dir });

  async function emit(event: string): Promise<string> {
    const res = await fetch(`${served.url}/events/${event}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...served.auth },
      body: JSON.stringify({ ticket: HOSTILE }),
    });
    assert.equal(res.status, 202, await res.clone().text());
    return ((await res.json()) as { runs: { runId: string }[] }).runs[0]!.runId;
  }
  const status = async (runId: string) => json<{ status: string }>(await cli(['show', runId])).status;
  const reaches = (runId: string, wanted: string[]) =>
    waitFor(
      async () => (wanted.includes(await status(runId)) ? true : undefined),
      `run ${runId} to be ${wanted.join(' or ')}`,
      30_000,
    );

  /** Visits `path` and asserts nothing hostile became markup; `shows` says the page holds the text. */
  async function visit(path: string, o: { status?: number; shows?: boolean } = {}) {
    const answered = await page.goto(`${served.url}${path}`);
    assert.equal(answered, o.status ?? 200, `${path} answered ${answered}`);
    assert.deepEqual(await page.evaluate<string[]>(INJECTED), [], `nothing injected on ${path}`);
    // A raw U+202E would show the rest of its line reversed (`invoice\u202Efdp.exe` as `invoiceexe.pdf`).
    const markup = await page.evaluate<string>('document.documentElement.outerHTML');
    const at = markup.indexOf(RLO);
    assert.equal(at, -1, `${path} shows a raw U+202E: …${markup.slice(Math.max(0, at - 80), at + 20)}`);
    if (o.shows !== false) {
      const text = await page.evaluate<string>('document.body.textContent');
      // (As a run's input and output the text is JSON, its quotes backslashed: the tag's start is the mark.)
      assert.ok(text.includes('<img src=x onerror='), `${path} shows the markup as text`);
    }
  }

  before(async () => {
    writeFileSync(
      join(drafter.dir, 'nightshift.config.yaml'),
      stringify({ people: [{ name: 'alice', decides: ['drafter', 'asker'] }] }),
    );
    served = await startServe(
      [drafter.file, asker.file, '--port', '0', '--data-dir', drafter.dataDir, '--poll-ms', '20'],
      { cwd: drafter.dir },
    );
    const made = await cli(['token', 'create', '--as', 'alice', '--scope', 'runs:read,decide']);
    assert.equal(made.code, 0, made.stderr);
    const token = json<{ token: string }>(made).token;
    runs.drafter = await emit('draft');
    runs.asker = await emit('ask');
    await reaches(runs.drafter, ['awaiting_approval']);
    await reaches(runs.asker, ['escalated']);
    browser = await choice.launch();
    page = await browser.newPage(watch);
    await page.goto(`${served.url}/console/`);
    await page.fill('#token', token);
    await page.clickAndWait('button[type=submit]', `${served.url}/console/`);
  });
  after(async () => {
    await browser?.close();
    served?.child.kill('SIGKILL');
  });

  it('shows the inbox (drafted paths and content, the escalation) with nothing injected', async () => {
    await visit('/console/');
    const text = await page.evaluate<string>('document.body.textContent');
    assert.ok(text.includes('</script><script>'), 'the script tags are shown as text');
    assert.ok(text.includes(`javascript:window.__pwned='bare'`));
    // The drafted name as stored, its U+202E written out (as the CLI prints it), not shown reversed.
    assert.ok(text.includes('invoice\\u202efdp.exe'), 'the U+202E is written as \\u202e');
  });

  it('shows each run page and its timeline while it waits, with nothing injected', async () => {
    for (const id of [runs.drafter!, runs.asker!]) {
      await visit(`/console/runs/${id}`);
      await visit(`/console/runs/${id}/timeline`);
    }
  });

  it('takes a hostile note and answer typed in the console, and shows them back as text', async () => {
    await visit('/console/');
    const approveId = await page.evaluate<string>(
      `document.querySelector('form[action^="/console/decide/approve/"]').getAttribute('action').split('/').pop()`,
    );
    await page.fill(`#approve-${approveId}`, HOSTILE);
    await page.clickAndWait(`#approve-button-${approveId}`, `${served.url}/console/runs/${runs.drafter}`);
    await visit('/console/');
    const answerId = await page.evaluate<string>(
      `document.querySelector('form[action^="/console/decide/answer/"]').getAttribute('action').split('/').pop()`,
    );
    await page.fill(`#answer-${answerId}`, HOSTILE);
    await page.clickAndWait(`#answer-button-${answerId}`, `${served.url}/console/runs/${runs.asker}`);
    const ended = ['succeeded', 'failed'];
    await reaches(runs.drafter!, ended);
    await reaches(runs.asker!, ended);
    for (const id of [runs.drafter!, runs.asker!]) {
      await visit(`/console/runs/${id}`);
      await visit(`/console/runs/${id}/timeline`);
    }
  });

  it('shows the lists, the agents, the stats and the error pages with nothing injected', async () => {
    await visit('/console/', { shows: false });
    await visit('/console/runs', { shows: false });
    await visit('/console/agents', { shows: false });
    for (const range of ['24h', '7d', '30d']) await visit(`/console/stats?range=${range}`, { shows: false });
    const q = encodeURIComponent(HOSTILE);
    await visit(`/console/runs?role=${q}`, { shows: false });
    await visit(`/console/runs?status=${q}`, { status: 400 });
    await visit(`/console/stats?range=${q}`, { status: 400 });
    await visit(`/console/runs/${q}`, { status: 404 });
    // The browser sends the address percent-encoded, and the page names it so.
    await visit(`/console/${q}`, { status: 404, shows: false });
    await visit(`/console/runs?cursor=${q}`, { status: 400, shows: false });
  });

  it('raised no CSP violation: nothing tried to run', () => {
    assert.deepEqual(
      watch.problems.filter((m) => /Content.Security.Policy|Refused to/i.test(m)),
      [],
    );
  });
});
