// The web console's routes under /console (docs/console.md, decision 036): server-rendered pages over the
// same runtime functions the CLI uses (inbox, list, get, agents, stats; approve, reject, answer), behind
// the browser session of src/auth. Every error is a page that says what happened; a decision is checked
// (same-origin form, CSRF token, the person allowed for the role) before anything is written.
import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  authErrorAnswer,
  CSRF_FIELD,
  type Principal,
  pageHeaders,
  requireDecideFor,
  requireFormCsrf,
} from '../auth/index.js';
import { isNightshiftError, NightshiftError } from '../errors.js';
import { valueForMessage } from '../message-text.js';
import { ApiError, httpErrorCode } from '../server/api/errors.js';
import { refusalStatus } from '../server/channel-doors.js';
import { HttpError, pathForMessage, requestUrl } from '../server/http-body.js';
import { readForm, requireOwnPage } from '../server/login-routes.js';
import type { Route } from '../server/router.js';
import type { ConsoleContext } from './context.js';
import { inboxBody } from './inbox.js';
import { agentsBody, statsBody } from './overview.js';
import { sendConsolePage, sendErrorPage } from './page.js';
import { runBody, runsBody, snapshotOf, timeline } from './runs.js';

/** The package's console files (assets/console/), next to dist/ in the installed package. */
const ASSETS = new URL('../../../assets/console/', import.meta.url);
const ASSET_TYPES: Record<string, string> = {
  'console.css': 'text/css; charset=utf-8',
  'console.js': 'text/javascript; charset=utf-8',
};

function statusOf(err: unknown): { status: number; code: string; message: string } | undefined {
  // The same stable code the API answers for that status (a page that is not there: NOT_FOUND).
  if (err instanceof HttpError)
    return { status: err.status, code: httpErrorCode(err.status), message: err.message };
  // The API's refusals the console shares (a runs-list cursor that is not one: 400 CURSOR_INVALID; a query
  // parameter given twice or not taken: 400 BAD_REQUEST).
  if (err instanceof ApiError) return { status: err.status, code: err.code, message: err.message };
  if (!isNightshiftError(err)) return undefined;
  const auth = authErrorAnswer(err);
  if (auth) return { status: auth.status, code: err.code, message: err.message };
  const status =
    err.code === 'RUN_NOT_FOUND' ? 404 : err.code === 'INPUT_INVALID' ? 400 : refusalStatus(err.code);
  return status === 500 ? undefined : { status, code: err.code, message: err.message };
}

/**
 * The query of a page, read as the API reads one (server/api/index.ts): a parameter given twice is a 400
 * rather than one silently picked, and so is one the page does not take (`takes`), rather than ignored.
 * Checked after the session, so a browser without one is still sent to /login.
 */
function pageQuery(req: IncomingMessage, takes: readonly string[] = []): URLSearchParams {
  const query = requestUrl(req).searchParams;
  const seen = new Set<string>();
  for (const name of query.keys()) {
    if (seen.has(name))
      throw new ApiError(400, 'BAD_REQUEST', `query parameter ${valueForMessage(name)} given more than once`);
    seen.add(name);
    if (!takes.includes(name))
      throw new ApiError(
        400,
        'BAD_REQUEST',
        `unknown query parameter ${valueForMessage(name)}: ${takes.length ? `this page takes ${takes.join(', ')}` : 'this page takes none'}`,
      );
  }
  return query;
}

type Page = (req: IncomingMessage, res: ServerResponse, segments: string[]) => Promise<void>;

/** A console route: its errors answered as pages (a GET without a session goes to the login form). */
function page(method: Route['method'], path: RegExp, handle: Page): Route {
  return {
    method,
    path,
    async handle(req, res, segments) {
      try {
        await handle(req, res, segments);
      } catch (err) {
        const refused = statusOf(err);
        if (!refused) throw err; // the daemon's handler logs it and answers 500
        if (refused.status === 401 && method === 'GET') {
          res.writeHead(303, { location: '/login', 'cache-control': 'no-store' });
          res.end();
          return;
        }
        if (!req.readableEnded) res.setHeader('connection', 'close');
        sendErrorPage(res, refused.status, refused.code, refused.message);
      }
    },
  };
}

const TEXT_FIELD = { approve: 'note', reject: 'reason', answer: 'text' } as const;

export function consoleRoutes(o: ConsoleContext): Route[] {
  const reader = (req: IncomingMessage): Promise<Principal> =>
    o.auth.authenticate(req, { scope: 'runs:read' });

  return [
    {
      method: 'GET',
      path: /^\/console$/,
      handle(_req, res) {
        res.writeHead(308, { location: '/console/' });
        res.end();
      },
    },
    page('GET', /^\/console\/assets\/([a-z.]+)$/, async (_req, res, [name]) => {
      const type = ASSET_TYPES[name!];
      if (!type) throw new HttpError(404, `no console file ${name}`);
      const body = await readFile(new URL(name!, ASSETS));
      // Public and the same for everyone: cacheable, unlike the pages.
      res.writeHead(200, {
        'content-type': type,
        ...pageHeaders(),
        'cache-control': 'public, max-age=300',
      });
      res.end(body);
    }),
    page('GET', /^\/console\/$/, async (req, res) => {
      const who = await reader(req);
      pageQuery(req);
      const inbox = await o.runtime.inbox();
      sendConsolePage(res, 'Inbox', who, await inboxBody(o, who, inbox));
    }),
    page('GET', /^\/console\/runs$/, async (req, res) => {
      const who = await reader(req);
      sendConsolePage(res, 'Runs', who, await runsBody(o, pageQuery(req, ['role', 'status', 'cursor'])));
    }),
    page('GET', /^\/console\/runs\/([^/]+)$/, async (req, res, [id]) => {
      const who = await reader(req);
      pageQuery(req);
      const s = await snapshotOf(o, id!);
      sendConsolePage(res, `Run ${s.run.id}`, who, await runBody(o, s));
    }),
    page('GET', /^\/console\/runs\/([^/]+)\/timeline$/, async (req, res, [id]) => {
      await reader(req);
      pageQuery(req);
      const s = await snapshotOf(o, id!);
      // A fragment for console.js: the same headers as a page, no shell.
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', ...pageHeaders() });
      res.end(`<!doctype html><body>${timeline(s).html}</body>`);
    }),
    page('GET', /^\/console\/agents$/, async (req, res) => {
      const who = await reader(req);
      pageQuery(req);
      sendConsolePage(res, 'Continuous agents and the queue', who, await agentsBody(o));
    }),
    page('GET', /^\/console\/stats$/, async (req, res) => {
      const who = await reader(req);
      sendConsolePage(res, 'Stats per role', who, await statsBody(o, pageQuery(req, ['range'])));
    }),
    page('POST', /^\/console\/decide\/(approve|reject|answer)\/([^/]+)$/, async (req, res, [a, id]) => {
      const action = a as keyof typeof TEXT_FIELD;
      // Headers, then the session (401/403 without reading a byte of the body), then the form and the
      // session's CSRF token in it: an anonymous client cannot make the daemon read 64 KiB.
      const formOptions = { publicOrigin: o.publicOrigin };
      requireOwnPage(req, formOptions);
      const who = await o.auth.authenticate(req, { csrfAfterForm: true });
      const form = await readForm(req, formOptions);
      requireFormCsrf(who, form.get(CSRF_FIELD) ?? '');
      const matter =
        action === 'answer'
          ? await o.runtime.store.getEscalation(id!)
          : await o.runtime.store.getApproval(id!);
      if (!matter)
        throw new NightshiftError(
          action === 'answer' ? 'ESCALATION_NOT_FOUND' : 'APPROVAL_NOT_FOUND',
          `there is no ${action === 'answer' ? 'escalation' : 'approval'} ${id}`,
        );
      // Before anything is written: a person not allowed for this role is refused here (403).
      requireDecideFor(who, matter.role, o.auth.people);
      const text = (form.get(TEXT_FIELD[action]) ?? '').trim();
      if (action !== 'approve' && text === '')
        throw new NightshiftError(
          'USAGE',
          `${action === 'reject' ? 'a rejection needs a reason' : 'an answer needs text'}: go back and fill in the form; nothing was changed`,
        );
      if (text.length > 3000)
        throw new NightshiftError('USAGE', 'the text is longer than 3000 characters; nothing was changed');
      const by = who.name;
      const result =
        action === 'approve'
          ? await o.runtime.approve(id!, { by, drive: 'queue', ...(text ? { note: text } : {}) })
          : action === 'reject'
            ? await o.runtime.reject(id!, { by, reason: text, drive: 'queue' })
            : await o.runtime.answer(id!, text, { by, drive: 'queue' });
      o.wake();
      o.log.info(
        { [`${action === 'answer' ? 'escalation' : 'approval'}Id`]: id, by, runId: result.runId },
        `console ${action}`,
      );
      res.writeHead(303, { location: `/console/runs/${result.runId}`, 'cache-control': 'no-store' });
      res.end();
    }),
    // Last: any other console address is a 404 page (after the session check), not the daemon's JSON 404.
    page('GET', /^\/console\/.+$/, async (req) => {
      await reader(req);
      throw new HttpError(404, `there is no console page ${pathForMessage(requestUrl(req).pathname)}`);
    }),
    // Any other method or a POST to an address that takes none (`/console/decide/bogus/x`): a 404 page too.
    // The session is checked, its CSRF token is not: nothing here changes anything, and a browser's form
    // carries the token in its body, which is never read here (the header check would call a form that
    // did send it "without its CSRF token").
    page('*', /^\/console\/.+$/, async (req) => {
      await o.auth.authenticate(req, { scope: 'runs:read', csrfAfterForm: true });
      throw new HttpError(
        404,
        `there is no console page ${req.method} ${pathForMessage(requestUrl(req).pathname)}`,
      );
    }),
  ];
}
