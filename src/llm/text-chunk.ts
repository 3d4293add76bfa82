/**
 * A fast path for the chunk a streamed answer is made of: one choice whose delta is nothing but
 * a piece of text. JSON-parsing every chunk was the largest item in the core's CPU profile
 * (17-23%), most of it building the id, model and fingerprint strings and the objects around a
 * few characters of text, all garbage a moment later. This recognises that exact shape with a
 * few native string searches and builds only what the reader needs; anything else (the first
 * chunk with the role, tool calls, refusals, reasoning, the finish, usage, errors, any layout it
 * does not know) returns null and is JSON-parsed as before.
 *
 * Why the searches are safe: inside a JSON string every `"` is escaped, so a run of text that
 * contains an unescaped `"` after its start can only be structure. The marker below contains
 * such quotes, so where it matches (and is not itself preceded by a backslash) it is the
 * chunk's own `choices` array.
 */

/** What the reader's consumer reads from a text chunk (see openai-model.ts). */
export interface TextChunk {
  choices: [{ index: 0; delta: { content: string }; finish_reason: null }];
}

const MARKER = '"choices":[{"index":0,"delta":{"content":"';
/** What may follow the text: the rest of the one choice, with no finish reason. */
const ENDINGS = [
  '"},"logprobs":null,"finish_reason":null}]',
  '"},"finish_reason":null,"logprobs":null}]',
  '"},"finish_reason":null}]',
];

/** The chunk's text when `data` is a plain text chunk in a layout we know, else null. */
export function textChunk(data: string): TextChunk | null {
  // A whole object, as JSON.parse would insist (a truncated payload still throws there).
  if (data.charCodeAt(0) !== 123 /* { */ || data.charCodeAt(data.length - 1) !== 125 /* } */) return null;
  const at = data.indexOf(MARKER);
  if (at <= 0 || data.charCodeAt(at - 1) === 92 /* \ */) return null;
  // One chunk per object: a second `choices`, usage or an error is for the full parser.
  if (data.indexOf(MARKER, at + 1) !== -1 || data.includes('"usage":{') || data.includes('"error"'))
    return null;
  const from = at + MARKER.length;
  // The closing quote: the first one not escaped (an even run of backslashes before it).
  let end = data.indexOf('"', from);
  let escaped = false;
  while (end !== -1) {
    let slashes = 0;
    while (data.charCodeAt(end - 1 - slashes) === 92) slashes++;
    if (slashes % 2 === 0) break;
    escaped = true;
    end = data.indexOf('"', end + 1);
  }
  if (end === -1) return null;
  if (!ENDINGS.some((ending) => data.startsWith(ending, end))) return null;
  let content: string;
  if (escaped || data.indexOf("\\", from) < end) {
    try {
      content = JSON.parse(data.slice(from - 1, end + 1)) as string;
    } catch {
      return null;
    }
  } else {
    content = data.slice(from, end);
  }
  return { choices: [{ index: 0, delta: { content }, finish_reason: null }] };
}
