// The email confirm page in a real browser: Debian's chromium (never a downloaded one), driven by
// playwright-core. The link is taken from the mail the SMTP server received; the page shows what will be
// decided and by whom, loads nothing from outside and breaks no CSP rule; confirming decides, and the run
// continues on serve's worker. Under CI a missing chromium fails this test instead of skipping it.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { type Browser, chromium } from 'playwright-core';
import { waitForStatus } from './decisions.js';
import { type EmailProject, startEmailProject } from './email-project.js';

const CHROMIUM = process.env.NIGHTSHIFT_CHROMIUM ?? '/usr/bin/chromium';
const missing = !existsSync(CHROMIUM);
if (missing && process.env.CI)
  throw new Error(
    `${CHROMIUM} is missing: install Debian's chromium (apt-get install chromium); CI runs this test`,
  );

describe('the email confirm page in chromium', {
  skip: missing ? `${CHROMIUM} is not installed` : false,
}, () => {
  let p: EmailProject;
  let browser: Browser;
  before(async () => {
    p = await startEmailProject();
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  });
  after(async () => {
    await browser?.close();
    await p?.close();
  });

  it('opens the emailed link, shows the decision, confirms it, and the run continues', async () => {
    const d = await p.pause(p.drafter);
    const { links } = await p.mail(d);
    const page = await browser.newPage();
    const problems: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(m.text());
    });
    const outside: string[] = [];
    page.on('request', (r) => {
      if (!r.url().startsWith(p.served.url)) outside.push(r.url());
    });
    const opened = await page.goto(links.approve!);
    assert.equal(opened?.status(), 200);
    assert.equal(await page.textContent('#person'), 'alice');
    assert.match((await page.textContent('body')) ?? '', /refund\.txt/);
    assert.equal((await page.title()).startsWith('Approve a change set of billing'), true);
    // The page's own style applied (its nonce matched the CSP); nothing else may be.
    assert.notEqual(
      await page.locator('body').evaluate((b) => b.ownerDocument.defaultView!.getComputedStyle(b).maxWidth),
      'none',
    );
    await page.fill('#text', 'checked in the browser');
    await Promise.all([page.waitForURL(`${p.served.url}/decide`), page.click('#confirm')]);
    assert.match((await page.textContent('#message')) ?? '', /Approved by alice/);
    const done = await waitForStatus(d.runId, p.drafter.dataDir, p.drafter.dir, 'succeeded');
    const a = (done.approvals as { decidedBy: string; note: string }[])[0]!;
    assert.deepEqual([a.decidedBy, a.note], ['alice', 'checked in the browser']);
    // Back to the link: the page is not cached (no-store) and now offers no form.
    await page.goBack();
    assert.match((await page.textContent('#message')) ?? '', /already approved by alice/);
    assert.equal(await page.locator('form').count(), 0);
    assert.deepEqual(outside, [], 'the page asks for nothing outside serve');
    assert.deepEqual(
      problems.filter((m) => /Content Security Policy|Refused to/i.test(m)),
      [],
      'no CSP violation (the inline style carries the nonce)',
    );
  });
});
