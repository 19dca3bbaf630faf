// How a drafted call is shown to the person deciding it: a file write or edit as a unified diff (the `diff`
// library) of the file as it is now in the role's workspace against what the call would leave there, with
// the role's secret values scrubbed from the file as the call's stored arguments were scrubbed; what
// cannot be diffed (a file not read, a text to replace that is absent or ambiguous) is said on the page,
// beside the call, never shown as an invented hunk. Any other call as its exact arguments, pretty-printed
// JSON, nothing elided. docs/console.md lists each case.
import { createTwoFilesPatch } from 'diff';
import { NightshiftError } from '../errors.js';
import type { Role } from '../roles/schema.js';
import { WRITE_LIMIT } from '../tools/builtin/fs-write.js';
import { loadSecrets, placeholderNames, type Redactor, redactorFor } from '../tools/secrets.js';
import { openInside, resolveInside } from '../tools/workspace.js';
import { html, type Raw, raw } from './page.js';

/** The largest current file read to diff against; a larger one is not read, and the page says so. */
const MAX_DIFF_BYTES = 512 * 1024;

/**
 * What scrubs a role's files before they are shown: its secret values (and their encoded forms), as the
 * engine scrubs a call's arguments before storing them (tools/secrets.ts). `ok: false` when the role's
 * secrets cannot be read in this process: its files are then not shown at all.
 */
export type FileScrub = { ok: true; redact: Redactor | undefined } | { ok: false };

export function fileScrubFor(role: Role | undefined, env: NodeJS.ProcessEnv): FileScrub {
  if (!role) return { ok: true, redact: undefined };
  try {
    return { ok: true, redact: redactorFor(loadSecrets(role, env)) };
  } catch {
    return { ok: false };
  }
}

/** The file as it is now: its text (secrets scrubbed), not there (a new file), or not read and why. */
type Current =
  /** `raw` is for checks only (never shown): whether an edit's text overlaps a secret's value. */
  { kind: 'text'; text: string; raw: string } | { kind: 'absent' } | { kind: 'unread'; why: string };

function sizeText(bytes: number): string {
  return bytes < 1024 * 1024 ? `${Math.ceil(bytes / 1024)} KiB` : `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

/**
 * The file as it is now, read only inside the role's workspace (the drafted path may point anywhere),
 * through the fs tools' guard (openInside): a fifo the agent put at the path would block a plain read
 * forever, each on one of libuv's four threads, until the daemon's file and DNS work stalls; a hard link
 * may be a file outside. Its size is checked before it is read.
 */
async function currentFile(role: Role | undefined, path: string, scrub: FileScrub): Promise<Current> {
  if (!role) return { kind: 'unread', why: 'its role is not served here, so its workspace is not known' };
  // A file may hold a secret's value (an earlier approved call wrote it): unscrubbed, it is not shown.
  if (!scrub.ok)
    return {
      kind: 'unread',
      why: "the role's secrets cannot be read in this process, so its files (which may hold one) are not shown",
    };
  try {
    const where = await resolveInside(role.workspace, path, 'read', 'fs.write');
    if (!where.ok) return { kind: 'unread', why: where.reason };
    let handle: Awaited<ReturnType<typeof openInside>>;
    try {
      handle = await openInside(where, path, 'read');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'absent' };
      throw err;
    }
    try {
      const size = (await handle.stat()).size;
      const over = (bytes: number): Current => ({
        kind: 'unread',
        why: `the file is ${sizeText(bytes)}, over the ${MAX_DIFF_BYTES / 1024} KiB the console reads to diff`,
      });
      if (size > MAX_DIFF_BYTES) return over(size);
      const text = await handle.readFile('utf8');
      if (text.length > MAX_DIFF_BYTES) return over(Buffer.byteLength(text)); // it grew while read
      return { kind: 'text', text: scrub.redact ? scrub.redact(text) : text, raw: text };
    } finally {
      await handle.close();
    }
  } catch (err) {
    // Not a regular file, outside the workspace, hard-linked (the guard's reasons name only the path).
    const why = NightshiftError.isInstance(err)
      ? err.message
      : `it cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`;
    return { kind: 'unread', why };
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

/** Text the call adds where the file could not be read: its lines, no hunk (where they land is unknown). */
function addedLines(content: string): Raw {
  const lines = content.split('\n');
  if (lines.length > 1 && lines.at(-1) === '') lines.pop();
  return raw(
    `<pre class="diff">${lines.map((l) => html`<span class="add">+${l}</span>`.html).join('\n')}</pre>`,
  );
}

/** Said beside the diff, where the person deciding reads it. */
function note(text: Raw | string): Raw {
  return html`<p class="diff-note">${text}</p>`;
}

function argsBlock(args: unknown): Raw {
  return html`<pre class="args">${JSON.stringify(args, null, 2)}</pre>`;
}

function renderWrite(path: string, content: string, mode: unknown, current: Current, args: unknown): Raw {
  const append = mode === 'append';
  if (current.kind === 'absent')
    return html`${note(html`New file: there is no <code>${path}</code> in the workspace now.`)}${colored(
      createTwoFilesPatch('/dev/null', `b/${path}`, '', content),
    )}`;
  if (current.kind === 'unread')
    return html`${note(
      html`The file <code>${path}</code> was not read (${current.why}); not shown. ${
        append
          ? 'This call adds the text below to its end.'
          : mode === 'create'
            ? 'This call creates it with the text below, and fails if it exists with other text.'
            : 'This call replaces it whole with the text below.'
      }`,
    )}${addedLines(content)}`;
  if (mode === 'create' && current.text !== content)
    return html`${note(
      html`The file <code>${path}</code> exists with other text, and this call (mode: create) fails on it; nothing is written. The text it would write:`,
    )}${argsBlock(args)}`;
  const after = append ? current.text + content : content;
  if (after === current.text)
    return note(html`The file <code>${path}</code> already holds exactly this text: nothing changes.`);
  return colored(createTwoFilesPatch(`a/${path}`, `b/${path}`, current.text, after));
}

function renderEdit(
  path: string,
  old: string,
  replacement: string,
  all: boolean,
  current: Current,
  args: unknown,
): Raw {
  // Said whatever follows: the diff shows what one edit does, this says how many it makes.
  const scope = all
    ? html`<p class="facts"><code>all: true</code>: every occurrence of the text is replaced.</p>`
    : html`<p class="facts">One occurrence of the text is replaced (<code>all</code> is not set).</p>`;
  const unshown = (why: Raw): Raw => html`${scope}${note(why)}${argsBlock(args)}`;
  if (current.kind === 'absent')
    return unshown(
      html`There is no <code>${path}</code> in the workspace now: this call fails; nothing is changed. Its arguments:`,
    );
  if (current.kind === 'unread')
    return unshown(
      html`The file <code>${path}</code> was not read (${current.why}); the edit is not shown as a diff. Its arguments:`,
    );
  // The stored arguments have secret values scrubbed, as the file's text here has: the edit is applied to
  // the scrubbed text, as fs.edit applies it (src/tools/builtin/fs-edit.ts).
  const count = current.text.split(old).length - 1;
  // A text to replace without a placeholder is the text the tool looks for: found another number of times
  // in the file than in its scrubbed text, it overlaps a secret's value, which a diff would show in part.
  if (placeholderNames(old).size === 0 && current.raw.split(old).length - 1 !== count)
    return unshown(
      html`The text to replace in <code>${path}</code> overlaps a secret's value there; the change is not shown. Its arguments:`,
    );
  if (count === 0)
    return unshown(
      html`The text to replace is not in <code>${path}</code> as it is now: this call fails; nothing is changed. Its arguments:`,
    );
  if (count > 1 && !all)
    return unshown(
      html`The text to replace occurs ${count} times in <code>${path}</code> and <code>all</code> is not set: this call fails; nothing is changed. Its arguments:`,
    );
  const replaced = all ? count : 1;
  // Checked before the new text is built: a long replacement times many occurrences would not fit in memory.
  const size =
    Buffer.byteLength(current.text) + replaced * (Buffer.byteLength(replacement) - Buffer.byteLength(old));
  if (size > WRITE_LIMIT)
    return unshown(
      html`Replacing ${replaced} occurrences would make <code>${path}</code> ${size} bytes, over the ${WRITE_LIMIT}-byte write limit: this call fails; nothing is changed. Its arguments:`,
    );
  const after = all
    ? current.text.split(old).join(replacement)
    : current.text.replace(old, () => replacement);
  return html`${scope}${note(`Replaces ${replaced} occurrence${replaced === 1 ? '' : 's'}.`)}${colored(
    createTwoFilesPatch(`a/${path}`, `b/${path}`, current.text, after),
  )}`;
}

/** One drafted call, rendered for the inbox; `scrub` is fileScrubFor(role). */
export async function renderCall(
  call: { tool: string; args: unknown; effect: string; reason: string },
  role: Role | undefined,
  scrub: FileScrub,
): Promise<Raw> {
  const args = (call.args ?? {}) as Record<string, unknown>;
  const head = html`<p><code>${call.tool}</code> <span class="muted">[${call.effect}]</span> ${call.reason}</p>`;
  if (call.tool === 'fs.write' && typeof args.path === 'string' && typeof args.content === 'string') {
    const current = await currentFile(role, args.path, scrub);
    return html`${head}${renderWrite(args.path, args.content, args.mode, current, call.args)}`;
  }
  if (
    call.tool === 'fs.edit' &&
    typeof args.path === 'string' &&
    typeof args.old === 'string' &&
    args.old !== ''
  ) {
    const current = await currentFile(role, args.path, scrub);
    const replacement = typeof args.new === 'string' ? args.new : '';
    return html`${head}${renderEdit(args.path, args.old, replacement, args.all === true, current, call.args)}`;
  }
  return html`${head}${argsBlock(call.args)}`;
}
