/**
 * The "Sources:" line under an answer. The model is asked to cite the help articles it used as
 * links; whether it also writes a tidy sources list is up to it. So the core decides: every
 * article from this turn's tool results that the answer links is listed once, in the order of
 * the results, on one line at the end, and a sources list the model wrote itself is replaced by
 * it. An answer that links none of them (the help center did not cover the question) gets no line.
 */
import type { Source } from "./ports.js";

const SOURCES_LABEL = "Sources:";
/**
 * A line that starts a sources list: "Sources:", "**Sources**:", "*Sources:*", "### Sources",
 * "Source: [..](..)", "_Source: [..](..)_".
 */
const SOURCES_HEADING =
  /^\s*(?:#{1,6}\s*)?(?:[*_]{1,2})?sources?(?:[*_]{1,2})?\s*(?::|$)\s*(?:[*_]{1,2})?\s*(.*)$/i;
/**
 * A line of a list of links (the rest of a model-written sources list): it holds a markdown link,
 * or is a list item that is a bare URL. Kept free of nested `\s*`/`.*` runs: the former pattern
 * backtracked cubically, and one model line of 4,000 spaces blocked the event loop for 24 s.
 */
const LINK_LINE_PATTERN = /\]\([^)]+\)|^\s*(?:[-*+]|\d+[.)])\s*<?https?:\/\/\S+>?\s*$/;
/** A sources entry is short; longer lines are text (and bound the pattern's work). */
const LINK_LINE_MAX_CHARS = 1_000;
const LINK_LINE = {
  test: (line: string) => line.length <= LINK_LINE_MAX_CHARS && LINK_LINE_PATTERN.test(line),
};

export function withSources(answer: string, sources: readonly Source[]): string {
  const cited = citedSources(answer, sources);
  if (cited.length === 0) return answer;
  const body = withoutSourcesList(answer).trimEnd();
  const line = `${SOURCES_LABEL} ${cited.map((s) => `[${escapeLabel(s.title)}](${s.url})`).join(", ")}`;
  return body === "" ? line : `${body}\n\n${line}`;
}

/** The sources whose URL the answer links (fragment and trailing slash ignored), each once. */
export function citedSources(answer: string, sources: readonly Source[]): Source[] {
  const seen = new Set<string>();
  const out: Source[] = [];
  for (const s of sources) {
    const key = pageOf(s.url);
    if (seen.has(key)) continue;
    seen.add(key);
    if (linksTo(answer, key)) out.push(s);
  }
  return out;
}

function pageOf(url: string): string {
  return url.replace(/#.*$/, "").replace(/\/+$/, "");
}

/** The answer contains the page's URL, not merely a longer URL that starts with it. */
function linksTo(answer: string, page: string): boolean {
  let at = answer.indexOf(page);
  while (at >= 0) {
    const end = at + page.length;
    // "/returns" is linked by ".../returns", ".../returns/" and ".../returns#x", not ".../returns/refunds".
    const next = answer.charAt(end) === "/" ? answer.charAt(end + 1) : answer.charAt(end);
    if (next === "" || /[)\s>#?.,;:!"'\]]/.test(next)) return true;
    at = answer.indexOf(page, at + 1);
  }
  return false;
}

/**
 * Drop the (last) sources list the model wrote: a heading line and the link lines right under it.
 * Text after it (a sign-off) stays; the core's line then goes below that.
 */
function withoutSourcesList(answer: string): string {
  const lines = answer.split("\n");
  for (let i = lines.length - 1; i >= 0; i--) {
    const heading = SOURCES_HEADING.exec(lines[i] ?? "");
    if (!heading) continue;
    const inline = heading[1]?.trim() ?? "";
    if (inline !== "" && !LINK_LINE.test(inline)) break;
    let links = inline === "" ? 0 : 1;
    let end = i + 1;
    for (let j = i + 1; j < lines.length; j++) {
      const line = lines[j] ?? "";
      if (line.trim() === "") continue;
      if (!LINK_LINE.test(line)) break;
      links++;
      end = j + 1;
    }
    const after = lines.slice(end).join("\n").trim();
    // A bare "Sources:" word over ordinary text is not a list.
    if (links === 0 && after !== "") break;
    const before = lines.slice(0, i).join("\n").trimEnd();
    return after === "" ? before : `${before}\n\n${after}`;
  }
  return answer;
}

function escapeLabel(title: string): string {
  return title.replace(/[[\]]/g, "\\$&");
}
