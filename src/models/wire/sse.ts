// A lean reader of server-sent events (the WHATWG event-stream format) over a fetch body: one string buffer,
// events handed over as (name, data) without an object per event. Only what the model APIs use: `event:`
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
  let buffer = '';
  let name: string | undefined;
  let data: string | undefined;
  const line = (text: string) => {
    if (text === '') {
      if (data !== undefined) onEvent(name, data);
      name = undefined;
      data = undefined;
      return;
    }
    if (text.charCodeAt(0) === 58 /* ':' comment */) return;
    const colon = text.indexOf(':');
    const field = colon < 0 ? text : text.slice(0, colon);
    let value = colon < 0 ? '' : text.slice(colon + 1);
    if (value.charCodeAt(0) === 32) value = value.slice(1);
    if (field === 'data') data = data === undefined ? value : `${data}\n${value}`;
    else if (field === 'event') name = value;
  };
  return {
    push(chunk) {
      buffer += decoder.decode(chunk, { stream: true });
      let start = 0;
      for (let end = buffer.indexOf('\n', start); end >= 0; end = buffer.indexOf('\n', start)) {
        line(buffer.charCodeAt(end - 1) === 13 ? buffer.slice(start, end - 1) : buffer.slice(start, end));
        start = end + 1;
      }
      // Only what waits for the next chunk is copied: once per chunk, not per event.
      buffer = start === 0 ? buffer : own(buffer.slice(start));
      if (name !== undefined) name = own(name);
      if (data !== undefined) data = own(data);
    },
    end() {
      buffer += decoder.decode();
      // The stream's last event may lack its blank line; it still counts (as EventSource would not, but the
      // APIs' end events matter more than the format's letter). If it does not parse, the body ended inside
      // it (a proxy cut a clean stream mid-event): the answer is incomplete, worth a retry, not a bad answer.
      if (buffer !== '') line(buffer.endsWith('\r') ? buffer.slice(0, -1) : buffer);
      if (data === undefined) return;
      try {
        onEvent(name, data);
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
