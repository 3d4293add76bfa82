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

const HEADING = /^ {0,3}(#{1,6})\s+(.+?)\s*#*\s*$/;
const FENCE = /^ {0,3}(`{3,}|~{3,})/;

export function splitMarkdown(body: string): SplitArticle {
  const lines = body.replace(/\r\n?/g, "\n").split("\n");
  const sections: Section[] = [];
  /** Heading text by level (index 1..6); deeper levels are cleared when a higher one starts. */
  const path: (string | undefined)[] = [];
  let title: string | undefined;
  let current: string[] = [];
  let fence: string | null = null;

  const flush = () => {
    const text = current.join("\n").trim();
    if (text !== "") sections.push({ headings: path.filter((h): h is string => h !== undefined), text });
    current = [];
  };

  for (const line of lines) {
    const fenceMatch = FENCE.exec(line);
    if (fenceMatch) {
      const marker = fenceMatch[1]!;
      if (fence === null) fence = marker;
      else if (marker.startsWith(fence[0]!) && marker.length >= fence.length) fence = null;
      current.push(line);
      continue;
    }
    const heading = fence === null ? HEADING.exec(line) : null;
    if (!heading) {
      current.push(line);
      continue;
    }
    flush();
    const level = heading[1]!.length;
    const text = plainHeading(heading[2]!);
    if (level === 1 && title === undefined && sections.length === 0) {
      // The article's own title: not part of the heading path of its sections.
      title = text;
      path.length = 0;
      continue;
    }
    path.length = level;
    path[level] = text;
  }
  flush();
  return title === undefined ? { sections } : { title, sections };
}

/** "[Returns](x) **policy**" -> "Returns policy". */
function plainHeading(text: string): string {
  return text
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, "$1")
    .replace(/[*_`~]/g, "")
    .trim();
}
