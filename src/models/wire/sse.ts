// A lean reader of server-sent events (the WHATWG event-stream format) over a fetch body: lines found per
// chunk, events handed over as (name, data) without an object per event. Only what the model APIs use: `event:`
// and `data:` fields (several data lines joined by "\n"), comments and other fields skipped.
import { incompleteStream } from './collect.js';

/**
 * A copy of `text` that keeps no larger string alive. A slice of a string in V8 may be a view of its parent:
 * what waits for the next chunk (the unfinished line, an event's name and data so far) would otherwise keep
 * the whole previous chunk alive while the answer streams, for every turn in flight (bench/in-flight.ts's
 * heap snapshots, decision 040). Slicing the concatenation flattens it into a new string of its own.
 */
function own(text: string): string {
  return text.length < 13 ? text : ` ${text}`.slice(1);
}

/** A push parser: `push` each body chunk as it arrives, `end` once the body ended. */
export interface EventParser {
  push(chunk: Uint8Array): void;
  end(): void;
}

export function eventParser(onEvent: (name: string | undefined, data: string) => void): EventParser {
  const decoder = new TextDecoder();
  // The unfinished line's pieces, one per chunk: each chunk is searched for "\n" once, never the whole line
  // so far, and the pieces are joined once the line ends. Appending to one buffer and searching it from its
  // start on every chunk was quadratic: an 8 MB event in 16 KB chunks took 16 s of CPU, a 32 MB one over a
  // minute (a huge answer, or a hostile server, held the worker's CPU until the request timeout).
  let pending: string[] = [];
  let name: string | undefined;
  // The event's data lines, joined by "\n" when it is dispatched (not concatenated line by line: an event of
  // many data lines would be copied whole on each). `owned` lines of it are already copies (see `own`).
  let data: string[] | undefined;
  let owned = 0;
  let afterCR = false;
  const line = (text: string) => {
    if (text === '') {
      if (data !== undefined) onEvent(name, data.length === 1 ? (data[0] as string) : data.join('\n'));
      name = undefined;
      data = undefined;
      owned = 0;
      return;
    }
    if (text.charCodeAt(0) === 58 /* ':' comment */) return;
    const colon = text.indexOf(':');
    const field = colon < 0 ? text : text.slice(0, colon);
    let value = colon < 0 ? '' : text.slice(colon + 1);
    if (value.charCodeAt(0) === 32) value = value.slice(1);
    if (field === 'data') {
      if (data === undefined) data = [value];
      else data.push(value);
    } else if (field === 'event') name = value;
  };
  return {
    push(chunk) {
      let text = decoder.decode(chunk, { stream: true });
      if (text === '') return;
      // The format ends a line with CRLF, LF or a lone CR: every ending is made "\n" (a CR that ended the last
      // chunk already was, so a "\n" opening this one is its CRLF's rest). Lone-CR streams were read as one
      // line that never ended: no event, and the answer was retried as cut off until the run failed.
      if (afterCR && text.charCodeAt(0) === 10) {
        text = text.slice(1);
        afterCR = false;
        if (text === '') return;
      }
      afterCR = text.charCodeAt(text.length - 1) === 13;
      // From here on no line holds a CR: `line` needs no trailing-CR strip, nor does `end`'s rest.
      if (text.includes('\r')) text = text.replace(/\r\n?/g, '\n');
      let end = text.indexOf('\n');
      if (end < 0) {
        // The whole chunk's text is a string of its own, not a view of a larger one: kept as it is.
        if (text !== '') pending.push(text);
        return;
      }
      let start = 0;
      if (pending.length > 0) {
        pending.push(text.slice(0, end));
        const first = pending.join('');
        pending = [];
        line(first);
        start = end + 1;
        end = text.indexOf('\n', start);
      }
      for (; end >= 0; end = text.indexOf('\n', start)) {
        line(text.slice(start, end));
        start = end + 1;
      }
      // Only what waits for the next chunk is copied: once per chunk, not per event.
      if (start < text.length) pending.push(own(text.slice(start)));
      if (name !== undefined) name = own(name);
      if (data !== undefined) {
        for (; owned < data.length; owned++) data[owned] = own(data[owned] as string);
      }
    },
    end() {
      const rest = pending.join('') + decoder.decode();
      pending = [];
      // The stream's last event may lack its blank line; it still counts (as EventSource would not, but the
      // APIs' end events matter more than the format's letter). If it does not parse, the body ended inside
      // it (a proxy cut a clean stream mid-event): the answer is incomplete, worth a retry, not a bad answer.
      if (rest !== '') line(rest);
      if (data === undefined) return;
      try {
        onEvent(name, data.join('\n'));
      } catch (err) {
        if (err instanceof SyntaxError) throw incompleteStream();
        throw err;
      }
    },
  };
}

/** The parser over an async iterable of chunks (what a fetch body or a test's generator gives). */
export async function readEvents(
  body: AsyncIterable<Uint8Array>,
  onEvent: (name: string | undefined, data: string) => void,
): Promise<void> {
  const parser = eventParser(onEvent);
  for await (const chunk of body) parser.push(chunk);
  parser.end();
}
