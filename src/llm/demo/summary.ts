/**
 * The demo model's summary: extractive, so it only ever repeats what the transcript says.
 * Expects one message per line, "Author: text", optionally prefixed with a time in brackets
 * or a list bullet ("[12:01] Ana: ...", "- **Ana**: ..."); other lines are headers and ignored.
 */

const LINE = /^\s*(?:[-*•]\s*)?(?:\[[^\]\n]{1,40}\]\s*)?(?:\*\*)?([^:\n*]{1,48}?)(?:\*\*)?:\s+(\S.*)$/;
/** Words that mark a line worth repeating: decisions, plans, problems, questions. */
const SIGNAL =
  /\b(?:decid\w*|agree\w*|will|plan\w*|need\w*|should|must|deadline|ship\w*|releas\w*|launch\w*|bug|fix\w*|broken|issue|blocked|todo|action|next|because|problem|error|customer)\b|\?|\d/gi;
const KEY_LINES = 5;
const LINE_MAX_CHARS = 160;
const NAMES_SHOWN = 6;

interface Said {
  author: string;
  text: string;
  at: number;
}

export function extractiveSummary(transcript: string): string {
  const said: Said[] = [];
  for (const line of transcript.split("\n")) {
    const m = LINE.exec(line);
    if (m?.[1] && m[2]) said.push({ author: m[1].trim(), text: m[2].trim(), at: said.length });
  }
  if (said.length === 0) {
    const lines = transcript.split("\n").filter((l) => l.trim() !== "").length;
    return `**Summary** (offline demo, extractive)\nThere is nothing to summarize: ${lines} line(s) without recognisable messages.`;
  }

  const counts = new Map<string, number>();
  for (const s of said) counts.set(s.author, (counts.get(s.author) ?? 0) + 1);
  const byActivity = [...counts.entries()].sort((a, b) => b[1] - a[1]);
  const names = byActivity.slice(0, NAMES_SHOWN).map(([name]) => name);
  const more = byActivity.length > NAMES_SHOWN ? ` and ${byActivity.length - NAMES_SHOWN} more` : "";
  const [topName, topCount] = byActivity[0] ?? ["", 0];

  const key = [...said]
    .map((s) => ({ s, score: score(s.text) }))
    .sort((a, b) => b.score - a.score || a.s.at - b.s.at)
    .slice(0, KEY_LINES)
    .map((x) => x.s)
    .sort((a, b) => a.at - b.at);

  const lines = [
    "**Summary** (offline demo, extractive)",
    `- ${said.length} message${said.length === 1 ? "" : "s"} from ${counts.size} participant${counts.size === 1 ? "" : "s"}: ${names.join(", ")}${more}.`,
    `- Most active: ${topName} (${topCount} message${topCount === 1 ? "" : "s"}).`,
    "",
    "**Key lines**",
    ...key.map((s) => `- ${s.author}: ${clip(s.text)}`),
  ];
  return lines.join("\n");
}

/** Longer lines with decision/problem words first; a cheap, deterministic stand-in for salience. */
function score(text: string): number {
  const signals = text.match(SIGNAL)?.length ?? 0;
  return Math.min(text.length, 200) / 40 + signals * 2;
}

function clip(text: string): string {
  return text.length > LINE_MAX_CHARS ? `${text.slice(0, LINE_MAX_CHARS - 3)}...` : text;
}
