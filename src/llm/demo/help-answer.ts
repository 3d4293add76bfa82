/**
 * The demo model's answer to search_help_center results: the top passage, as the help center
 * words it, with a link to its article, or a plain "the help center does not cover this". Like
 * a real model following the system prompt, it invents nothing.
 */

/** Longest passage quoted, in characters: the link leads to the rest. */
const MAX_PASSAGE_CHARS = 700;

export function helpCenterAnswer(data: Record<string, unknown>): string {
  const results = (Array.isArray(data.results) ? data.results : []).filter(
    (r): r is Record<string, unknown> => typeof r === "object" && r !== null,
  );
  const top = results[0];
  if (!top || typeof top.text !== "string") {
    return "I couldn't find anything about that in our help center, so I can't tell you for sure. Please contact our support team: they can help with this.";
  }
  const title = typeof top.title === "string" ? top.title : "the help center";
  const section = typeof top.section === "string" && top.section !== "" ? ` (${top.section})` : "";
  const text =
    top.text.length > MAX_PASSAGE_CHARS ? `${top.text.slice(0, MAX_PASSAGE_CHARS - 1).trimEnd()}…` : top.text;
  const link = typeof top.url === "string" ? `[${title.replace(/[[\]]/g, "")}](${top.url})` : `**${title}**`;
  return `Here's what our help center says in ${link}${section}:\n\n${text}`;
}
