// The email confirm page shows a drafted call as it is stored: a model's U+202E in `invoice\u202Efdp.exe`
// would otherwise show the person confirming the emailed decision `invoiceexe.pdf`. The console writes
// such characters out (console-hostile); the confirm page shares its escaping (server/escape-html.ts).
// fs.write already refuses such a path (tools/file-names.ts), so the name is in the drafted content.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type EmailProject, startEmailProject } from './email-project.js';

describe('the email confirm page and bidi controls', () => {
  let p: EmailProject;
  before(async () => {
    p = await startEmailProject({
      drafts: { path: 'mail.txt', content: 'attach invoice\u202Efdp.exe, pay \u2066me\u2069' },
    });
  });
  after(async () => {
    await p.close();
  });

  it('writes out U+202E (and the isolates) in the drafted call it shows, instead of reordering the text', async () => {
    const d = await p.pause(p.drafter);
    const { links } = await p.mail(d);
    const res = await fetch(links.approve!);
    assert.equal(res.status, 200);
    const html = await res.text();
    assert.match(html, /invoice\\u202efdp\.exe/);
    assert.match(html, /pay \\u2066me\\u2069/);
    assert.doesNotMatch(
      html,
      /[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/,
      'no bidi control reaches the page',
    );
  });
});
