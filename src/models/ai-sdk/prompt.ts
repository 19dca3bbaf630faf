// nightshift's conversation in the AI SDK's provider-neutral prompt format (LanguageModelV3Prompt); each
// provider package turns that into its own wire format.
import type {
  LanguageModelV3FunctionTool,
  LanguageModelV3Prompt,
  LanguageModelV3ToolCallPart,
  LanguageModelV3ToolResultPart,
} from '@ai-sdk/provider';
import type { ToolSpec } from '../../tools/types.js';
import type { ToolNameMap } from '../tool-names.js';
import type { Message, ModelRequest, ToolCallRequest } from '../types.js';

type AssistantContent = Extract<LanguageModelV3Prompt[number], { role: 'assistant' }>['content'];

/** The arguments of an earlier call as the provider must receive them: always a JSON object. */
function callInput(call: ToolCallRequest): LanguageModelV3ToolCallPart['input'] {
  const args = call.args;
  if (typeof args === 'object' && args !== null && !Array.isArray(args)) return args;
  // The model sent arguments that were not a JSON object (kept as the raw text so the schema check rejected
  // the call). APIs refuse such a call in the history (Anthropic answers 400), so it goes back wrapped,
  // still showing the model what it sent.
  return { unparsedArguments: args ?? null };
}

function toolResult(message: Extract<Message, { role: 'tool' }>, names: ToolNameMap) {
  return {
    type: 'tool-result',
    toolCallId: message.callId,
    toolName: names.toProvider(message.tool),
    output: message.isError
      ? { type: 'error-text', value: message.content }
      : { type: 'text', value: message.content },
  } satisfies LanguageModelV3ToolResultPart;
}

export function toPrompt(request: ModelRequest, names: ToolNameMap): LanguageModelV3Prompt {
  const prompt: LanguageModelV3Prompt = [{ role: 'system', content: request.system }];
  for (const m of request.messages) {
    if (m.role === 'user') {
      prompt.push({ role: 'user', content: [{ type: 'text', text: m.content }] });
    } else if (m.role === 'assistant') {
      const content: AssistantContent = [];
      // APIs reject an empty assistant message (and Anthropic an empty text block): an answer with neither
      // text nor calls goes back as a visible placeholder.
      if (m.text !== '' || m.calls.length === 0)
        content.push({ type: 'text', text: m.text || '(empty answer)' });
      for (const call of m.calls) {
        content.push({
          type: 'tool-call',
          toolCallId: call.id,
          toolName: names.toProvider(call.tool),
          input: callInput(call),
        });
      }
      prompt.push({ role: 'assistant', content });
    } else {
      const last = prompt.at(-1);
      // The results of one turn's calls go back together, in one tool message (Anthropic requires every
      // tool_result of a turn in the next user message).
      if (last?.role === 'tool') last.content.push(toolResult(m, names));
      else prompt.push({ role: 'tool', content: [toolResult(m, names)] });
    }
  }
  return prompt;
}

export function toTools(specs: readonly ToolSpec[], names: ToolNameMap): LanguageModelV3FunctionTool[] {
  return specs.map((t) => ({
    type: 'function',
    name: names.toProvider(t.name),
    description: t.description,
    // ToolSpec.inputSchema is JSON Schema by contract; the AI SDK's JSONSchema7 type is only stricter on paper.
    inputSchema: t.inputSchema as LanguageModelV3FunctionTool['inputSchema'],
  }));
}
