// POST /slack/interactions: Slack's interactivity request URL. A click on a decision message's button
// (block_actions) or a submitted Reject/Answer modal (view_submission) arrives form-encoded as
// `payload=<json>`, signed with the app's signing secret. Verified (signature, five-minute window, each
// signature once), mapped from the Slack user to a configured person, then decided as that person.
import { z } from 'zod';
import { isNightshiftError } from '../errors.js';
import { applyDecision, checkDecider, type DecisionAction } from '../notifications/apply-decision.js';
import { callSlack } from '../notifications/channels/slack-api.js';
import {
  ACTION,
  type ButtonValue,
  decisionModal,
  MODAL_CALLBACK,
  MODAL_INPUT,
} from '../notifications/channels/slack-blocks.js';
import { decisionCommand } from '../notifications/decision-text.js';
import { personBySlackId } from '../notifications/people.js';
import type { PersonSpec } from '../notifications/settings.js';
import { secretNameForMessage } from '../secret-name.js';
import {
  type ChannelDoors,
  decisionDeps,
  failedOnServer,
  refusalStatus,
  SERVER_FAILURE_TEXT,
} from './channel-doors.js';
import { HttpError, readBody } from './http-body.js';
import { type Route, send } from './router.js';
import { acceptSignedOnce, decisionRecorded, type SpentSignature } from './signed-once.js';
import { SLACK_WINDOW_SECONDS, verifySlackSignature } from './slack-signature.js';

const ButtonValueSchema = z.strictObject({
  kind: z.enum(['approval', 'escalation']),
  id: z.string().min(1),
  hash: z.string().optional(),
});
const ModalMetadata = ButtonValueSchema.extend({ action: z.enum(['reject', 'answer']) });

const User = z.looseObject({ id: z.string().min(1) });
const BlockActions = z.looseObject({
  type: z.literal('block_actions'),
  user: User,
  trigger_id: z.string().optional(),
  response_url: z.string().optional(),
  actions: z.array(z.looseObject({ action_id: z.string(), value: z.string().optional() })).min(1),
});
const ViewSubmission = z.looseObject({
  type: z.literal('view_submission'),
  user: User,
  view: z.looseObject({
    callback_id: z.string(),
    private_metadata: z.string(),
    state: z.looseObject({
      values: z.record(z.string(), z.record(z.string(), z.looseObject({ value: z.string().nullish() }))),
    }),
  }),
});

function parseJsonAs<T>(schema: z.ZodType<T>, text: string, what: string): T {
  try {
    return schema.parse(JSON.parse(text));
  } catch (err) {
    throw new HttpError(400, `${what} is not what nightshift sent: ${(err as Error).message.slice(0, 300)}`);
  }
}

/** Where Slack's own response URLs live. */
const SLACK_HOOKS_ORIGIN = 'https://hooks.slack.com';

/** An origin, or undefined for what is not a URL. */
function originOf(url: string | undefined): string | undefined {
  if (url === undefined) return undefined;
  try {
    return new URL(url).origin;
  } catch {
    return undefined;
  }
}

/**
 * The origins nightshift posts a response_url to: Slack's (https://hooks.slack.com/...), and those of the
 * Slack endpoints configured (`slack.apiUrl`, the incoming webhook's URL), which a self-hosted or test
 * stand-in for Slack serves. The payload is signed, but whoever holds the signing secret (or a Slack app
 * misconfigured) could otherwise aim the daemon's POST at any host, an internal one included.
 */
export function responseUrlOrigins(apiUrl: string, webhookUrl: string | undefined): string[] {
  const out = [SLACK_HOOKS_ORIGIN];
  for (const o of [originOf(apiUrl), originOf(webhookUrl)]) if (o && !out.includes(o)) out.push(o);
  return out;
}

/** Whether `url` is on one of `origins`, with no credentials in it. */
export function responseUrlAllowed(url: string, origins: readonly string[]): boolean {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  if (parsed.username || parsed.password) return false;
  return origins.includes(parsed.origin);
}

/** The URL as logged: its origin alone, since a response URL's path is its secret. */
function originForLog(url: string): string {
  return originOf(url) ?? '(not a URL)';
}

/** Replaces the message (or tells the clicker) through the interaction's response_url; best effort. */
async function respond(doors: ChannelDoors, url: string | undefined, body: Record<string, unknown>) {
  if (!url) return;
  const slack = doors.settings.slack!;
  const origins = responseUrlOrigins(
    slack.apiUrl,
    slack.webhook ? doors.secrets.get(slack.webhook) : undefined,
  );
  if (!responseUrlAllowed(url, origins)) {
    doors.log.warn(
      { origin: originForLog(url), allowed: origins },
      'slack response_url is not on hooks.slack.com nor on a configured Slack endpoint: nothing posted to it',
    );
    return;
  }
  try {
    const answer = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
      // A redirect is not followed: it could lead anywhere the check above would refuse.
      redirect: 'manual',
      signal: AbortSignal.timeout(5000),
    });
    if (answer.status >= 300 && answer.status < 400)
      doors.log.warn(
        { origin: originForLog(url), status: answer.status },
        'slack response_url answered with a redirect: not followed',
      );
  } catch (err) {
    doors.log.warn({ err: (err as Error).message }, 'slack response_url failed');
  }
}

export function slackInteractionsRoute(doors: ChannelDoors): Route {
  const slack = doors.settings.slack!;
  return {
    method: 'POST',
    path: /^\/slack\/interactions$/,
    async handle(req, res) {
      const body = await readBody(req);
      const signingSecret = doors.secrets.get(slack.signingSecret);
      if (!signingSecret)
        throw new HttpError(
          503,
          `the Slack signing secret ${secretNameForMessage(slack.signingSecret)} is not set on this worker`,
        );
      const now = Date.now();
      const spent = await acceptSignedOnce({
        check: verifySlackSignature(req.headers, body, signingSecret, now),
        store: doors.runtime.store,
        prefix: 'slack:',
        nowMs: now,
        windowSeconds: SLACK_WINDOW_SECONDS,
        log: doors.log,
        what: 'slack interaction',
        fields: {},
      });
      const payload = new URLSearchParams(body.toString('utf8')).get('payload');
      if (!payload) throw new HttpError(400, 'expected a form-encoded body with a payload field');
      const type = parseJsonAs(z.looseObject({ type: z.string() }), payload, 'payload').type;
      if (type === 'block_actions')
        return blockActions(doors, parseJsonAs(BlockActions, payload, 'payload'), res, spent);
      if (type === 'view_submission')
        return viewSubmission(doors, parseJsonAs(ViewSubmission, payload, 'payload'), res, spent);
      send(res, 200, {});
    },
  };
}

function knownPerson(doors: ChannelDoors, slackUserId: string): PersonSpec {
  const person = personBySlackId(doors.people, slackUserId);
  if (!person) {
    doors.log.warn({ slackUser: slackUserId }, 'slack decision refused: unknown user');
    throw new HttpError(403, `Slack user ${slackUserId} is not a configured person (people: slack:)`);
  }
  return person;
}

async function blockActions(
  doors: ChannelDoors,
  p: z.infer<typeof BlockActions>,
  res: Parameters<Route['handle']>[1],
  spent: SpentSignature,
): Promise<void> {
  const action = p.actions[0]!;
  const verb = Object.entries(ACTION).find(([, id]) => id === action.action_id)?.[0] as
    | DecisionAction
    | undefined;
  if (!verb) return send(res, 200, {});
  let person: PersonSpec;
  try {
    person = knownPerson(doors, p.user.id);
  } catch (err) {
    await respond(doors, p.response_url, {
      response_type: 'ephemeral',
      replace_original: false,
      text: 'You are not a configured person in nightshift, so you cannot decide this.',
    });
    throw err;
  }
  const b: ButtonValue = parseJsonAs(ButtonValueSchema, action.value ?? '', 'the button value');
  try {
    if (verb === 'approve') {
      const out = await applyDecision(decisionDeps(doors), { ...b, action: 'approve', person });
      doors.wake();
      doors.log.info({ approvalId: b.id, by: person.name, runId: out.runId }, 'slack decision');
      await respond(doors, p.response_url, {
        replace_original: true,
        text: `Approved by ${person.name} (approval ${b.id}); the run continues.`,
      });
      return send(res, 200, {});
    }
    // Reject and Answer need text: checked now so a refused person gets no form, then asked in a modal.
    await checkDecider(doors.runtime.store, b.kind, b.id, person);
    const name = doors.settings.slack?.token;
    const token = name ? doors.secrets.get(name) : undefined;
    if (!token) {
      // No form can be opened (views.open takes the bot token), and the decision needs a text: the click
      // decides nothing (409, as before), but is logged and the person is told how to decide it
      // (decision 063). Before, the click was refused with only a warning triangle in Slack.
      const command = decisionCommand(b.id, verb, person.name);
      doors.log.warn(
        { [`${b.kind}Id`]: b.id, action: verb, by: person.name, slackUser: p.user.id, command },
        'slack decision not taken: Reject and Answer need notifications.slack.token; the person was told the CLI command',
      );
      await respond(doors, p.response_url, {
        response_type: 'ephemeral',
        replace_original: false,
        text: `Not decided: ${verb === 'reject' ? 'Reject' : 'Answer'} needs a form, which this nightshift cannot open in Slack (it has no bot token). Decide it on the command line:\n\`${command}\``,
      });
      throw new HttpError(409, 'Reject and Answer in Slack need notifications.slack.token (views.open)');
    }
    if (!p.trigger_id) throw new HttpError(400, 'the click has no trigger_id to open the form with');
    await callSlack(doors.settings.slack!.apiUrl, token, 'views.open', {
      trigger_id: p.trigger_id,
      view: decisionModal(b, verb === 'reject' ? 'reject' : 'answer'),
    });
    send(res, 200, {});
  } catch (err) {
    if (isNightshiftError(err)) {
      const internal = failedOnServer(err);
      await respond(doors, p.response_url, {
        response_type: 'ephemeral',
        replace_original: false,
        text: `Not decided: ${internal ? SERVER_FAILURE_TEXT : err.message}`,
      });
      // A server-side failure goes on as it is: the failure answer logs it and says little (500, or the
      // store outage's 503/507); only the person's own refusals carry their message back. Its signature
      // is given back (unless the decision was saved before the failure): a retry is not a replay.
      if (internal) {
        await spent.release(decisionRecorded(doors.runtime.store, b.kind, b.id));
        throw err;
      }
      throw new HttpError(refusalStatus(err.code), err.message);
    }
    // A refusal of the click itself (4xx) keeps its signature spent; anything else failed on our side.
    if (!(err instanceof HttpError && err.status < 500))
      await spent.release(decisionRecorded(doors.runtime.store, b.kind, b.id));
    throw err;
  }
}

async function viewSubmission(
  doors: ChannelDoors,
  p: z.infer<typeof ViewSubmission>,
  res: Parameters<Route['handle']>[1],
  spent: SpentSignature,
): Promise<void> {
  if (p.view.callback_id !== MODAL_CALLBACK) return send(res, 200, {});
  const person = knownPerson(doors, p.user.id);
  const meta = parseJsonAs(ModalMetadata, p.view.private_metadata, 'the form metadata');
  const text = p.view.state.values[MODAL_INPUT.block]?.[MODAL_INPUT.action]?.value ?? '';
  try {
    const out = await applyDecision(decisionDeps(doors), { ...meta, person, text });
    doors.wake();
    doors.log.info({ [`${meta.kind}Id`]: meta.id, by: person.name, runId: out.runId }, 'slack decision');
    send(res, 200, { response_action: 'clear' });
  } catch (err) {
    if (!isNightshiftError(err)) {
      await spent.release(decisionRecorded(doors.runtime.store, meta.kind, meta.id));
      throw err;
    }
    const internal = failedOnServer(err);
    if (internal) {
      doors.log.error({ code: err.code, err: err.message }, 'slack decision failed');
      await spent.release(decisionRecorded(doors.runtime.store, meta.kind, meta.id));
    }
    // Shown under the text field; the modal stays open.
    const shown = internal ? SERVER_FAILURE_TEXT : err.message.slice(0, 300);
    send(res, 200, { response_action: 'errors', errors: { [MODAL_INPUT.block]: shown } });
  }
}
