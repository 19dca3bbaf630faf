// The scripted model. It answers from a script file, choosing the turn statelessly from the request (the
// number of assistant messages so far), so it is deterministic across crashes and resumes and can serve
// many concurrent runs from one object.
import { appendFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { NightshiftError } from '../../errors.js';
import type { Model, ModelRequest, ModelResponse, ToolCallRequest } from '../types.js';
import { loadScript, type ScriptTurn } from './script-file.js';

function toResponse(turn: ScriptTurn, index: number): ModelResponse {
  const usage = {
    inputTokens: turn.usage?.inputTokens ?? 0,
    outputTokens: turn.usage?.outputTokens ?? 0,
    cachedInputTokens: 0,
    costUsd: turn.usage?.costUsd ?? 0,
  };
  const base = { usage, modelId: 'script' };
  let calls: ToolCallRequest[] = [];
  if (turn.call !== undefined) calls = [{ id: `call_${index}_0`, tool: turn.call, args: turn.args ?? {} }];
  else if (turn.calls)
    calls = turn.calls.map((c, i) => ({ id: `call_${index}_${i}`, tool: c.tool, args: c.args ?? {} }));
  else if (turn.escalate) calls = [{ id: `call_${index}_0`, tool: 'escalate', args: turn.escalate }];
  if (calls.length > 0) return { ...base, text: turn.say ?? '', calls, stopReason: 'tool_calls' };
  const text = turn.text !== undefined ? turn.text : JSON.stringify(turn.final ?? null);
  return { ...base, text, calls: [], stopReason: 'end' };
}

/**
 * A model that answers from a script file (validated once, with file:line errors). Stateless: the turn
 * is the number of assistant messages in the request, so many runs may share one object.
 *
 * @example
 * const model = createScriptedModel('/abs/roles/refund-desk.script.yaml');
 */
export function createScriptedModel(scriptFile: string): Model {
  const file = resolve(scriptFile);
  const script = loadScript(file, scriptFile);
  const responses = script.turns.map(toResponse);
  // Each answer as JSON text, parsed afresh per call: the copy the engine may keep, cheaper than a
  // structuredClone per turn. Only where JSON keeps it exactly (YAML may also give .inf or .nan).
  const answers = responses.map((r) => (jsonExact(r) ? JSON.stringify(r) : undefined));
  const record = script.record === undefined ? undefined : resolve(dirname(file), script.record);
  return {
    spec: `script:${file}`,
    provider: 'script',
    async turn(request: ModelRequest): Promise<ModelResponse> {
      let index = 0;
      for (const m of request.messages) if (m.role === 'assistant') index++;
      if (record) {
        const { signal: _signal, ...shown } = request;
        appendFileSync(record, `${JSON.stringify(shown)}\n`);
      }
      const response = responses[index];
      const turn = script.turns[index];
      if (!response || !turn) {
        throw new NightshiftError(
          'SCRIPT_EXHAUSTED',
          `script ${file} has ${responses.length} turns; the run asked for turn ${index + 1}`,
        );
      }
      if (turn.delayMs)
        await sleep(turn.delayMs, undefined, request.signal ? { signal: request.signal } : undefined);
      // A fresh copy per call: the engine may keep what it is given.
      const answer = answers[index];
      return answer === undefined ? structuredClone(response) : (JSON.parse(answer) as ModelResponse);
    },
  };
}

/** Whether JSON text keeps `value` exactly: plain objects and arrays of strings, finite numbers, booleans, null. */
function jsonExact(value: unknown): boolean {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return true;
  if (typeof value === 'number') return Number.isFinite(value) && !Object.is(value, -0);
  if (Array.isArray(value)) return value.every(jsonExact);
  if (typeof value !== 'object') return false;
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return false;
  return Object.entries(value).every(([key, v]) => key !== '__proto__' && jsonExact(v));
}
