// A fake Slack on loopback that speaks the real wire protocol: the Web API methods nightshift calls
// (chat.postMessage, views.open: bearer token checked, answered `{ ok, ... }` as Slack does), an incoming
// webhook, and interaction response URLs (recorded). It also plays Slack's side of interactivity: it builds
// block_actions and view_submission payloads from the messages and modals it received and POSTs them,
// form-encoded and signed with the app's signing secret (v0), to serve's request URL.
import { createHmac } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SlackCall {
  method: string;
  body: Record<string, unknown>;
}

interface Button {
  action_id: string;
  value: string;
}

export interface FakeSlack {
  url: string;
  apiUrl: string;
  webhookUrl: string;
  /** chat.postMessage and views.open calls that carried the right token. */
  calls: SlackCall[];
  /** Bodies posted to the incoming webhook. */
  webhookPosts: Record<string, unknown>[];
  /** Bodies posted to response URLs. */
  responses: Record<string, unknown>[];
  /** Requests refused for a missing or wrong token. */
  refusedAuth: number;
  messages(): Record<string, unknown>[];
  /** Signs and POSTs a click on `actionId` in `message` by `userId` to `requestUrl`; returns the status. */
  click(o: ClickOptions): Promise<{ status: number; body: string }>;
  /** The last signed request sent to serve, for a replay test. */
  readonly lastRequest: SignedRequest | undefined;
  /** Submits the last opened modal with `text` as `userId`. */
  submitModal(o: SubmitOptions): Promise<{ status: number; body: Record<string, unknown> }>;
  close(): Promise<void>;
}

export interface Delivery {
  /** Change what is sent, to test refusals: a stale timestamp, a wrong secret, a replay of an earlier one. */
  timestamp?: number;
  secret?: string;
  replay?: { body: string; headers: Record<string, string> };
}

export interface ClickOptions extends Delivery {
  requestUrl: string;
  message: Record<string, unknown>;
  actionId: string;
  userId: string;
  /** The payload's response_url (default one on this fake Slack, whose posts `responses` records). */
  responseUrl?: string;
}

export interface SubmitOptions extends Delivery {
  requestUrl: string;
  userId: string;
  text: string;
}

export interface SignedRequest {
  body: string;
  headers: Record<string, string>;
}

export function signSlack(body: string, secret: string, timestamp = Math.floor(Date.now() / 1000)) {
  const sig = createHmac('sha256', secret).update(`v0:${timestamp}:${body}`).digest('hex');
  return {
    'content-type': 'application/x-www-form-urlencoded',
    'x-slack-request-timestamp': String(timestamp),
    'x-slack-signature': `v0=${sig}`,
  };
}

function buttons(message: Record<string, unknown>): Button[] {
  const blocks = (message.blocks ?? []) as { type: string; elements?: Button[] }[];
  return blocks.filter((b) => b.type === 'actions').flatMap((b) => b.elements ?? []);
}

/** Slack's Block Kit limits that a message can break: a section's text 3,000, a field 2,000 characters. */
function blocksFit(blocks: unknown): boolean {
  const list = (Array.isArray(blocks) ? blocks : []) as {
    type: string;
    text?: { text?: string };
    fields?: { text?: string }[];
  }[];
  return list.every(
    (b) =>
      b.type !== 'section' ||
      ((b.text?.text ?? '').length <= 3000 && (b.fields ?? []).every((f) => (f.text ?? '').length <= 2000)),
  );
}

export async function startFakeSlack(o: { token: string; signingSecret: string }): Promise<FakeSlack> {
  const calls: SlackCall[] = [];
  const webhookPosts: Record<string, unknown>[] = [];
  const responses: Record<string, unknown>[] = [];
  let refusedAuth = 0;
  let ts = 1_700_000_000;
  let triggers = 0;
  const server: Server = createServer((req, res) => {
    let raw = '';
    req.on('data', (c) => {
      raw += c;
    });
    req.on('end', () => {
      const body = raw ? (JSON.parse(raw) as Record<string, unknown>) : {};
      const path = req.url ?? '/';
      const answer = (status: number, value: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
        res.end(JSON.stringify(value));
      };
      if (path === '/webhook') {
        webhookPosts.push(body);
        res.writeHead(200, { 'content-type': 'text/plain' });
        return res.end('ok');
      }
      // Slack's own origin sending the POST on elsewhere: a daemon that followed it would post there.
      if (path.startsWith('/redirect?to=')) {
        res.writeHead(307, { location: decodeURIComponent(path.slice('/redirect?to='.length)) });
        return res.end();
      }
      if (path.startsWith('/respond/')) {
        responses.push(body);
        return answer(200, { ok: true });
      }
      const method = path.replace(/^\/api\//, '');
      // Slack answers HTTP 200 with ok:false for a bad token.
      if (req.headers.authorization !== `Bearer ${o.token}`) {
        refusedAuth++;
        return answer(200, { ok: false, error: 'invalid_auth' });
      }
      calls.push({ method, body });
      if (method === 'chat.postMessage') {
        if (typeof body.channel !== 'string') return answer(200, { ok: false, error: 'channel_not_found' });
        if (!blocksFit(body.blocks)) return answer(200, { ok: false, error: 'invalid_blocks' });
        if (String(body.text ?? '').length > 40_000) return answer(200, { ok: false, error: 'msg_too_long' });
        ts++;
        return answer(200, { ok: true, channel: body.channel, ts: `${ts}.000100`, message: body });
      }
      if (method === 'views.open') {
        if (typeof body.trigger_id !== 'string')
          return answer(200, { ok: false, error: 'invalid_trigger_id' });
        return answer(200, { ok: true, view: { id: `V${calls.length}`, ...(body.view as object) } });
      }
      answer(200, { ok: false, error: 'unknown_method' });
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  let last: SignedRequest | undefined;
  async function deliver(requestUrl: string, payload: unknown, d: Delivery) {
    const req: SignedRequest = d.replay ?? {
      body: new URLSearchParams({ payload: JSON.stringify(payload) }).toString(),
      headers: {},
    };
    if (!d.replay) req.headers = signSlack(req.body, d.secret ?? o.signingSecret, d.timestamp);
    last = req;
    const res = await fetch(requestUrl, { method: 'POST', headers: req.headers, body: req.body });
    return { status: res.status, body: await res.text() };
  }

  return {
    url,
    apiUrl: `${url}/api`,
    webhookUrl: `${url}/webhook`,
    calls,
    webhookPosts,
    responses,
    get refusedAuth() {
      return refusedAuth;
    },
    messages: () => calls.filter((c) => c.method === 'chat.postMessage').map((c) => c.body),
    async click(c) {
      const button = buttons(c.message).find((b) => b.action_id === c.actionId);
      if (!button) throw new Error(`no button ${c.actionId} in the message`);
      const payload = {
        type: 'block_actions',
        user: { id: c.userId, username: c.userId, team_id: 'T1' },
        api_app_id: 'A1',
        trigger_id: `trigger-${++triggers}`,
        response_url: c.responseUrl ?? `${url}/respond/${triggers}`,
        container: { type: 'message', channel_id: c.message.channel },
        actions: [{ type: 'button', action_id: button.action_id, value: button.value, action_ts: '1' }],
      };
      return deliver(c.requestUrl, payload, c);
    },
    async submitModal(s) {
      const opened = [...calls].reverse().find((c) => c.method === 'views.open');
      if (!opened) throw new Error('no modal was opened');
      const view = opened.body.view as {
        callback_id: string;
        private_metadata: string;
        blocks: { block_id: string; element: { action_id: string } }[];
      };
      const input = view.blocks[0]!;
      const payload = {
        type: 'view_submission',
        user: { id: s.userId },
        view: {
          id: 'V1',
          callback_id: view.callback_id,
          private_metadata: view.private_metadata,
          state: {
            values: {
              [input.block_id]: { [input.element.action_id]: { type: 'plain_text_input', value: s.text } },
            },
          },
        },
      };
      const out = await deliver(s.requestUrl, payload, s);
      return { status: out.status, body: out.body ? (JSON.parse(out.body) as Record<string, unknown>) : {} };
    },
    close: () => new Promise<void>((r) => server.close(() => r())),
    get lastRequest() {
      return last;
    },
  };
}
