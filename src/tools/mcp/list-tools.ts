// A server's tool list, page by page. MCP's tools/list is paginated: a server with many tools answers with
// a page and a `nextCursor`. Only the first page was read, so a listed tool on a later page failed the role
// with "has no tool". The pages are followed until every tool the role lists is found, within the start's
// time limit and MAX_TOOL_PAGES pages (a server whose cursor never ends cannot hold the start forever), and
// only the listed tools are kept: the pages of a server with thousands of tools are not all held at once.
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';

/** The most pages of a tool list read: far more than any real server sends (a page is often 100 tools). */
export const MAX_TOOL_PAGES = 100;
/** How many other tool names an error message names. */
const NAMES_SHOWN = 50;

export interface OfferedTool {
  name: string;
  description?: string | undefined;
  inputSchema?: unknown;
}

export interface ToolListing {
  /** The offered tools the role lists, by name. */
  found: Map<string, OfferedTool>;
  /** Names of the tools it offers (the first NAMES_SHOWN), for a message naming what there is. */
  names: string[];
}

/** Reads pages until every wanted tool is found or the list ends; throws on a cursor that never ends. */
export async function listWantedTools(
  client: Client,
  wanted: ReadonlySet<string>,
  timeoutMs: number,
): Promise<ToolListing> {
  const deadline = Date.now() + timeoutMs;
  const found = new Map<string, OfferedTool>();
  const names: string[] = [];
  let cursor: string | undefined;
  for (let page = 1; ; page++) {
    const answer = await client.listTools(cursor === undefined ? undefined : { cursor }, {
      timeout: Math.max(1, deadline - Date.now()),
    });
    for (const tool of answer.tools) {
      if (names.length < NAMES_SHOWN) names.push(tool.name);
      if (wanted.has(tool.name) && !found.has(tool.name)) found.set(tool.name, tool);
    }
    if (found.size === wanted.size || !answer.nextCursor) return { found, names };
    if (page === MAX_TOOL_PAGES)
      throw new Error(
        `its tool list goes on past ${MAX_TOOL_PAGES} pages (nextCursor never ends) without offering ${[...wanted].filter((n) => !found.has(n)).join(', ')}`,
      );
    cursor = answer.nextCursor;
  }
}
