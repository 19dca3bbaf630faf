// Finding every process a server started, even those that left its process group. A process group is
// what a close and the lifeline watcher kill, but `setsid` (or a daemon's double fork) takes a process out
// of it, and it is reparented to init: neither the group nor the ancestry leads to it any more. What it
// does keep is its environment, which children inherit through fork and exec. So each server gets a
// variable of its own, NIGHTSHIFT_PROCESS_MARKER=<random>, and ending it also kills every process whose
// initial environment holds that exact line and can be read (this uid's; every uid's when run as root).
// Not guaranteed: a process that execs itself with a scrubbed environment (`env -i ...`) drops the marker;
// that takes deliberate evasion, which only a PID namespace (the bubblewrap sandbox) stops.
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';

export const MARKER_VARIABLE = 'NIGHTSHIFT_PROCESS_MARKER';

/** A fresh marker: the `NAME=value` line every process of one server carries in its environment. */
export function newProcessMarker(): { name: string; value: string; line: string } {
  const value = randomBytes(16).toString('hex');
  return { name: MARKER_VARIABLE, value, line: `${MARKER_VARIABLE}=${value}` };
}

/** The pids (other than this process) whose initial environment holds `line`. */
function markedPids(line: string): number[] {
  const out: number[] = [];
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return out; // no /proc: nothing can be found this way
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    if (pid === process.pid) continue;
    try {
      if (readFileSync(`/proc/${entry}/environ`, 'latin1').split('\0').includes(line)) out.push(pid);
    } catch {
      // Gone already, or another user's process (EACCES): not one of the server's.
    }
  }
  return out;
}

/**
 * SIGKILLs every process carrying the marker, scanning again until none is left (one may fork while the
 * scan runs), at most a few rounds.
 */
export function killMarked(line: string): void {
  for (let round = 0; round < 5; round++) {
    const pids = markedPids(line);
    if (pids.length === 0) return;
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {}
    }
  }
}

/**
 * The same scan in the shell, for the lifeline watcher, which runs when this process is gone. The marker
 * line is the script's first positional parameter; GNU grep's -z reads the NUL-separated environment.
 */
export const KILL_MARKED_SH =
  // biome-ignore lint/suspicious/noTemplateCurlyInString: `${d#/proc/}` is the shell's, not JavaScript's
  'i=0; while [ $i -lt 5 ]; do i=$((i+1)); n=0; for d in /proc/[0-9]*; do if grep -qzxF -e "$1" "$d/environ" 2>/dev/null; then kill -9 "${d#/proc/}" 2>/dev/null; n=1; fi; done; [ $n = 0 ] && break; done';
