// Continuous-mode settings with defaults for roles stored before the setting existed, and how a handled
// event's output updates the agent's persistent context.
import { Continuous, type Role } from '../roles/schema.js';

const DEFAULTS = Continuous.parse({});

export function continuousSettings(role: Pick<Role, 'continuous'>): Continuous {
  return role.continuous ?? DEFAULTS;
}

/**
 * The context after a handled event: the run output's `context` field when it has one (the role's way to
 * remember), else the context as it was. Any JSON value may be kept; it is the next run's `input.context`.
 */
export function nextContext(previous: unknown, output: unknown): unknown {
  if (output !== null && typeof output === 'object' && !Array.isArray(output) && 'context' in output)
    return (output as { context: unknown }).context;
  return previous;
}
