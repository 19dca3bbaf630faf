// One change at a time per file, within this process. fs.write's append and fs.edit read a file (its size,
// its text), decide, then write: two calls on the same file at once (a model's parallel tool calls, two runs
// of one role in one worker) would both decide on what the file was before either wrote, and both appends
// would pass the 10 MiB check, or one edit would silently undo the other. The turn is keyed by the opened
// file's device and inode, so two spellings of one path share it (openInside refuses hard links anyway).
// Another process writing the same file is not held back: across workers, an append can still overshoot
// the limit by what the others append at the same moment, once (a file over it takes no more appends).
import { type FileHandle, lstat } from 'node:fs/promises';

const turns = new Map<string, Promise<void>>();

/** Runs `work` once every earlier turn on the file `handle` has opened has ended, then ends its own. */
export async function inFileTurn<T>(handle: FileHandle, work: () => Promise<T>): Promise<T> {
  const { dev, ino } = await handle.stat();
  const key = `${dev}:${ino}`;
  const before = turns.get(key) ?? Promise.resolve();
  let end!: () => void;
  const mine = new Promise<void>((resolve) => {
    end = resolve;
  });
  // Turns only ever resolve, so a failed call does not make the next one on the file fail.
  const last = before.then(() => mine);
  turns.set(key, last);
  try {
    await before;
    return await work();
  } finally {
    end();
    if (turns.get(key) === last) turns.delete(key);
  }
}

/** How often a call waiting for a file's turn follows it to the file an earlier turn put at its path. */
const FOLLOWS = 100;

/**
 * inFileTurn for the file at a path, which turns may replace (fs.write and fs.edit rename a new file over
 * the old, replaceInside): `open` opens what is at `absolute` now, or gives undefined when nothing is, and
 * `work` runs without a turn. Once the turn comes, the path must still name the opened file; if an earlier
 * turn replaced it meanwhile, the new file is opened and its turn awaited, so an edit never works on text
 * that another has already replaced.
 */
export async function inTurnAt<T>(
  absolute: string,
  open: () => Promise<FileHandle | undefined>,
  work: (handle: FileHandle | undefined) => Promise<T>,
  replacedTooOften: () => Error,
): Promise<T> {
  for (let follow = 0; follow <= FOLLOWS; follow++) {
    const handle = await open();
    if (handle === undefined) return work(undefined);
    try {
      const done = await inFileTurn(handle, async () => {
        const [now, opened] = await Promise.all([lstat(absolute).catch(() => undefined), handle.stat()]);
        if (now?.dev !== opened.dev || now.ino !== opened.ino) return undefined;
        return { value: await work(handle) };
      });
      if (done) return done.value;
    } finally {
      await handle.close();
    }
  }
  throw replacedTooOften();
}
