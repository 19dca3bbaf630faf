// The email links' confirm page. GET /decide/<token> shows what will be decided, by whom, and a form; it
// never decides (mail scanners and link previews open links). POST /decide, from that form (the token in
// the body, a same-origin form post), spends the link and decides. A forged, expired or already used link,
// a person who may not decide, or a decision already taken is refused with nothing changed.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isNightshiftError, NightshiftError } from '../errors.js';
import { applyDecision, checkDecider } from '../notifications/apply-decision.js';
import {
  type DecisionLink,
  linkSecretProblem,
  spentLinkKey,
  verifyDecisionLink,
} from '../notifications/decision-links.js';
import { personByName } from '../notifications/people.js';
import type { PersonSpec } from '../notifications/settings.js';
import { secretNameForMessage } from '../secret-name.js';
import type { ApprovalRecord, EscalationRecord } from '../store/types.js';
import {
  type ChannelDoors,
  decisionDeps,
  failedOnServer,
  refusalStatus,
  SERVER_FAILURE_TEXT,
} from './channel-doors.js';
import { confirmPage, messagePage, sendPage } from './decision-page-html.js';
import { HttpError, MAX_FORM, readBody } from './http-body.js';
import { requireOwnPage } from './login-routes.js';
import type { Route } from './router.js';
import { storeFailureAnswer } from './store-outage.js';

/** Spent links are remembered until they expire, plus this much (their expiry refuses them after that). */
const SPENT_MARGIN_MS = 10 * 60_000;

interface Opened {
  link: DecisionLink;
  person: PersonSpec;
  record: ApprovalRecord | EscalationRecord;
}

function linkSecret(doors: ChannelDoors): string {
  const name = doors.settings.email!.linkSecret;
  const secret = doors.secrets.get(name);
  if (!secret)
    throw new HttpError(503, `the link secret ${secretNameForMessage(name)} is not set on this worker`);
  // Like an unset one: this worker cannot check links until the setting is fixed (said at start).
  const short = linkSecretProblem(name, secret);
  if (short) throw new HttpError(503, short);
  return secret;
}

/** Verifies the token and checks the person and the decision; writes nothing. */
async function open(doors: ChannelDoors, token: string, now: number): Promise<Opened> {
  const link = verifyDecisionLink(token, linkSecret(doors), now);
  const person = personByName(doors.people, link.person);
  if (!person)
    throw new NightshiftError('DECISION_REFUSED', `${link.person} is no longer a configured person`);
  await checkDecider(doors.runtime.store, link.kind, link.id, person);
  const store = doors.runtime.store;
  const record =
    link.kind === 'approval' ? await store.getApproval(link.id) : await store.getEscalation(link.id);
  if (record?.status !== 'pending') {
    const by = record && ('decidedBy' in record ? record.decidedBy : record.answeredBy);
    throw new NightshiftError(
      link.kind === 'approval' ? 'APPROVAL_NOT_PENDING' : 'ESCALATION_NOT_PENDING',
      `this ${link.kind} is already ${record?.status ?? 'gone'}${by ? ` by ${by}` : ''}`,
    );
  }
  return { link, person, record };
}

function details(record: ApprovalRecord | EscalationRecord): string {
  if ('calls' in record)
    return record.calls
      .map((c) => `${c.tool} (${c.effect})\n${JSON.stringify(c.args, null, 2)}\nwhy: ${c.reason}`)
      .join('\n\n');
  return [
    record.missing ? `Missing: ${record.missing}` : '',
    `Source: ${record.source}`,
    JSON.stringify(record.context, null, 2),
  ]
    .filter(Boolean)
    .join('\n');
}

function refusal(doors: ChannelDoors, res: ServerResponse, err: unknown): void {
  if (err instanceof HttpError && (err.status < 500 || err.status === 503)) {
    sendPage(res, err.status, 'Not decided', messagePage(`Nothing was decided: ${err.message}`, true));
    return;
  }
  if (err instanceof HttpError || (isNightshiftError(err) && failedOnServer(err))) {
    // The server's own failure (a store error names a file path, SQL or a host): the detail goes to the
    // (redacting) log, the person gets a generic page; a store outage keeps its 503/507.
    doors.log.error({ err: (err as Error).message }, 'decision page failed');
    const status = storeFailureAnswer(err)?.status ?? 500;
    sendPage(res, status, 'Not decided', messagePage(`Nothing was decided: ${SERVER_FAILURE_TEXT}`, true));
    return;
  }
  if (!isNightshiftError(err)) throw err;
  const status =
    err.code === 'DECISION_REFUSED' && /expired|used/.test(err.message) ? 410 : refusalStatus(err.code);
  sendPage(res, status, 'Not decided', messagePage(`Nothing was decided: ${err.message}`, true));
}

/** Whether a decision failed on the server's side (not a refusal of the person, the link or the matter). */
function failedOnOurSide(err: unknown): boolean {
  if (err instanceof HttpError) return err.status >= 500;
  return !isNightshiftError(err) || failedOnServer(err);
}

/** A browser's form post from this server's own page; anything cross-site is refused. */
function checkSameOrigin(doors: ChannelDoors, req: IncomingMessage): void {
  // The same rule as the console's and login forms (login-routes.ts): a sibling site (`same-site`) is
  // another site too, and without a publicUrl the Origin must be the host the request names.
  const publicUrl = doors.settings.publicUrl;
  requireOwnPage(req, { publicOrigin: publicUrl ? new URL(publicUrl).origin : undefined });
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/x-www-form-urlencoded')
    throw new HttpError(415, 'post the confirm page form (application/x-www-form-urlencoded)');
}

export function decisionPageRoutes(doors: ChannelDoors): Route[] {
  return [
    {
      method: 'GET',
      path: /^\/decide\/([^/]+)$/,
      async handle(_req, res, [token]) {
        try {
          const { link, person, record } = await open(doors, token!, Date.now());
          const facts: [string, string][] = [
            ['Role', record.role],
            ['Category', 'category' in record ? record.category : 'approval'],
            ...('reason' in record ? [['Reason', record.reason] as [string, string]] : []),
            ['Run', record.runId],
          ];
          const title =
            'calls' in record
              ? `${link.action === 'approve' ? 'Approve' : 'Reject'} a change set of ${record.role}`
              : `Answer an escalation (${record.category}) of ${record.role}`;
          sendPage(
            res,
            200,
            title,
            confirmPage({
              title,
              action: link.action,
              person: person.name,
              facts,
              details: details(record),
              token: token!,
              expiresAt: link.expiresAt,
            }),
          );
        } catch (err) {
          refusal(doors, res, err);
        }
      },
    },
    {
      method: 'POST',
      path: /^\/decide$/,
      async handle(req, res) {
        try {
          checkSameOrigin(doors, req);
          const form = new URLSearchParams((await readBody(req, MAX_FORM)).toString('utf8'));
          const token = form.get('token') ?? '';
          const text = (form.get('text') ?? '').trim();
          const now = Date.now();
          const link = verifyDecisionLink(token, linkSecret(doors), now);
          if (link.action !== 'approve' && text === '')
            throw new NightshiftError(
              'USAGE',
              `${link.action === 'reject' ? 'a rejection needs a reason' : 'an answer needs text'}: go back and fill in the form`,
            );
          // Spent before anything else is looked at: two posts of the same form race here, and only one
          // gets past; a link refused below (the person, the matter) stays spent: it was good for this one
          // decision only.
          const fresh = await doors.runtime.store.rememberSignature(
            spentLinkKey(token),
            link.expiresAt,
            now - SPENT_MARGIN_MS,
          );
          if (!fresh) throw new NightshiftError('DECISION_REFUSED', 'this link was already used');
          let out: Awaited<ReturnType<typeof applyDecision>>;
          let person: PersonSpec;
          try {
            person = (await open(doors, token, now)).person;
            out = await applyDecision(decisionDeps(doors), { ...link, person, text });
          } catch (err) {
            // A failure on our side (the store unavailable) gives the link back: the person told "the
            // server could not take the decision" who sends the form again is decided for, not told the
            // link was used. Given back even when the store cannot say whether the decision was saved
            // before the failure: the spent link is not what stops a second decision (the matter's pending
            // check is), so such a retry meets the decided matter (409 "already approved by alice").
            if (failedOnOurSide(err))
              await doors.runtime.store
                .forgetSignature(spentLinkKey(token))
                .catch((e: unknown) =>
                  doors.log.error(
                    { [`${link.kind}Id`]: link.id, err: (e as Error).message },
                    'email decision failed and its link could not be given back: a retry will be refused as used',
                  ),
                );
            throw err;
          }
          doors.wake();
          doors.log.info(
            { [`${link.kind}Id`]: link.id, by: person.name, runId: out.runId },
            'email decision',
          );
          const done = { approve: 'Approved', reject: 'Rejected', answer: 'Answered' }[link.action];
          sendPage(
            res,
            200,
            `${done}`,
            messagePage(`${done} by ${person.name}. The run continues (${out.runId}).`),
          );
        } catch (err) {
          refusal(doors, res, err);
        }
      },
    },
  ];
}
