// Tool names on the wire. Provider APIs accept only ^[a-zA-Z0-9_-]{1,64}$ and nightshift's names have dots
// (`fs.read`), so each request gets its own reversible mapping, and calls are mapped back through it.

/** What the Anthropic and OpenAI APIs accept as a tool name. */
export const PROVIDER_TOOL_NAME = /^[a-zA-Z0-9_-]{1,64}$/;

export interface ToolNameMap {
  /** nightshift's name → the name offered to the provider. */
  toProvider(name: string): string;
  /** The provider's name → nightshift's. A name the request did not offer comes back as it is. */
  fromProvider(name: string): string;
}

/**
 * Maps the tool names of one request to provider-safe names: names already safe keep themselves, others
 * get `.` and every other disallowed character replaced by `_`, cut to fit, and a `_2`, `_3`... suffix
 * when that collides with a name already taken (`fs.read` next to a tool really called `fs_read`).
 *
 * @example
 * const names = toolNameMap(['fs.read', 'fs_read']);
 * names.toProvider('fs.read'); // 'fs_read_2' (the tool called fs_read keeps its name)
 * names.fromProvider('fs_read_2'); // 'fs.read'
 */
export function toolNameMap(names: readonly string[]): ToolNameMap {
  const forward = new Map<string, string>();
  const backward = new Map<string, string>();
  const take = (name: string, wire: string) => {
    forward.set(name, wire);
    backward.set(wire, name);
  };
  // Safe names first, so a tool's wire name does not depend on which other tools the role has.
  for (const name of names) if (PROVIDER_TOOL_NAME.test(name) && !forward.has(name)) take(name, name);
  for (const name of names) {
    if (forward.has(name)) continue;
    const base = name.replace(/[^a-zA-Z0-9_-]/g, '_').slice(0, 64) || 'tool';
    let wire = base;
    for (let n = 2; backward.has(wire); n++) wire = `${base.slice(0, 64 - `_${n}`.length)}_${n}`;
    take(name, wire);
  }
  return {
    toProvider: (name) => forward.get(name) ?? name,
    // A name the model made up maps to itself, so the policy denies it under the name the model used.
    fromProvider: (name) => backward.get(name) ?? name,
  };
}
