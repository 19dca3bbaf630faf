// POST /decisions/<approval|escalation>/<id>: a decision answered back over the webhook channel. The body
// is signed with the decisions secret over the path and the body (x-nightshift-signature v2, decision 047:
// a v1 over the body only could be replayed to another matter), a signature is good once (replays refused), and the decision goes through the same approve/reject/answer as the CLI,
// so the person is checked (people: in nightshift.config.yaml) before anything changes.
// Or, instead of the signature, a person's token with the `decide` scope (Authorization: Bearer): then the
// person is the token's, and a `person` in the body must name them (decision 030).
import type { Logger } from 'pino';
import { z } from 'zod';
import { checkActor } from '../approvals/actor.js';
import { type Authenticator, type Principal, requireDecideFor } from '../auth/index.js';
import { isNightshiftError, NightshiftError } from '../errors.js';
import { idNotFound } from '../id-kinds.js';
import { DECISIONS_SECRET_ENV, decisionsSecretFromEnv } from '../notifications/webhook-channel.js';
import type { Runtime } from '../runtime.js';
import { apiErrorAnswer } from './api/errors.js';
import { apiDoor } from './api/not-found.js';
import { HttpError, parseJson, readBody } from './http-body.js';
import { type Route, send } from './router.js';
import { acceptSignedOnce, decisionRecorded, type SpentSignature } from './signed-once.js';
import {
  DECISIONS_ACCEPT_V1_ENV,
  REPLAY_WINDOW_SECONDS,
  verifyDecisionSignature,
} from './webhook-signature.js';

const Answer = z.strictObject({
  decision: z.enum(['approve', 'reject', 'answer']),
  /** A configured person's name (people: in nightshift.config.yaml); with a token, the token's person. */
  person: z.string().min(1).max(120).optional(),
  /** approve: a note; reject: the reason (required); answer: the answer (required). */
  text: z.string().max(10_000).optional(),
  /** answer only: let the held call run once. */
  allowCall: z.boolean().optional(),
});

/** The HTTP status a refused decision answers with. */
const STATUS: Record<string, number> = {
  PERSON_NOT_ALLOWED: 403,
  ACTOR_INVALID: 400,
  USAGE: 400,
  APPROVAL_NOT_FOUND: 404,
  ESCALATION_NOT_FOUND: 404,
  RUN_NOT_FOUND: 404,
  APPROVAL_NOT_PENDING: 409,
  ESCALATION_NOT_PENDING: 409,
  APPROVAL_MISMATCH: 409,
  RUN_LEASED: 409,
  STORE_CONFLICT: 409,
};

export function decisionRoute(o: {
  runtime: Runtime;
  env: NodeJS.ProcessEnv;
  log: Logger;
  auth: Authenticator;
}): Route {
  /**
   * The signed path: the webhook channel's answer, its signature checked (401 otherwise). `spend` then
   * makes it good once; called only once the answer is a decision the body can make, so a refused body
   * (400) leaves its signature unspent.
   */
  async function verified(
    req: Parameters<Route['handle']>[0],
    kind: string,
    id: string,
  ): Promise<{ body: Buffer; spend: () => Promise<SpentSignature> }> {
    // A short one is refused at serve's start; should it be set short some other way, no answer is taken.
    let secret: string | undefined;
    try {
      secret = decisionsSecretFromEnv(o.env);
    } catch (err) {
      throw new HttpError(503, (err as Error).message);
    }
    if (!secret) throw new HttpError(503, `${DECISIONS_SECRET_ENV} is not set on this server`);
    const body = await readBody(req);
    const now = Date.now();
    // The path as the notification's answerPath gives it (the id percent-encoded there), so the string
    // signed does not depend on how the sender's HTTP client escapes the request line.
    const path = `/decisions/${kind}/${encodeURIComponent(id)}`;
    const check = verifyDecisionSignature(
      req.headers['x-nightshift-signature'] as string | undefined,
      body,
      secret,
      now,
      path,
      o.env[DECISIONS_ACCEPT_V1_ENV] === '1',
    );
    if (check.ok && check.version === 'v1')
      o.log.warn(
        { kind, id },
        `decision signed v1 (body only, replayable to another ${kind}): accepted because ${DECISIONS_ACCEPT_V1_ENV}=1; sign v2`,
      );
    const accept = async () => {
      const spent = await acceptSignedOnce({
        check,
        store: o.runtime.store,
        prefix: '',
        nowMs: now,
        windowSeconds: REPLAY_WINDOW_SECONDS,
        log: o.log,
        what: 'decision',
        fields: { kind, id },
      });
      return spent;
    };
    // The v1 beside a v2 that verified is spent at once, whatever becomes of the answer: that header less
    // its v2 is a v1 for any matter of the kind, and a body refused here (400, e.g. an approve sent to an
    // escalation) may be one that another matter's path takes. Its v2 is not spent by this (a refused or
    // failed answer's v2 can still be sent again), and a v2 is never checked against a remembered v1.
    if (check.ok && check.alsoSpends)
      await o.runtime.store.rememberSignature(check.alsoSpends, now, now - 2 * REPLAY_WINDOW_SECONDS * 1000);
    // A bad signature is refused before the body is looked at (nothing is said about it to a stranger).
    if (!check.ok) await accept();
    return { body, spend: accept };
  }

  return {
    method: 'POST',
    path: /^\/decisions\/(approval|escalation)\/([^/]+)$/,
    async handle(req, res, [kind, id]) {
      // A bearer token replaces the signature; without one the signature is required, as before.
      let who: Principal | undefined;
      if (req.headers.authorization !== undefined) {
        who = await o.auth.authenticate(req, { scope: 'decide' });
        // The person must be allowed for the matter's role before a byte of the body is read.
        await requireDecideForMatter(o.runtime, who, o.auth, kind!, id!);
      }
      const signed = who ? undefined : await verified(req, kind!, id!);
      const body = signed ? signed.body : await readBody(req);
      const parsed = Answer.safeParse(parseJson(body));
      if (!parsed.success)
        throw new HttpError(
          400,
          `decision body: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`).join('; ')}`,
        );
      const a = parsed.data;
      if (who && a.person !== undefined && a.person !== who.name)
        throw new NightshiftError(
          'AUTH_FORBIDDEN',
          `the token is ${who.name}'s: it cannot decide as ${a.person} (leave person out, or send that person's token); nothing was changed`,
        );
      const person = who?.name ?? a.person;
      if (person === undefined || person.trim() === '')
        throw new HttpError(400, 'decision body: person: required with a signature');
      try {
        checkActor(person);
      } catch (err) {
        // A name nightshift keeps for itself or for agents: the body's fault, refused before it is spent.
        if (isNightshiftError(err) && err.code === 'ACTOR_INVALID')
          return send(res, 400, { error: { code: err.code, message: err.message } });
        throw err;
      }
      if ((kind === 'approval') !== (a.decision !== 'answer'))
        throw new HttpError(
          400,
          `${kind === 'approval' ? 'an approval' : 'an escalation'} is decided with ${kind === 'approval' ? 'approve or reject' : 'answer'}, not ${a.decision}`,
        );
      // Checked here, not left to reject/answer: their refusal names the CLI's flag, and a refused body
      // must not spend the signature.
      if (a.decision !== 'approve' && !a.text?.trim())
        throw new HttpError(
          400,
          `decision body: text: required to ${a.decision} (${a.decision === 'reject' ? 'the reason the agent is told' : 'the answer'})`,
        );
      // Spent only now, by an answer the body can make: a body refused (400) leaves it unspent, so the same
      // request again is told what is wrong, not that it is a replay. Spending is one atomic insert, so of
      // two identical answers at once only one gets past.
      const spent = signed ? await signed.spend() : undefined;
      try {
        const result =
          a.decision === 'approve'
            ? await o.runtime.approve(id!, {
                by: person,
                drive: 'queue',
                ...(a.text ? { note: a.text } : {}),
              })
            : a.decision === 'reject'
              ? await o.runtime.reject(id!, { by: person, reason: a.text ?? '', drive: 'queue' })
              : await o.runtime.answer(id!, a.text ?? '', {
                  by: person,
                  allowCall: a.allowCall === true,
                  drive: 'queue',
                });
        o.log.info({ kind, id, decision: a.decision, by: person, runId: result.runId }, 'decision applied');
        send(res, 200, { decision: a.decision, by: person, run: result });
      } catch (err) {
        if (isNightshiftError(err) && STATUS[err.code] !== undefined) {
          o.log.warn({ kind, id, by: person, code: err.code }, 'decision refused');
          return send(res, STATUS[err.code]!, {
            error: { code: err.code, message: overHttp(err, kind as 'approval' | 'escalation', id!) },
          });
        }
        // Failed on our side (a 5xx): the sender's retry must not be refused as a replay, unless the
        // decision was saved before the failure. A refusal answered 4xx keeps the signature spent.
        const answered = apiErrorAnswer(err);
        if (answered === undefined || answered.status >= 500)
          await spent?.release(decisionRecorded(o.runtime.store, kind!, id!));
        throw err;
      }
    },
  };
}

/**
 * A refusal's message in this door's words: an unknown matter says where the pending ones are listed over
 * HTTP (`GET /api/v1/inbox`), not the CLI's `nightshift inbox`.
 */
function overHttp(err: NightshiftError, kind: 'approval' | 'escalation', id: string): string {
  if (err.code !== 'APPROVAL_NOT_FOUND' && err.code !== 'ESCALATION_NOT_FOUND') return err.message;
  try {
    return idNotFound(id, kind, apiDoor).message;
  } catch (other) {
    return (other as Error).message;
  }
}

/** A token's person must be allowed for the matter's role: checked before anything is written. */
async function requireDecideForMatter(
  runtime: Runtime,
  who: Principal,
  auth: Authenticator,
  kind: string,
  id: string,
): Promise<void> {
  const matter =
    kind === 'approval' ? await runtime.store.getApproval(id) : await runtime.store.getEscalation(id);
  // An unknown id is answered 404 by the decision itself (which finds nothing to change).
  if (matter) requireDecideFor(who, matter.role, auth.people, `the ${kind}s`);
}
