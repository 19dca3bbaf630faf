// Rebuilds the model's conversation from the persisted steps and tool-call ledger. The conversation is
// never kept on its own: what the model sees after a resume is, by construction, what it saw before.
import { isManagerActor } from '../managers/manager-for.js';
import type { Message, ToolCallRequest } from '../models/types.js';
import type { Role } from '../roles/schema.js';
import type { ToolCallRecord } from '../store/types.js';
import type { RunState } from './state.js';

const AUTONOMY_TEXT: Record<Role['autonomy'], string> = {
  observe: 'observe only: you may use read tools; every other call is denied. Report what you find.',
  draft:
    'draft for approval: read tools run; every other call is recorded as a draft and runs only after a human approves it.',
  sandbox: 'sandbox: calls run only inside the scope this role declares; anything outside is denied.',
  full: 'full autonomy within the tools listed; escalation rules still apply.',
};

/**
 * The role's system prompt. `executor`: the session runs in an external agent CLI, which has no `escalate`
 * tool, so the prompt does not offer one.
 */
export function systemPrompt(role: Role, options: { executor?: boolean } = {}): string {
  const parts = [
    role.instructions.trim(),
    '',
    `You are running as the background role "${role.name}" with no user present.`,
    `Autonomy: ${AUTONOMY_TEXT[role.autonomy]}`,
    options.executor
      ? 'If you lack information or cannot finish safely, say so in your final answer instead of guessing.'
      : 'If you lack information, hit a legal, security, privacy, money or other sensitive matter, or cannot finish safely, call the `escalate` tool with a category and a reason; the run pauses until a human answers.',
  ];
  if (role.output) {
    parts.push(
      'When you are done, reply with only a JSON value (no prose, no code fence) matching this JSON Schema:',
      JSON.stringify(role.output),
    );
  } else {
    parts.push('When you are done, reply with your final answer (JSON if it is structured).');
  }
  return parts.join('\n');
}

/** The text a tool result becomes for the model. */
export function resultContent(call: ToolCallRecord): string {
  const r = call.result;
  return typeof r === 'string' ? r : JSON.stringify(r ?? null);
}

export function buildMessages(state: RunState): Message[] {
  const messages: Message[] = [];
  for (const step of state.steps) {
    switch (step.kind) {
      case 'run_started':
        messages.push({
          role: 'user',
          content: `Input:\n${JSON.stringify(step.data.input ?? null, null, 2)}`,
        });
        break;
      case 'model_turn': {
        const calls = state.callsOfTurn(step.seq);
        const requests: ToolCallRequest[] = calls.map((c) => ({ id: c.callId, tool: c.tool, args: c.args }));
        messages.push({ role: 'assistant', text: step.data.text, calls: requests });
        for (const c of calls) {
          messages.push({
            role: 'tool',
            callId: c.callId,
            tool: c.tool,
            content: resultContent(c),
            isError: c.isError,
          });
        }
        break;
      }
      case 'escalation_answered': {
        // Answers to call-bound escalations are already the call's result; the rest become user messages,
        // and so does the answer about a held result (the call's result stays what the tool returned).
        const { escalationId, category, answer, callKey } = step.data;
        const who = isManagerActor(step.data.by) ? 'Your manager agent' : 'A human';
        if (callKey == null) {
          messages.push({
            role: 'user',
            content: `${who} answered escalation ${escalationId} (${category}): ${answer}`,
          });
        } else if (state.escalations.get(escalationId)?.source === 'result_rule') {
          const tool = state.calls.get(callKey)?.tool ?? 'the tool';
          const seen = step.data.withheldResult ? 'withheld it from you' : 'reviewed it';
          messages.push({
            role: 'user',
            content: `The result of ${tool} (call ${callKey}) was held for a human by escalation ${escalationId} (${category}); ${who === 'A human' ? 'they' : 'it'} ${seen} and answered: ${answer}`,
          });
        }
        break;
      }
      case 'output_invalid':
        messages.push({
          role: 'user',
          content: `Your final answer did not match the required output schema:\n${step.data.errors.join('\n')}\nReply with only the corrected JSON value.`,
        });
        break;
      default:
        break;
    }
  }
  return messages;
}
