// Reads the log of test/fixtures/tools/occupancy.ts: how many calls of `slot.occupy` were inside at once.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The most calls inside at once, and how many entered and left, from a workspace's occupancy log. */
export function occupancy(workspace: string): { most: number; entered: number; left: number } {
  const log = join(workspace, 'occupancy.log');
  if (!existsSync(log)) return { most: 0, entered: 0, left: 0 };
  let inside = 0;
  let most = 0;
  let entered = 0;
  let left = 0;
  for (const line of readFileSync(log, 'utf8').split('\n').filter(Boolean)) {
    if (line.startsWith('enter ')) {
      entered++;
      most = Math.max(most, ++inside);
    } else {
      left++;
      inside--;
    }
  }
  return { most, entered, left };
}
