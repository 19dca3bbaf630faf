// A role that lists a workspace tool (fs.*, shell.exec) needs a workspace: without one every call of the
// tool is denied at run time, so the role looked fine in review and failed at its first call. Refused when
// the role is loaded instead, at the line of the tool (decision 077).
import { WORKSPACE_TOOLS } from '../tools/builtin/index.js';

/**
 * Each entry of `tools` (by index) that is a built-in workspace tool the role cannot use, with the message
 * for it. None when the role has a workspace. `replaced`: the names a tool module or an inline tool
 * provides, which replace the built-in of that name (they need not work in a workspace). `base`: what a
 * relative workspace path is resolved against, for the message.
 */
export function workspaceToolIssues(
  tools: readonly unknown[],
  hasWorkspace: boolean,
  replaced: (name: string) => boolean,
  base = 'the role file',
): [number, string][] {
  if (hasWorkspace) return [];
  const out: [number, string][] = [];
  tools.forEach((name, i) => {
    if (typeof name !== 'string' || !WORKSPACE_TOOLS.has(name) || replaced(name)) return;
    out.push([
      i,
      `${name} works in the role's workspace, and this role has none (every call of it would be denied): set workspace: to a folder for it (relative to ${base}, e.g. workspace: ./workspace), or remove ${name} from tools`,
    ]);
  });
  return out;
}
