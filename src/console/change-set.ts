// How a drafted call is shown to the person deciding it: a file write or edit as a unified diff (the `diff`
// library), against the file as it is now in the role's workspace when it can be read there; any other
// call as its exact arguments, pretty-printed JSON, nothing elided.
import { createTwoFilesPatch } from 'diff';
import type { Role } from '../roles/schema.js';
import { openInside, resolveInside } from '../tools/workspace.js';
import { html, type Raw, raw } from './page.js';

/** The largest current file read to diff against; a larger one is diffed against nothing, and said so. */
const MAX_DIFF_BYTES = 512 * 1024;

/**
 * The file as it is now, read only inside the role's workspace (the drafted path may point anywhere),
 * through the fs tools' guard (openInside): a fifo the agent put at the path would block a plain read
 * forever, each on one of libuv's four threads, until the daemon's file and DNS work stalls; a hard link
 * may be a file outside. Its size is checked before it is read.
 */
async function currentText(role: Role | undefined, path: string): Promise<string | undefined> {
  if (!role?.workspace) return undefined;
  try {
    const where = await resolveInside(role.workspace, path, 'read', 'fs.write');
    if (!where.ok) return undefined;
    const handle = await openInside(where, path, 'read');
    try {
      if ((await handle.stat()).size > MAX_DIFF_BYTES) return undefined;
      const text = await handle.readFile('utf8');
      return text.length <= MAX_DIFF_BYTES ? text : undefined;
    } finally {
      await handle.close();
    }
  } catch {
    // Not there yet (a new file), outside the workspace, not a regular file, or hard-linked: diffed
    // against nothing.
    return undefined;
  }
}

function colored(patch: string): Raw {
  const lines = patch
    .split('\n')
    .filter((line) => !line.startsWith('====') && !line.startsWith('Index:')) // the library's banner
    .map((line) => {
      const cls = line.startsWith('@@')
        ? 'hunk'
        : line.startsWith('+') && !line.startsWith('+++')
          ? 'add'
          : line.startsWith('-') && !line.startsWith('---')
            ? 'del'
            : '';
      return cls ? html`<span class="${cls}">${line}</span>` : html`${line}`;
    });
  return raw(`<pre class="diff">${lines.map((l) => l.html).join('\n')}</pre>`);
}

/** One drafted call, rendered for the inbox. */
export async function renderCall(
  call: { tool: string; args: unknown; effect: string; reason: string },
  role: Role | undefined,
): Promise<Raw> {
  const args = (call.args ?? {}) as Record<string, unknown>;
  const head = html`<p><code>${call.tool}</code> <span class="muted">[${call.effect}]</span> ${call.reason}</p>`;
  if (call.tool === 'fs.write' && typeof args.path === 'string' && typeof args.content === 'string') {
    const before = (await currentText(role, args.path)) ?? '';
    const after = args.mode === 'append' ? before + args.content : args.content;
    return html`${head}${colored(createTwoFilesPatch(`a/${args.path}`, `b/${args.path}`, before, after))}`;
  }
  if (call.tool === 'fs.edit' && typeof args.path === 'string' && typeof args.old === 'string') {
    const replacement = typeof args.new === 'string' ? args.new : '';
    return html`${head}${colored(createTwoFilesPatch(`a/${args.path}`, `b/${args.path}`, `${args.old}\n`, `${replacement}\n`))}`;
  }
  return html`${head}<pre class="args">${JSON.stringify(call.args, null, 2)}</pre>`;
}
