// A recorded conversation replayed as the model: the model turns of a stored run (`nightshift show <run>
// --json`) become a script, so a case can pin what a real model once answered and check that the role's
// policy, tools and output checks still treat it the same way.
import { readFileSync, writeFileSync } from 'node:fs';
import { stringify } from 'yaml';
import { z } from 'zod';
import { NightshiftError } from '../errors.js';
import type { ScriptTurn } from '../models/script/script-file.js';

const RecordedTurn = z.object({
  text: z.string(),
  calls: z.array(z.object({ tool: z.string(), args: z.unknown() })),
  usage: z
    .object({ inputTokens: z.number(), outputTokens: z.number(), costUsd: z.number() })
    .partial()
    .optional(),
});
const RecordedRun = z.object({
  steps: z.array(z.object({ kind: z.string(), data: z.unknown() })).min(1),
});

/** The script turns of a recorded run's model turns, in order. */
export function turnsOfRecording(file: string, displayPath = file): ScriptTurn[] {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new NightshiftError(
      'CONFIG_INVALID',
      `recorded run ${displayPath}: ${(err as Error).message.replace(/\s+/g, ' ')}`,
      {
        cause: err,
      },
    );
  }
  const run = RecordedRun.safeParse(json);
  if (!run.success)
    throw new NightshiftError(
      'CONFIG_INVALID',
      `recorded run ${displayPath}: expected the JSON of \`nightshift show <run> --json\` (a "steps" list)`,
    );
  const turns: ScriptTurn[] = [];
  for (const [i, step] of run.data.steps.entries()) {
    if (step.kind !== 'model_turn') continue;
    const turn = RecordedTurn.safeParse(step.data);
    if (!turn.success)
      throw new NightshiftError(
        'CONFIG_INVALID',
        `recorded run ${displayPath}: steps[${i}] is not a model turn`,
      );
    const { text, calls, usage } = turn.data;
    // Replayed turns cost nothing: the money was spent when the run was recorded.
    const tokens = { inputTokens: usage?.inputTokens ?? 0, outputTokens: usage?.outputTokens ?? 0 };
    turns.push(
      calls.length > 0
        ? {
            calls: calls.map((c) => ({ tool: c.tool, args: c.args })),
            say: text,
            usage: { ...tokens, costUsd: 0 },
          }
        : { text, usage: { ...tokens, costUsd: 0 } },
    );
  }
  if (turns.length === 0)
    throw new NightshiftError('CONFIG_INVALID', `recorded run ${displayPath} has no model turns to replay`);
  return turns;
}

/** Writes the recording as a script file at `scriptFile`; returns its model spec. */
export function writeReplayScript(recording: string, scriptFile: string): string {
  writeFileSync(scriptFile, stringify({ turns: turnsOfRecording(recording) }));
  return `script:${scriptFile}`;
}
