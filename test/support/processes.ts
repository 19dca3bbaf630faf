// Finding a test's child processes without knowing their pids: by the folder they run in (/proc, Linux).
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

/** Live (not zombie) processes whose working folder is `folder`. */
export function processesIn(folder: string): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readlinkSync(`/proc/${entry}/cwd`) !== folder) continue;
      const state = readFileSync(`/proc/${entry}/stat`, 'utf8').split(') ').at(-1)?.charAt(0);
      if (state !== 'Z') found.push(Number(entry));
    } catch {}
  }
  return found;
}
