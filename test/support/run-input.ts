// Reading, inside a fake model server, the run input the engine sent (to answer depending on it).
import type { FakeRequest } from './fake-llm.js';

/** The run input the engine sent the model (the first user message is "Input:\n<json>"). */
export function inputOf(request: FakeRequest): { event: string; payload: { id: string }; context: unknown } {
  const messages = request.body.messages as {
    role: string;
    content: string | { type: string; text?: string }[];
  }[];
  const first = messages[0]!.content;
  const text = typeof first === 'string' ? first : first.map((b) => b.text ?? '').join('');
  // The input is pretty-printed JSON after "Input:\n"; it ends at the first closing brace in column 0.
  const start = text.indexOf('Input:\n') + 'Input:\n'.length;
  return JSON.parse(text.slice(start, text.indexOf('\n}', start) + 2));
}
