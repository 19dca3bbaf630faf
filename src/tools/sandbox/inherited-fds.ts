// Descriptors nightshift inherited without close-on-exec from whoever started it (a shell's saved
// descriptors, a supervisor's log or socket, a listening socket passed by socket activation) would pass
// on to every child, and bubblewrap passes them into the sandbox as they are: a command could read or
// write what they lead to. This puts /dev/null over each of them in a sandboxed command's stdio.
import { openSync, readdirSync, readFileSync } from 'node:fs';

/** O_CLOEXEC as /proc/<pid>/fdinfo's `flags:` shows it (octal), on Linux. */
const O_CLOEXEC = 0o2000000;

type StdioEntry = 'pipe' | 'ignore' | number;

let devNull: number | undefined;

/**
 * `stdio` extended so that every descriptor past it that this process holds without close-on-exec is
 * replaced by /dev/null in the child (libuv dup2()s an entry given as a number into place). Descriptors
 * that are close-on-exec (all that Node opens itself) close at the exec and are left as they are.
 * Where /proc is not readable this returns `stdio` unchanged.
 */
export function stdioCoveringInherited(stdio: readonly StdioEntry[]): StdioEntry[] {
  let open: number[];
  try {
    open = readdirSync('/proc/self/fd')
      .map(Number)
      .filter((fd) => Number.isInteger(fd) && fd >= stdio.length);
  } catch {
    return [...stdio];
  }
  const inherited = open.filter((fd) => {
    try {
      const flags = /^flags:\s*([0-7]+)/m.exec(readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'));
      return flags !== null && (Number.parseInt(flags[1]!, 8) & O_CLOEXEC) === 0;
    } catch {
      // Gone since the listing (the listing's own descriptor among them).
      return false;
    }
  });
  if (inherited.length === 0) return [...stdio];
  // Opened once, close-on-exec (as Node opens every file): only its dup2()ed copies reach a child.
  devNull ??= openSync('/dev/null', 'r');
  const out = [...stdio];
  const last = Math.max(...inherited);
  const mapped = new Set(inherited);
  for (let fd = stdio.length; fd <= last; fd++) out.push(mapped.has(fd) ? devNull : 'ignore');
  return out;
}
