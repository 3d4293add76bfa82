/**
 * Splits a markdown answer into messages that each fit a platform's limit (Slack ~4,000 chars
 * for readable text, Discord 2,000). Cuts prefer a paragraph break, then a line break, then a
 * space; a cut inside a code fence closes the fence and reopens it (same info string) in the
 * next message, so every message renders on its own.
 *
 * The split is greedy from the start, so once the text is longer than one message the earlier
 * parts never change as more text streams in: finished parts can be finalized early.
 */

const FENCE_RE = /^ {0,3}(`{3,}|~{3,})(.*)$/;

interface FenceState {
  /** The fence marker that opened the block, e.g. "```". */
  marker: string;
  /** The full opening line, e.g. "```ts". */
  opener: string;
}

/** Scan `text` line by line and return the fence still open at its end, if any. */
function openFenceAtEnd(text: string, initial: FenceState | null): FenceState | null {
  let open = initial;
  let start = 0;
  while (start <= text.length) {
    const nl = text.indexOf("\n", start);
    const line = nl === -1 ? text.slice(start) : text.slice(start, nl);
    const m = FENCE_RE.exec(line);
    if (m) {
      const marker = m[1] ?? "```";
      if (!open) open = { marker, opener: line.trim() };
      else if (
        marker[0] === open.marker[0] &&
        marker.length >= open.marker.length &&
        (m[2] ?? "").trim() === ""
      )
        open = null;
    }
    if (nl === -1) break;
    start = nl + 1;
  }
  return open;
}

/** Best cut position in `text` at or before `limit` (exclusive end of the first part). */
function cutPoint(text: string, limit: number): number {
  const window = text.slice(0, limit);
  // Do not accept a break too early in the window: a tiny first part wastes a message.
  const floor = Math.floor(limit * 0.5);
  const para = window.lastIndexOf("\n\n");
  if (para >= floor) return para + 2;
  const line = window.lastIndexOf("\n");
  if (line >= floor) return line + 1;
  const space = window.lastIndexOf(" ");
  if (space >= floor) return space + 1;
  // No natural break: hard cut, but never between the halves of a UTF-16 surrogate pair.
  const code = text.charCodeAt(limit - 1);
  return code >= 0xd800 && code <= 0xdbff ? limit - 1 : limit;
}

/**
 * Split `text` into parts of at most `maxChars` characters each. Parts are trimmed of trailing
 * blank lines; an empty text yields no parts.
 */
export function splitMarkdown(text: string, maxChars: number): string[] {
  if (maxChars < 40) throw new RangeError("maxChars must be at least 40");
  // Most answers fit one message: no copies, no scan for fences.
  if (text.length <= maxChars) return isBlank(text) ? [] : [text];
  const parts: string[] = [];
  let rest = text;
  let carried: FenceState | null = null;
  while (rest.length > 0) {
    const prefix = carried ? `${carried.opener}\n` : "";
    if (prefix.length + rest.length <= maxChars) {
      parts.push(prefix + rest);
      break;
    }
    // Reserve room for a closing fence we may have to add ("\n" + marker).
    const reserve = 1 + Math.max(carried?.marker.length ?? 0, 10);
    const room = maxChars - prefix.length - reserve;
    const cut = cutPoint(rest, Math.max(room, 1));
    const body = rest.slice(0, cut);
    const open = openFenceAtEnd(body, carried);
    let part = prefix + body.replace(/\n+$/, "");
    if (open) part += `\n${open.marker}`;
    parts.push(part);
    carried = open;
    rest = rest.slice(cut);
    if (!carried) rest = rest.replace(/^\n+/, "");
  }
  return parts.filter((p) => p.trim().length > 0);
}

/**
 * `text.trim() === ""` without the copy: decided by the first visible ASCII character, found past
 * any leading ASCII spaces and controls (answers often start with a space: the model's first
 * token); trim's notion of white space only for a text that has none of those.
 */
export function isBlank(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c > 32 && c < 127) return false;
    if (c > 127) break;
  }
  return text.trim() === "";
}
