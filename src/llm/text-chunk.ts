/**
 * A fast path for the chunk a streamed answer is made of: one choice whose delta is nothing but
 * a piece of text. JSON-parsing every chunk was the largest item in the core's CPU profile
 * (17-23%), most of it building the id, model and fingerprint strings and the objects around a
 * few characters of text, all garbage a moment later. This recognises that exact shape with a
 * few native byte searches over the network read and hands back the text alone (no objects
 * around it); anything else (the first chunk with the role, tool calls, refusals, reasoning, the
 * finish, usage, errors, any layout it does not know) returns null and is JSON-parsed as before.
 *
 * Why the search is safe: inside a JSON string every `"` is preceded by a backslash, so the
 * marker below (`,"choices":[{...`: a comma right before a quote) cannot match inside one; in
 * valid JSON it matches only the chunk's own `choices` array. What follows the text is checked
 * to the last character, so a second choice, usage or any field we do not know means null.
 */

/** How every chunk we read this way starts: an object whose first key is the id. */
export const CHUNK_START = '{"id":"';
/** Where a text chunk's text begins (the one choice's delta); see the header for why it is safe. */
export const TEXT_MARKER = ',"choices":[{"index":0,"delta":{"content":"';
export const CHUNK_START_BYTES = Buffer.from(CHUNK_START);
export const TEXT_MARKER_BYTES = Buffer.from(TEXT_MARKER);
/** What may follow the text: the rest of the one choice, with no finish reason. */
const ENDINGS = [
  '"},"logprobs":null,"finish_reason":null}]',
  '"},"finish_reason":null,"logprobs":null}]',
  '"},"finish_reason":null}]',
].map((ending) => Buffer.from(ending));
/** What may follow the choices: nothing, or OpenAI's `usage: null` and obfuscation padding. */
const USAGE_NULL = Buffer.from(',"usage":null');
const OBFUSCATION = Buffer.from(',"obfuscation":"');

/**
 * The chunk's text when `data` (a whole payload, already decoded) is a plain text chunk in a
 * layout we know, else null. The reader's way for a chunk it could not read in place.
 */
export function textChunk(data: string): string | null {
  // An object whose first key is the id (an error payload starts with "error").
  if (!data.startsWith(CHUNK_START)) return null;
  const at = data.indexOf(TEXT_MARKER);
  if (at === -1) return null;
  const bytes = Buffer.from(data);
  return textAfterMarkerBytes(
    bytes,
    Buffer.byteLength(data.slice(0, at)) + TEXT_MARKER_BYTES.length,
    bytes.length,
  );
}

/**
 * The text of a chunk that lies in `source` up to `end` (exclusive) and whose marker ends at
 * `from`: what the reader uses to read a chunk in place in a network read, decoded from its few
 * bytes alone. Null when what follows is not exactly the rest of a plain text chunk.
 */
export function textAfterMarkerBytes(source: Buffer, from: number, end: number): string | null {
  // Whole, as JSON.parse would insist (a truncated payload still throws there).
  if (end > source.length || source[end - 1] !== 125 /* } */) return null;
  // The closing quote: the first one not escaped (an even run of backslashes before it).
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
  for (const ending of ENDINGS) {
    if (startsWithBytes(source, close, ending)) {
      at = close + ending.length;
      break;
    }
  }
  if (at === -1 || !isPlainTail(source, at, end)) return null;
  if (!escaped) {
    const short = shortText(source, from, close);
    if (short !== null) return short;
    if (!hasBackslash(source, from, close)) return source.toString("utf8", from, close);
  }
  try {
    return JSON.parse(source.toString("utf8", from - 1, close + 1)) as string;
  } catch {
    return null;
  }
}

/** After the choices: `}`, or `,"usage":null` and/or `,"obfuscation":"<letters>"`, then `}`. */
function isPlainTail(data: Buffer, at: number, end: number): boolean {
  let i = at;
  if (startsWithBytes(data, i, USAGE_NULL)) i += USAGE_NULL.length;
  if (startsWithBytes(data, i, OBFUSCATION)) {
    const close = data.indexOf(34, i + OBFUSCATION.length);
    if (close === -1 || close >= end || hasBackslash(data, i, close)) return false;
    i = close + 1;
  }
  return i === end - 1;
}

/** Whether `pattern` lies in `bytes` at `at` (a loop: shorter than a native call for these). */
export function startsWithBytes(bytes: Buffer, at: number, pattern: Buffer): boolean {
  if (at < 0 || at + pattern.length > bytes.length) return false;
  for (let i = 0; i < pattern.length; i++) if (bytes[at + i] !== pattern[i]) return false;
  return true;
}

/**
 * Whether a backslash lies in [from, to). A loop over a few bytes, not `indexOf`: that would
 * search on to the end of the whole network read when the text has none, for every chunk in it.
 */
function hasBackslash(source: Buffer, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (source[i] === 92) return true;
  return false;
}

/**
 * Texts of a few ASCII bytes already decoded, keyed by their length and bytes packed into one
 * number (base 128, exact below 2^53). Most chunks carry one short token, and `toString` on a few
 * bytes costs more than finding the chunk's line and text (~260 ns against ~40 ns for a byte
 * search on the benchmark machine); a token seen before is taken from here. Cleared when full.
 */
const shortTexts = new Map<number, string>();
const SHORT_TEXTS_MAX = 4096;
const SHORT_TEXT_BYTES = 6;

/** The text in [from, to) when it is 1 to 6 ASCII bytes with no backslash, else null. */
function shortText(source: Buffer, from: number, to: number): string | null {
  const length = to - from;
  if (length < 1 || length > SHORT_TEXT_BYTES) return null;
  let key = length;
  for (let i = from; i < to; i++) {
    const c = source[i]!;
    if (c > 127 || c === 92) return null;
    key = key * 128 + c;
  }
  let text = shortTexts.get(key);
  if (text === undefined) {
    if (shortTexts.size >= SHORT_TEXTS_MAX) shortTexts.clear();
    text = source.toString("latin1", from, to);
    shortTexts.set(key, text);
  }
  return text;
}
