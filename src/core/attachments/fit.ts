/**
 * All files of one message together take at most ATTACHMENT_TOKEN_BUDGET, an allowance of their
 * own on top of CONTEXT_TOKEN_BUDGET: they never push the conversation out of the request, and one
 * message cannot spend a day's tokens in a few requests. Files are fitted in order: one that does
 * not fit in what is left is made cheaper (an image at `low` detail, a text cut shorter) and, if
 * that does not fit either, is not sent; the answer says which, by name. With the default
 * allowance (40,000) one high-detail full-HD screenshot fits even on gpt-4o-mini (36,835 tokens);
 * a second one goes at low detail (2,833) and the answer says so.
 */
import type { TokenCounter } from "../ports.js";
import type { ContentPart } from "../types.js";
import { type ReadFile, withHeader, withText } from "./read.js";
import type { AttachmentSettings } from "./settings.js";

/** A text cut shorter than this many tokens is not worth sending: the file is left out instead. */
const MIN_TEXT_TOKENS = 200;

/** Fit `files` (changed in place) into `allowance` tokens. */
export function fitAttachments(
  files: ReadFile[],
  allowance: number,
  counter: TokenCounter,
  settings: AttachmentSettings,
): void {
  let left = allowance;
  for (const file of files) {
    let cost = partsTokens(file.parts, counter);
    if (cost > left && !file.unread) {
      const image = file.parts.find((p) => p.type === "image");
      if (image?.type === "image" && image.detail === "high") {
        image.detail = "low";
        file.lowDetail = true;
        cost = partsTokens(file.parts, counter);
      } else if (file.source !== undefined) {
        // What the header and the cut note take besides the text itself, with some slack.
        const overhead = cost - counter.count(textOf(file.parts)) + 40;
        const limit = left - overhead;
        if (limit >= MIN_TEXT_TOKENS) {
          const total = file.cut?.totalTokens;
          withText(file, file.source, settings, counter, limit);
          if (file.cut && total !== undefined) file.cut.totalTokens = Math.max(file.cut.totalTokens, total);
          cost = partsTokens(file.parts, counter);
        }
      }
      if (cost > left) {
        file.lowDetail = undefined;
        file.cut = undefined;
        file.unread = { reason: "over_budget" };
        withHeader(file, settings);
        cost = partsTokens(file.parts, counter);
      }
    }
    file.source = undefined;
    left -= cost;
  }
}

export function partsTokens(parts: ContentPart[], counter: TokenCounter): number {
  const empty = counter.countMessages([{ role: "user", content: "" }]);
  return counter.countMessages([{ role: "user", content: "", parts }]) - empty;
}

function textOf(parts: ContentPart[]): string {
  return parts.map((p) => (p.type === "text" ? p.text : "")).join("");
}
