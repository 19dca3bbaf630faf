// POST /decisions/<approval|escalation>/<id>: a decision answered back over the webhook channel. The body
// is signed like the webhook that asked (x-nightshift-signature with the decisions secret), a signature is
// good once (replays refused), and the decision goes through the same approve/reject/answer as the CLI,
// so the person is checked (people: in nightshift.config.yaml) before anything changes.
import type { Logger } from 'pino';
import { z } from 'zod';
import { isNightshiftError } from '../errors.js';
import { DECISIONS_SECRET_ENV } from '../notifications/webhook-channel.js';
import type { Runtime } from '../runtime.js';
import { HttpError, parseJson, readBody } from './http-body.js';
import { type Route, send } from './router.js';
import { REPLAY_WINDOW_SECONDS, verifySignature } from './webhook-signature.js';

const Answer = z.strictObject({
  decision: z.enum(['approve', 'reject', 'answer']),
  /** A configured person's name (people: in nightshift.config.yaml). */
  person: z.string().min(1).max(120),
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

export function decisionRoute(o: { runtime: Runtime; env: NodeJS.ProcessEnv; log: Logger }): Route {
  return {
    method: 'POST',
    path: /^\/decisions\/(approval|escalation)\/([^/]+)$/,
    async handle(req, res, [kind, id]) {
      const secret = o.env[DECISIONS_SECRET_ENV];
      if (!secret) throw new HttpError(503, `${DECISIONS_SECRET_ENV} is not set on this server`);
      const body = await readBody(req);
      const now = Date.now();
      const check = verifySignature(
        req.headers['x-nightshift-signature'] as string | undefined,
        body,
        secret,
        now,
      );
      if (!check.ok) {
        o.log.warn({ kind, id, reason: check.reason }, 'decision refused');
        throw new HttpError(401, check.reason);
      }
      const forget = now - 2 * REPLAY_WINDOW_SECONDS * 1000;
      if (!(await o.runtime.store.rememberSignature(check.signature, now, forget))) {
        o.log.warn({ kind, id }, 'decision replay refused');
        throw new HttpError(401, 'this signature was already used (replay)');
      }
      const parsed = Answer.safeParse(parseJson(body));
      if (!parsed.success)
        throw new HttpError(
          400,
          `decision body: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`).join('; ')}`,
        );
      const a = parsed.data;
      if ((kind === 'approval') !== (a.decision !== 'answer'))
        throw new HttpError(
          400,
          `a ${kind} is decided with ${kind === 'approval' ? 'approve or reject' : 'answer'}, not ${a.decision}`,
        );
      try {
        const result =
          a.decision === 'approve'
            ? await o.runtime.approve(id!, {
                by: a.person,
                drive: 'queue',
                ...(a.text ? { note: a.text } : {}),
              })
            : a.decision === 'reject'
              ? await o.runtime.reject(id!, { by: a.person, reason: a.text ?? '', drive: 'queue' })
              : await o.runtime.answer(id!, a.text ?? '', {
                  by: a.person,
                  allowCall: a.allowCall === true,
                  drive: 'queue',
                });
        o.log.info({ kind, id, decision: a.decision, by: a.person, runId: result.runId }, 'decision applied');
        send(res, 200, { decision: a.decision, by: a.person, run: result });
      } catch (err) {
        if (isNightshiftError(err) && STATUS[err.code] !== undefined) {
          o.log.warn({ kind, id, by: a.person, code: err.code }, 'decision refused');
          return send(res, STATUS[err.code]!, { error: err.message, code: err.code });
        }
        throw err;
      }
    },
  };
}
