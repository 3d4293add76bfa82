/**
 * Splits a Markdown article into sections at its headings. Each section keeps the path of
 * headings above it ("Returns > Refunds > Card payments"), so a passage read alone still says
 * what it is about. Headings inside fenced code blocks are code, not structure.
 */

export interface Section {
  /** Headings from the top of the article down to this section (the article title excluded). */
  headings: string[];
  /** The section's text, Markdown kept (the model reads it), without the heading line. */
  text: string;
}

export interface SplitArticle {
  /** The first level-1 heading, if any (a fallback title when there is no front matter). */
  title?: string;
  sections: Section[];
}

/**
 * The start of an ATX heading; the rest of the line is its text (see `parseHeading`). A single
 * regex with `(.+?)\s*#*\s*$` backtracks cubically: one heading line with a few thousand spaces
 * before its last word blocked the event loop for half a minute.
 */
const HEADING_START = /^ {0,3}(#{1,6})[ \t]+(?=\S)/;
const FENCE = /^ {0,3}(`{3,}|~{3,})/;

/**
 * Collects sections in document order, tracking the heading path. Shared by the Markdown and
 * HTML readers, so both treat titles and heading levels alike.
 */
export class SectionCollector {
  readonly sections: Section[] = [];
  /** The first level-1 heading before any text: the article's title, not part of any path. */
  title: string | undefined;
  /** Heading text by level (index 1..6); deeper levels are cleared when a higher one starts. */
  private readonly path: (string | undefined)[] = [];

  /** The text of the section that just ended (ignored when blank). */
  addText(text: string): void {
    const trimmed = text.trim();
    if (trimmed !== "")
      this.sections.push({ headings: this.path.filter((h): h is string => h !== undefined), text: trimmed });
  }

  heading(level: number, label: string): void {
    if (level === 1 && this.title === undefined && this.sections.length === 0) {
      this.title = label;
      this.path.length = 0;
      return;
    }
    this.path.length = level;
    this.path[level] = label;
  }

  result(): SplitArticle {
    return this.title === undefined
      ? { sections: this.sections }
      : { title: this.title, sections: this.sections };
  }
}

export function splitMarkdown(body: string): SplitArticle {
  const lines = body.replace(/\r\n?/g, "\n").split("\n");
  const out = new SectionCollector();
  let current: string[] = [];
  let fence: string | null = null;

  for (const line of lines) {
    const fenceMatch = FENCE.exec(line);
    if (fenceMatch) {
      const marker = fenceMatch[1]!;
      if (fence === null) fence = marker;
      else if (marker.startsWith(fence[0]!) && marker.length >= fence.length) fence = null;
      current.push(line);
      continue;
    }
    const heading = fence === null ? parseHeading(line) : null;
    if (!heading) {
      current.push(line);
      continue;
    }
    out.addText(current.join("\n"));
    current = [];
    out.heading(heading.level, plainHeading(heading.text));
  }
  out.addText(current.join("\n"));
  return out.result();
}

/** `## Returns ##` -> level 2, "Returns" (an optional closing run of `#` dropped), in linear time. */
function parseHeading(line: string): { level: number; text: string } | null {
  const start = HEADING_START.exec(line);
  if (!start) return null;
  let text = line.slice(start[0].length).trimEnd();
  let end = text.length;
  while (end > 0 && text[end - 1] === "#") end--;
  // A closing sequence follows a space ("# C# ##" keeps "C#"); a heading of only #s keeps them.
  if (end > 0 && end < text.length && /[ \t]/.test(text[end - 1]!)) text = text.slice(0, end).trimEnd();
  return { level: start[1]!.length, text };
}

/** "[Returns](x) **policy**" -> "Returns policy". */
function plainHeading(text: string): string {
  return text
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, "$1")
    .replace(/[*_`~]/g, "")
    .trim();
}
