// The tools an orchestrator calls its specialists through: `delegate.<specialist>`, one per specialist.
// Their arguments are the specialist's input (checked against its `input` schema when the policy judges
// the call); the engine runs such a call as a child run (delegation/children.ts), never through `run`.
import { NightshiftError } from '../errors.js';
import { zodFromJsonSchema } from '../roles/json-schema.js';
import type { Role } from '../roles/schema.js';
import { DELEGATE_PREFIX, delegateToolName } from '../roles/specialists.js';
import { defineTool } from '../tools/define.js';
import type { AnyTool } from '../tools/types.js';

const ANY_OBJECT = { type: 'object' } as const;

/** The delegate tools of `role` (none when it lists no specialists). */
export function delegateTools(role: Role): AnyTool[] {
  return (role.specialists ?? []).map((specialist) => {
    const schema = specialist.input ?? ANY_OBJECT;
    return defineTool({
      name: delegateToolName(specialist.name),
      description: `Hand this task to the specialist '${specialist.name}': ${specialist.description} The result is its structured output and its run id.`,
      input: zodFromJsonSchema(schema),
      jsonSchema: schema,
      // Delegating changes nothing by itself: what the specialist does is judged by the policy in its own
      // run, at no more than this run's rung (the child's autonomy cap). So an `observe` orchestrator may
      // delegate, and its specialists are capped at `observe`.
      effect: 'read',
      // Safe to run again: the child run's id is derived from the call's key, so a second attempt finds
      // the child the first one made instead of making another.
      idempotent: true,
      run: () => {
        throw new NightshiftError(
          'INTERNAL',
          `${delegateToolName(specialist.name)} runs as a child run of the engine, not as a plain tool`,
        );
      },
    });
  });
}

/** Whether a tool name is a delegation. */
export function isDelegation(tool: string): boolean {
  return tool.startsWith(DELEGATE_PREFIX);
}

/** The names of `role`'s delegate tools, part of its authority beside `tools:`. */
export function delegateToolNames(role: Role): string[] {
  return (role.specialists ?? []).map((s) => delegateToolName(s.name));
}
