/**
 * Text of a file (a log, a CSV, a PDF's text) cut to a token limit, so one large log cannot push
 * the question and the whole history out of the context window.
 */
import type { TokenCounter } from "../ports.js";

export interface CutText {
  text: string;
  /** Set when the text was cut: about how many tokens the whole text has. */
  cut?: { keptTokens: number; totalTokens: number } | undefined;
}

/**
 * Only this many characters per allowed token are ever tokenized: a token is rarely longer than
 * a few characters, and tokenizing a whole 10 MB log to keep its first 4,000 tokens would cost
 * seconds of CPU.
 */
const WINDOW_CHARS_PER_TOKEN = 12;
/** A cut that lands this close after a line break moves back to it, so no half line is shown. */
const LINE_BACKOFF_SHARE = 0.2;
/** Each retry of the cut keeps this share of the previous attempt. */
const SHRINK = 0.95;

export function cutToTokens(text: string, limit: number, counter: TokenCounter): CutText {
  const window = text.slice(0, limit * WINDOW_CHARS_PER_TOKEN);
  const windowTokens = counter.count(window);
  if (window.length === text.length && windowTokens <= limit) return { text };
  const totalTokens = Math.round((text.length * windowTokens) / Math.max(1, window.length));
  let chars = windowTokens <= limit ? window.length : Math.floor((window.length * limit) / windowTokens);
  let kept = window.slice(0, chars);
  let keptTokens = counter.count(kept);
  while (keptTokens > limit && chars > 0) {
    chars = Math.floor(chars * SHRINK);
    kept = window.slice(0, chars);
    keptTokens = counter.count(kept);
  }
  const lineEnd = kept.lastIndexOf("\n");
  if (lineEnd > 0 && lineEnd >= kept.length * (1 - LINE_BACKOFF_SHARE)) {
    kept = kept.slice(0, lineEnd);
    keptTokens = counter.count(kept);
  }
  return { text: kept, cut: { keptTokens, totalTokens: Math.max(totalTokens, keptTokens) } };
}
