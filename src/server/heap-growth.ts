// How far `serve` lets V8's JS heap grow between full collections. A worker holding many runs in flight
// (each waiting seconds on a model turn) allocates objects that live for the whole turn: they outlive the
// young generation, are promoted, and die when the turn ends. V8's own policy lets the old generation grow
// up to 4× what the last full collection kept before it collects again (more, the faster the promotion),
// so at 1,000 runs in flight with 2 s turns the RSS per run was 4–6× what a run keeps alive: the rest was
// promoted garbage not yet collected (bench/in-flight.ts's memory split, decision 043). A fixed, smaller
// growth (V8's --heap-growing-percent) trades a few more full collections (concurrent marking, mostly off
// the event loop) for that headroom. `serve` only: a library user's process is theirs to tune.
import { setFlagsFromString } from 'node:v8';

/** The flag as V8 spells it (with '-' or '_', as node accepts both). */
const FLAG = /--heap[-_]growing[-_]percent\b/;

/**
 * Sets V8's heap growth to `percent` (0: V8's own policy, nothing set), unless the process was started with
 * the flag already (on the command line or in NODE_OPTIONS): the operator's own choice wins. Returns the
 * percent now in force by this call, or undefined if it left V8 alone.
 */
export function applyHeapGrowth(
  percent: number,
  startedWith: { execArgv: readonly string[]; nodeOptions: string | undefined } = {
    execArgv: process.execArgv,
    nodeOptions: process.env.NODE_OPTIONS,
  },
): number | undefined {
  if (percent <= 0) return undefined;
  if (startedWith.execArgv.some((a) => FLAG.test(a)) || FLAG.test(startedWith.nodeOptions ?? ''))
    return undefined;
  // V8 reads this flag each time it sets the next collection's limit, so setting it once the process runs
  // takes effect from the next full collection on.
  setFlagsFromString(`--heap-growing-percent=${Math.floor(percent)}`);
  return Math.floor(percent);
}
