/**
 * Markdown (what the model writes) to Slack mrkdwn (what a message's section blocks render).
 * Slack's dialect differs: *bold*, _italic_, ~strike~, <url|label> links, no headings, no tables,
 * no language tags on code fences, and `&`, `<`, `>` must be escaped everywhere (code included).
 * The text may be a half-streamed answer: an unclosed code fence is closed, unfinished inline
 * markup is left as typed until its closing marker arrives.
 */

/** Private-use characters mark spans already converted, so later rules leave them alone. */
const HOLD_START = "\uE000";
const HOLD_END = "\uE001";
const BOLD = "\uE002";

export function markdownToMrkdwn(markdown: string): string {
  const out: string[] = [];
  const lines = markdown.replace(/\r\n?/g, "\n").split("\n");
  let i = 0;
  while (i < lines.length) {
    const line = lines[i] ?? "";
    const fence = /^\s*(`{3,}|~{3,})/.exec(line);
    if (fence) {
      // A fenced block: copied verbatim (escaped), without its language tag.
      const marker = fence[1] ?? "```";
      const body: string[] = [];
      i++;
      while (i < lines.length && !(lines[i] ?? "").trim().startsWith(marker)) {
        body.push(escapeText(lines[i] ?? ""));
        i++;
      }
      i++; // the closing fence (or past the end: the block is closed for display)
      out.push(`\`\`\`\n${body.join("\n")}\n\`\`\``);
      continue;
    }
    if (isTableRow(line) && isTableSeparator(lines[i + 1] ?? "")) {
      // Slack has no tables: a monospace block keeps the columns aligned and readable.
      const rows: string[] = [];
      while (i < lines.length && isTableRow(lines[i] ?? "")) {
        const row = lines[i] ?? "";
        if (!isTableSeparator(row)) rows.push(row.trim());
        i++;
      }
      out.push(`\`\`\`\n${alignTable(rows).map(escapeText).join("\n")}\n\`\`\``);
      continue;
    }
    out.push(convertLine(line));
    i++;
  }
  return out.join("\n");
}

function convertLine(line: string): string {
  const heading = /^\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
  if (heading) {
    const text = heading[1] ?? "";
    return text === "" ? "" : `*${convertInline(stripOuterBold(text))}*`;
  }
  if (/^\s{0,3}([-*_])(\s*\1){2,}\s*$/.test(line)) return "──────────";
  const quote = /^(\s*)>\s?(.*)$/.exec(line);
  if (quote) return `> ${convertLine(quote[2] ?? "")}`;
  const bullet = /^(\s*)[-*+]\s+(.*)$/.exec(line);
  if (bullet) {
    const depth = Math.floor((bullet[1] ?? "").replace(/\t/g, "  ").length / 2);
    const task = /^\[([ xX])\]\s+(.*)$/.exec(bullet[2] ?? "");
    const marker = task ? (task[1] === " " ? "☐" : "☑") : depth % 2 === 0 ? "•" : "◦";
    return `${"    ".repeat(depth)}${marker} ${convertInline(task ? (task[2] ?? "") : (bullet[2] ?? ""))}`;
  }
  const ordered = /^(\s*)(\d+)[.)]\s+(.*)$/.exec(line);
  if (ordered) {
    const depth = Math.floor((ordered[1] ?? "").length / 2);
    return `${"    ".repeat(depth)}${ordered[2]}. ${convertInline(ordered[3] ?? "")}`;
  }
  return convertInline(line);
}

/** Inline markup of one line: code spans, links, Slack tokens, emphasis, strikethrough. */
export function convertInline(text: string): string {
  const held: string[] = [];
  const hold = (s: string) => `${HOLD_START}${held.push(s) - 1}${HOLD_END}`;
  let s = text;
  // Code spans first: nothing inside them is markup.
  s = s.replace(/(`+)([^`]|[^`][\s\S]*?[^`])\1(?!`)/g, (_m, _ticks: string, code: string) =>
    hold(`\`${escapeText(code.trim())}\``),
  );
  // Slack's own tokens (user mentions, channel links, URLs) pass through untouched here; pings are
  // made inert on the final strings, on their way out (outgoing.ts).
  s = s.replace(/<(?:[@#][^<>\s]+|https?:\/\/[^<>\s]+)>/g, (m) => hold(m));
  // Images and links: [label](url "title").
  s = s.replace(
    /!?\[([^\]\n]+)\]\(\s*<?([^()\s<>]+)>?(?:\s+"[^"]*")?\s*\)/g,
    (_m, label: string, url: string) =>
      hold(`<${escapeUrl(url)}|${escapeText(label.replace(/[*_~`]/g, ""))}>`),
  );
  s = escapeText(s);
  // ***both*** -> *_both_*, **bold** / __bold__ -> *bold*, *italic* / _italic_ -> _italic_.
  s = s.replace(/\*\*\*(?=\S)([^*]+?)(?<=\S)\*\*\*/g, `${BOLD}_$1_${BOLD}`);
  s = s.replace(/\*\*(?=\S)(.+?)(?<=\S)\*\*/g, `${BOLD}$1${BOLD}`);
  s = s.replace(/(?<![\w\\])__(?=\S)(.+?)(?<=\S)__(?!\w)/g, `${BOLD}$1${BOLD}`);
  s = s.replace(/(?<![*\w\\])\*(?=[^\s*])([^*\n]*?)(?<=[^\s*])\*(?![*\w])/g, "_$1_");
  s = s.replace(/~~(?=\S)(.+?)(?<=\S)~~/g, "~$1~");
  s = s.replaceAll(BOLD, "*");
  // Backslash escapes of markdown punctuation show the bare character.
  s = s.replace(/\\([\\`*_{}[\]()#+\-.!~|])/g, "$1");
  return s.replace(
    new RegExp(`${HOLD_START}(\\d+)${HOLD_END}`, "g"),
    (_m, n: string) => held[Number(n)] ?? "",
  );
}

/** Slack's three control characters. */
export function escapeText(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

function escapeUrl(url: string): string {
  return url.replace(/&/g, "&amp;").replace(/</g, "%3C").replace(/>/g, "%3E").replace(/\|/g, "%7C");
}

/** "**Title**" as a whole heading is already bold; do not double it. */
function stripOuterBold(s: string): string {
  const m = /^\*\*(.+)\*\*$/.exec(s) ?? /^__(.+)__$/.exec(s);
  return m ? (m[1] ?? s) : s;
}

function isTableRow(line: string): boolean {
  const t = line.trim();
  return t.startsWith("|") && t.length > 1 && t.slice(1).includes("|");
}

function isTableSeparator(line: string): boolean {
  return /^\s*\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$/.test(line) && line.includes("-");
}

/** Pad cells so the columns line up in a monospace block. */
function alignTable(rows: string[]): string[] {
  const cells = rows.map((r) =>
    r
      .replace(/^\|/, "")
      .replace(/\|$/, "")
      .split("|")
      .map((c) => c.trim().replace(/\*\*(.+?)\*\*/g, "$1")),
  );
  const widths: number[] = [];
  for (const row of cells) {
    row.forEach((c, j) => {
      widths[j] = Math.max(widths[j] ?? 0, [...c].length);
    });
  }
  return cells.map((row) =>
    row
      .map((c, j) => c + " ".repeat((widths[j] ?? 0) - [...c].length))
      .join("  ")
      .trimEnd(),
  );
}
