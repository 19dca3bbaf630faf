// `nightshift improve --history`: every recorded round of a role, newest first. Read a page at a time
// (keyset, by creation time then id) so a role with thousands of rounds is listed whole, not cut off at
// some page size, and no single read is unbounded.
import type { ImprovementRoundRecord, Store } from '../store/types.js';

const PAGE = 1000;

export async function allImprovementRounds(
  store: Pick<Store, 'listImprovementRounds'>,
  role: string,
  pageSize = PAGE,
): Promise<ImprovementRoundRecord[]> {
  const out: ImprovementRoundRecord[] = [];
  let before: { createdAt: number; id: string } | undefined;
  for (;;) {
    const page = await store.listImprovementRounds({ role, limit: pageSize, before });
    out.push(...page);
    const last = page.at(-1);
    if (page.length < pageSize || !last) return out;
    before = { createdAt: last.createdAt, id: last.id };
  }
}
