/**
 * How a transcript line for /summarize shows a message's files: by name, never read. Summaries
 * cover many messages, and reading every screenshot in a channel would cost far more than the
 * summary is worth; the names still tell the reader (and the model) that something was shared.
 */

import { safeFileName } from "../core/attachments/format.js";

/**
 * "[attached: screenshot.png, app.log]", or "" when there are no files. Names are the sender's:
 * one line each and bounded, so a name cannot add lines (or fake speakers) to the transcript.
 */
export function attachedNote(names: readonly string[]): string {
  const shown = names.filter((n) => n.trim() !== "").map(safeFileName);
  return shown.length > 0 ? `[attached: ${shown.join(", ")}]` : "";
}

/** The line's text followed by its files' note, either of which may be empty. */
export function withAttachedNote(text: string, names: readonly string[]): string {
  return [text.trim(), attachedNote(names)].filter((s) => s !== "").join(" ");
}
