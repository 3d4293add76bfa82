/**
 * A fast path for the chunk a streamed answer is made of: one choice whose delta is nothing but
 * a piece of text. JSON-parsing every chunk was the largest item in the core's CPU profile
 * (17-23%), most of it building the id, model and fingerprint strings and the objects around a
 * few characters of text, all garbage a moment later. This recognises that exact shape with a
 * few native string searches and hands back the text alone (no objects around it); anything
 * else (the first chunk with the role, tool calls, refusals, reasoning, the finish, usage,
 * errors, any layout it does not know) returns null and is JSON-parsed as before.
 *
 * Why the search is safe: inside a JSON string every `"` is preceded by a backslash, so the
 * marker below (`,"choices":[{...`: a comma right before a quote) cannot match inside one; in
 * valid JSON it matches only the chunk's own `choices` array. What follows the text is checked
 * to the last character, so a second choice, usage or any field we do not know means null.
 */

const MARKER = ',"choices":[{"index":0,"delta":{"content":"';
/** What may follow the text: the rest of the one choice, with no finish reason. */
const ENDINGS = [
  '"},"logprobs":null,"finish_reason":null}]',
  '"},"finish_reason":null,"logprobs":null}]',
  '"},"finish_reason":null}]',
];
/** What may follow the choices: nothing, or OpenAI's `usage: null` and obfuscation padding. */
const USAGE_NULL = ',"usage":null';
const OBFUSCATION = ',"obfuscation":"';

/** How every chunk we read this way starts: an object whose first key is the id. */
export const CHUNK_START = '{"id":"';
/** Where a text chunk's text begins (the one choice's delta); see the header for why it is safe. */
export const TEXT_MARKER = MARKER;

/** The chunk's text when `data` is a plain text chunk in a layout we know, else null. */
export function textChunk(data: string): string | null {
  // An object whose first key is the id (an error payload starts with "error").
  if (!data.startsWith(CHUNK_START)) return null;
  const at = data.indexOf(MARKER);
  if (at === -1) return null;
  return textAfterMarker(data, at + MARKER.length, data.length);
}

/**
 * The text of a chunk that lies in `source` up to `end` (exclusive) and whose marker ends at
 * `from`: what the reader uses to read a chunk in place, without cutting it out of the read
 * first. Null when what follows is not exactly the rest of a plain text chunk.
 */
export function textAfterMarker(source: string, from: number, end: number): string | null {
  // Whole, as JSON.parse would insist (a truncated payload still throws there).
  if (source.charCodeAt(end - 1) !== 125 /* } */) return null;
  // The closing quote: the first one not escaped (an even run of backslashes before it).
  let close = source.indexOf('"', from);
  let escaped = false;
  for (;;) {
    if (close === -1 || close >= end) return null;
    let slashes = 0;
    while (source.charCodeAt(close - 1 - slashes) === 92 /* \ */) slashes++;
    if (slashes % 2 === 0) break;
    escaped = true;
    close = source.indexOf('"', close + 1);
  }
  const ending = endingAt(source, close);
  if (!ending || !isPlainTail(source, close + ending.length, end)) return null;
  if (!escaped && !hasBackslash(source, from, close)) return source.slice(from, close);
  try {
    return JSON.parse(source.slice(from - 1, close + 1)) as string;
  } catch {
    return null;
  }
}

/** Which of ENDINGS starts at `at` (a loop, not `find`: no closure per chunk). */
function endingAt(data: string, at: number): string | undefined {
  for (const ending of ENDINGS) if (data.startsWith(ending, at)) return ending;
  return undefined;
}

/** After the choices: `}`, or `,"usage":null` and/or `,"obfuscation":"<letters>"`, then `}`. */
function isPlainTail(data: string, at: number, end: number): boolean {
  let i = at;
  if (data.startsWith(USAGE_NULL, i)) i += USAGE_NULL.length;
  if (data.startsWith(OBFUSCATION, i)) {
    const close = data.indexOf('"', i + OBFUSCATION.length);
    if (close === -1 || close >= end || hasBackslash(data, i, close)) return false;
    i = close + 1;
  }
  return i === end - 1;
}

/**
 * Whether a backslash lies in [from, to). A loop over a few characters, not `indexOf`: that would
 * search on to the end of the whole network read when the text has none, for every chunk in it.
 */
function hasBackslash(source: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (source.charCodeAt(i) === 92) return true;
  return false;
}

const ENDINGS_BYTES = ENDINGS.map((e) => Buffer.from(e));
const USAGE_NULL_BYTES = Buffer.from(USAGE_NULL);
const OBFUSCATION_BYTES = Buffer.from(OBFUSCATION);

/**
 * `textAfterMarker` over the bytes of a network read (the SSE reader reads bytes): the chunk's
 * text, decoded from its few bytes alone, or null under the same rules.
 */
export function textAfterMarkerBytes(source: Buffer, from: number, end: number): string | null {
  if (end > source.length || source[end - 1] !== 125 /* } */) return null;
  let close = source.indexOf(34 /* " */, from);
  let escaped = false;
  for (;;) {
    if (close === -1 || close >= end) return null;
    let slashes = 0;
    while (source[close - 1 - slashes] === 92 /* \ */) slashes++;
    if (slashes % 2 === 0) break;
    escaped = true;
    close = source.indexOf(34, close + 1);
  }
  let at = -1;
  for (const ending of ENDINGS_BYTES) {
    if (bytesAt(source, close, ending)) {
      at = close + ending.length;
      break;
    }
  }
  if (at === -1 || !isPlainTailBytes(source, at, end)) return null;
  if (!escaped && !hasBackslashByte(source, from, close)) return source.toString("utf8", from, close);
  try {
    return JSON.parse(source.toString("utf8", from - 1, close + 1)) as string;
  } catch {
    return null;
  }
}

function isPlainTailBytes(data: Buffer, at: number, end: number): boolean {
  let i = at;
  if (bytesAt(data, i, USAGE_NULL_BYTES)) i += USAGE_NULL_BYTES.length;
  if (bytesAt(data, i, OBFUSCATION_BYTES)) {
    const close = data.indexOf(34, i + OBFUSCATION_BYTES.length);
    if (close === -1 || close >= end || hasBackslashByte(data, i, close)) return false;
    i = close + 1;
  }
  return i === end - 1;
}

function bytesAt(data: Buffer, at: number, pattern: Buffer): boolean {
  if (at + pattern.length > data.length) return false;
  for (let i = 0; i < pattern.length; i++) if (data[at + i] !== pattern[i]) return false;
  return true;
}

function hasBackslashByte(source: Buffer, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (source[i] === 92) return true;
  return false;
}
