/**
 * A fast path for the chunk a streamed answer is made of: one choice whose delta is nothing but
 * a piece of text. JSON-parsing every chunk was the largest item in the core's CPU profile
 * (17-23%), most of it building the id, model and fingerprint strings and the objects around a
 * few characters of text, all garbage a moment later. This recognises that exact shape with a
 * few native string searches and hands back the text alone (no objects around it); anything
 * else (the first
 * chunk with the role, tool calls, refusals, reasoning, the finish, usage, errors, any layout it
 * does not know) returns null and is JSON-parsed as before.
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

/** The chunk's text when `data` is a plain text chunk in a layout we know, else null. */
export function textChunk(data: string): string | null {
  // An object whose first key is the id (an error payload starts with "error"), and whole, as
  // JSON.parse would insist (a truncated payload still throws there).
  if (!data.startsWith('{"id":"') || data.charCodeAt(data.length - 1) !== 125 /* } */) return null;
  const at = data.indexOf(MARKER);
  if (at === -1) return null;
  const from = at + MARKER.length;
  // The closing quote: the first one not escaped (an even run of backslashes before it).
  let end = data.indexOf('"', from);
  let escaped = false;
  for (;;) {
    if (end === -1) return null;
    let slashes = 0;
    while (data.charCodeAt(end - 1 - slashes) === 92 /* \ */) slashes++;
    if (slashes % 2 === 0) break;
    escaped = true;
    end = data.indexOf('"', end + 1);
  }
  const ending = endingAt(data, end);
  if (!ending || !isPlainTail(data, end + ending.length)) return null;
  const backslash = escaped ? from : data.indexOf("\\", from);
  if (backslash === -1 || backslash >= end) return data.slice(from, end);
  try {
    return JSON.parse(data.slice(from - 1, end + 1)) as string;
  } catch {
    return null;
  }
}

/** After the choices: `}`, or `,"usage":null` and/or `,"obfuscation":"<letters>"`, then `}`. */
/** Which of ENDINGS starts at `at` (a loop, not `find`: no closure per chunk). */
function endingAt(data: string, at: number): string | undefined {
  for (const ending of ENDINGS) if (data.startsWith(ending, at)) return ending;
  return undefined;
}

function isPlainTail(data: string, at: number): boolean {
  let i = at;
  if (data.startsWith(USAGE_NULL, i)) i += USAGE_NULL.length;
  if (data.startsWith(OBFUSCATION, i)) {
    const close = data.indexOf('"', i + OBFUSCATION.length);
    const backslash = data.indexOf("\\", i);
    if (close === -1 || (backslash !== -1 && backslash < close)) return false;
    i = close + 1;
  }
  return i === data.length - 1;
}
