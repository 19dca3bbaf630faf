// The email channel end to end: a paused run's decision mailed through a real SMTP server with one-time,
// expiring, signed links to a confirm page on a real `nightshift serve`. Opening a link never decides;
// the page's POST decides as the person the link was made for, once. Expired, forged, reused and
// cross-site requests, and a person who may not decide, are refused with nothing changed.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { signDecisionLink } from '../../src/notifications/decision-links.js';
import { assertNoInternals, hideTable, runStatus, waitForStatus } from './decisions.js';
import { type EmailProject, LINK_SECRET, startEmailProject } from './email-project.js';

function tokenOf(link: string): string {
  return link.slice(link.lastIndexOf('/') + 1);
}

describe('email channel and the confirm page', () => {
  let p: EmailProject;
  const origin = () => p.served.url;
  const status = async (runId: string) => (await runStatus(runId, p.drafter.dataDir, p.drafter.dir)).status;
  const post = (token: string, text = '', headers: Record<string, string> = {}) =>
    fetch(`${p.served.url}/decide`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: origin(), ...headers },
      body: new URLSearchParams({ token, text }).toString(),
    });

  before(async () => {
    p = await startEmailProject();
  });
  after(async () => {
    await p.close();
  });

  it('mails the context and approve/reject links for the addressed person', async () => {
    const d = await p.pause(p.drafter);
    const { mail, links } = await p.mail(d);
    assert.deepEqual(mail.to, ['alice@example.test']);
    assert.match(mail.subject, /Approval needed: billing/);
    assert.match(mail.text, /refund\.txt/);
    assert.deepEqual(Object.keys(links).sort(), ['approve', 'reject']);
    assert.ok(links.approve!.startsWith(`${p.served.url}/decide/`));
    assert.match(mail.raw, /Message-ID:\s+<ntf_/i);
    // docs/escalation-channels.md: the CLI command as an alternative to the links.
    assert.ok(mail.text.includes(`nightshift approve ${d.id} --as NAME`), mail.text);
  });

  it('GET shows what will be decided and by whom, under a strict CSP, and never decides', async () => {
    const d = await p.pause(p.drafter);
    const { links } = await p.mail(d);
    for (let i = 0; i < 3; i++) {
      const res = await fetch(links.approve!);
      assert.equal(res.status, 200);
      const csp = res.headers.get('content-security-policy') ?? '';
      assert.match(csp, /default-src 'none'/);
      assert.match(csp, /form-action 'self'/);
      assert.equal(res.headers.get('referrer-policy'), 'same-origin');
      const html = await res.text();
      assert.match(html, /as <strong id="person">alice<\/strong>/);
      assert.match(html, /refund\.txt/);
      assert.doesNotMatch(html, /<script|src=|href="http/, 'the page loads nothing');
    }
    assert.equal(await status(d.runId), 'awaiting_approval');
  });

  it('the POST decides as the link’s person, once: a reused link is refused', async () => {
    const d = await p.pause(p.drafter);
    const { links } = await p.mail(d);
    const res = await post(tokenOf(links.approve!), 'looks right');
    assert.equal(res.status, 200);
    assert.match(await res.text(), /Approved by alice/);
    const done = await waitForStatus(d.runId, p.drafter.dataDir, p.drafter.dir, 'succeeded');
    const a = (done.approvals as { status: string; decidedBy: string; note: string }[])[0]!;
    assert.deepEqual([a.status, a.decidedBy, a.note], ['approved', 'alice', 'looks right']);
    const again = await post(tokenOf(links.approve!));
    assert.equal(again.status, 410);
    assert.match(await again.text(), /this link was already used/);
    // The other link of the same mail is refused too: the decision is taken.
    const reject = await post(tokenOf(links.reject!), 'too late');
    assert.equal(reject.status, 409);
  });

  it('reject needs a reason; a form without one spends nothing and decides nothing', async () => {
    const d = await p.pause(p.drafter);
    const { links } = await p.mail(d);
    const empty = await post(tokenOf(links.reject!), '  ');
    assert.equal(empty.status, 400);
    assert.equal(await status(d.runId), 'awaiting_approval');
    const res = await post(tokenOf(links.reject!), 'refunds wait for the audit');
    assert.equal(res.status, 200);
    const s = await runStatus(d.runId, p.drafter.dataDir, p.drafter.dir);
    const a = (s.approvals as { status: string; decidedBy: string }[])[0]!;
    assert.deepEqual([a.status, a.decidedBy], ['rejected', 'alice']);
  });

  it('refuses an expired, a forged and an unauthorised person’s link (GET and POST), nothing changed', async () => {
    const d = await p.pause(p.drafter);
    const link = { kind: d.kind, id: d.id, action: 'approve' as const, hash: d.hash };
    const expired = signDecisionLink({ ...link, person: 'alice', expiresAt: Date.now() - 1000 }, LINK_SECRET);
    const forged = signDecisionLink(
      { ...link, person: 'alice', expiresAt: Date.now() + 60_000 },
      'x'.repeat(40),
    );
    const bobs = signDecisionLink({ ...link, person: 'bob', expiresAt: Date.now() + 60_000 }, LINK_SECRET);
    const strangers = signDecisionLink(
      { ...link, person: 'mallory', expiresAt: Date.now() + 60_000 },
      LINK_SECRET,
    );
    for (const [token, code, why] of [
      [expired, 410, /expired/],
      [forged, 403, /not valid/],
      [bobs, 403, /bob may not decide for role billing/],
      [strangers, 403, /mallory is no longer a configured person/],
    ] as const) {
      const page = await fetch(`${p.served.url}/decide/${token}`);
      assert.equal(page.status, code);
      assert.match(await page.text(), why);
      const res = await post(token);
      assert.equal(res.status, code);
    }
    assert.equal(await status(d.runId), 'awaiting_approval');
  });

  it('refuses a cross-site post and a post that is not the form', async () => {
    const d = await p.pause(p.drafter);
    const { links } = await p.mail(d);
    const token = tokenOf(links.approve!);
    assert.equal((await post(token, '', { 'sec-fetch-site': 'cross-site' })).status, 403);
    // A sibling subdomain's page is another site too, as the console's forms hold.
    assert.equal((await post(token, '', { 'sec-fetch-site': 'same-site' })).status, 403);
    assert.equal((await post(token, '', { origin: 'https://evil.example' })).status, 403);
    assert.equal((await post(token, '', { origin: 'null' })).status, 403);
    const json = await fetch(`${p.served.url}/decide`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token }),
    });
    assert.equal(json.status, 415);
    assert.equal(await status(d.runId), 'awaiting_approval');
    // The link was not spent by any of those.
    assert.equal((await post(token)).status, 200);
  });

  it('answers an escalation through its answer link', async () => {
    const d = await p.pause(p.asker);
    const { links } = await p.mail(d);
    assert.deepEqual(Object.keys(links), ['answer']);
    const res = await post(tokenOf(links.answer!), 'yes, refund it');
    assert.equal(res.status, 200);
    const done = await waitForStatus(d.runId, p.drafter.dataDir, p.drafter.dir, 'succeeded');
    const e = (done.escalationRecords as { answeredBy: string; answer: string }[])[0]!;
    assert.deepEqual([e.answeredBy, e.answer], ['alice', 'yes, refund it']);
  });

  it('will not mail an address that is no configured person’s (not retryable)', async () => {
    const d = await p.pause(p.drafter);
    await assert.rejects(
      p.mail(d, 'someone@example.test'),
      (err: Error & { code?: string; retryable?: boolean }) => {
        assert.equal(err.code, 'NOTIFICATION_FAILED');
        assert.equal(err.retryable, false);
        return true;
      },
    );
  });

  it('a store failure shows a page that names no file, SQL or table (GET and POST), nothing decided', async () => {
    const d = await p.pause(p.drafter);
    const { links } = await p.mail(d);
    const restore = hideTable(p.drafter.dataDir, 'approvals');
    try {
      const shown = await fetch(links.approve!);
      const posted = await post(tokenOf(links.approve!));
      for (const res of [shown, posted]) {
        assert.equal(res.status, 500);
        const html = await res.text();
        assert.match(html, /the server could not take the decision/);
        assertNoInternals(html, p.drafter.dataDir);
      }
    } finally {
      restore();
    }
    assert.equal(await status(d.runId), 'awaiting_approval');
    // The failed POST gave its link back: the person who saw "could not take the decision" and sends the
    // form again once the store is back is decided for, not told the link was already used.
    const retried = await post(tokenOf(links.approve!));
    assert.equal(retried.status, 200, await retried.clone().text());
    assert.match(await retried.text(), /Approved by alice/);
    await waitForStatus(d.runId, p.drafter.dataDir, p.drafter.dir, 'succeeded');
    const again = await post(tokenOf(links.approve!));
    assert.equal(again.status, 410, 'a decided link stays spent');
  });
});
