// Provider APIs allow tool names matching ^[a-zA-Z0-9_-]{1,64}$; nightshift names have dots (fs.read).
// This makes a reversible mapping per request, disambiguating collisions (fs.read vs fs_read).
export interface ToolNameMap {
  toProvider(name: string): string;
  fromProvider(name: string): string;
}

export function toolNameMap(names: readonly string[]): ToolNameMap {
  const forward = new Map<string, string>();
  const backward = new Map<string, string>();
  for (const name of names) {
    const base = name.replace(/[^a-zA-Z0-9_-]/g, '_').slice(0, 60) || 'tool';
    let candidate = base;
    for (let i = 2; backward.has(candidate); i++) candidate = `${base.slice(0, 58)}_${i}`;
    forward.set(name, candidate);
    backward.set(candidate, name);
  }
  return {
    toProvider: (name) => forward.get(name) ?? name,
    // A name the model made up maps to itself, so the policy denies it by its own name.
    fromProvider: (name) => backward.get(name) ?? name,
  };
}
