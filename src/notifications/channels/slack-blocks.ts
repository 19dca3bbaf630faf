// Block Kit for a pending decision: the message (context and Approve / Reject / Answer buttons) and the
// modal that takes a reason or an answer. Action ids and the modal's callback id are what
// server/slack-interactions.ts reads back.
import { clip, decisionFacts, decisionTitle } from '../decision-text.js';
import type { DecisionKind, PendingDecision } from '../types.js';

export const ACTION = {
  approve: 'nightshift.approve',
  reject: 'nightshift.reject',
  answer: 'nightshift.answer',
} as const;
export const MODAL_CALLBACK = 'nightshift.decide';
export const MODAL_INPUT = { block: 'decision_text', action: 'text' } as const;

/** What a button carries back (its `value`, at most 2,000 characters). */
export interface ButtonValue {
  kind: DecisionKind;
  id: string;
  /** Approvals: the change set hash shown, so approve binds to it. */
  hash?: string;
}

/** Slack's mrkdwn needs these three escaped; everything else is literal. */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/**
 * Text for inside a ``` block: a run of backticks in the summary (the agent's words) would close the
 * block early and have the rest read as formatting; a zero-width space between them keeps it one block.
 */
function fenced(text: string): string {
  return text.replace(/`(?=`)/g, '`\u200b');
}

const plain = (text: string) => ({ type: 'plain_text', text: clip(text, 150), emoji: false });

export function decisionBlocks(d: PendingDecision): unknown[] {
  const value = JSON.stringify({
    kind: d.kind,
    id: d.id,
    ...(d.hash ? { hash: d.hash } : {}),
  } satisfies ButtonValue);
  const buttons =
    d.kind === 'approval'
      ? [
          {
            type: 'button',
            action_id: ACTION.approve,
            text: plain('Approve'),
            style: 'primary',
            value,
            confirm: {
              title: plain('Approve this change set?'),
              text: { type: 'mrkdwn', text: 'The drafted calls run once, as shown.' },
              confirm: plain('Approve'),
              deny: plain('Cancel'),
            },
          },
          { type: 'button', action_id: ACTION.reject, text: plain('Reject…'), style: 'danger', value },
        ]
      : [{ type: 'button', action_id: ACTION.answer, text: plain('Answer…'), style: 'primary', value }];
  return [
    { type: 'header', text: plain(decisionTitle(d)) },
    {
      type: 'section',
      fields: decisionFacts(d).map(([label, v]) => ({
        type: 'mrkdwn',
        text: clip(`*${label}*\n${escapeMrkdwn(v)}`, 2000),
      })),
    },
    {
      type: 'section',
      // Clipped after escaping: `&` becomes five characters, and Slack refuses (invalid_blocks, not
      // retried) a section over 3,000, so a summary full of `<` or `&` (HTML, code) must still fit.
      text: { type: 'mrkdwn', text: `\`\`\`${clip(fenced(escapeMrkdwn(d.summary)), 2900)}\`\`\`` },
    },
    { type: 'actions', block_id: `nightshift:${d.kind}:${d.id}`.slice(0, 255), elements: buttons },
  ];
}

/**
 * The fallback Slack shows in notifications and to clients without blocks. Slack parses it as mrkdwn, so
 * the reason (the agent's words) is escaped like every other field: unescaped, `<!channel>` in it would
 * notify the whole channel and `<https://…|text>` would dress up a link.
 */
export function decisionFallback(d: PendingDecision): string {
  // Cut too: the reason has no limit, and Slack refuses a text over 40,000 characters (msg_too_long).
  return clip(`${escapeMrkdwn(decisionTitle(d))}: ${escapeMrkdwn(d.reason)}`, 3000);
}

/** The modal a Reject or Answer click opens; `private_metadata` carries what is being decided. */
export function decisionModal(b: ButtonValue, action: 'reject' | 'answer'): unknown {
  return {
    type: 'modal',
    callback_id: MODAL_CALLBACK,
    private_metadata: JSON.stringify({ ...b, action }),
    title: plain(action === 'reject' ? 'Reject change set' : 'Answer escalation'),
    submit: plain(action === 'reject' ? 'Reject' : 'Send answer'),
    close: plain('Cancel'),
    blocks: [
      {
        type: 'input',
        block_id: MODAL_INPUT.block,
        label: plain(action === 'reject' ? 'Why (the agent is told)' : 'Your answer (the agent is told)'),
        element: {
          type: 'plain_text_input',
          action_id: MODAL_INPUT.action,
          multiline: true,
          max_length: 3000,
        },
      },
    ],
  };
}
