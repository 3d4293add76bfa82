/**
 * One help article file -> its passages. Markdown may start with YAML front matter:
 *
 *   ---
 *   title: Returns and refunds
 *   url: https://help.example.com/returns
 *   keywords: [send back, money back]     # optional: words customers use that the text does not
 *   ---
 *
 * Without front matter (or without a field) the title is the first level-1 heading and the file
 * path stands in for the URL. HTML files take <title> and <link rel="canonical">. A file that
 * cannot be read this way throws `ArticleError`; the index logs and skips it.
 */
import { parse as parseYaml } from "yaml";
import { z } from "zod";
import { parseHtml } from "./html.js";
import { type Section, splitMarkdown } from "./markdown.js";

/**
 * Longest passage, in characters (~300 tokens): long enough for a whole policy paragraph, short
 * enough that five results stay a small part of the model's context. Longer sections are cut at
 * paragraph ends.
 */
export const MAX_PASSAGE_CHARS = 1200;

export interface Passage {
  /** `path#n`: unique in the index. */
  id: string;
  /** The article's file path relative to the knowledge folder (forward slashes). */
  path: string;
  title: string;
  /** The public page of the article; undefined when the file names none. */
  url: string | undefined;
  /** Headings above the passage inside the article. */
  headings: string[];
  text: string;
  /** Front-matter keywords of the article (on its first passage; empty on the others). */
  keywords: string;
}

export interface Article {
  path: string;
  title: string;
  url: string | undefined;
  passages: Passage[];
}

export class ArticleError extends Error {
  constructor(
    readonly path: string,
    message: string,
  ) {
    super(`${path}: ${message}`);
    this.name = "ArticleError";
  }
}

const frontMatterSchema = z
  .object({
    title: z.string().trim().min(1).optional(),
    url: z.url({ protocol: /^https?$/ }).optional(),
    keywords: z
      .union([z.array(z.string()), z.string()])
      .transform((k) => (Array.isArray(k) ? k : k.split(",")).map((s) => s.trim()).filter(Boolean))
      .optional(),
  })
  .loose();

const FRONT_MATTER = /^\uFEFF?---[ \t]*\r?\n([\s\S]*?)\r?\n---[ \t]*(?:\r?\n|$)/;

export const ARTICLE_EXTENSIONS = [".md", ".markdown", ".html", ".htm"];

export function isArticleFile(path: string): boolean {
  const lower = path.toLowerCase();
  return ARTICLE_EXTENSIONS.some((ext) => lower.endsWith(ext));
}

export function parseArticle(path: string, content: string): Article {
  const lower = path.toLowerCase();
  if (lower.endsWith(".html") || lower.endsWith(".htm")) {
    const html = parseHtml(content);
    const url = html.canonicalUrl && /^https?:\/\//.test(html.canonicalUrl) ? html.canonicalUrl : undefined;
    return build(path, { title: html.title, url, keywords: [] }, html.sections);
  }
  const { meta, body } = frontMatter(path, content);
  const split = splitMarkdown(body);
  return build(
    path,
    { title: meta.title ?? split.title, url: meta.url, keywords: meta.keywords ?? [] },
    split.sections,
  );
}

function frontMatter(
  path: string,
  content: string,
): { meta: z.output<typeof frontMatterSchema>; body: string } {
  const match = FRONT_MATTER.exec(content);
  if (!match) return { meta: {}, body: content };
  let raw: unknown;
  try {
    raw = parseYaml(match[1] ?? "");
  } catch (err) {
    throw new ArticleError(
      path,
      `front matter is not valid YAML (${err instanceof Error ? err.message.split("\n")[0] : err})`,
    );
  }
  const parsed = frontMatterSchema.safeParse(raw ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ArticleError(
      path,
      `front matter field "${issue?.path.join(".") || "(root)"}": ${issue?.message}`,
    );
  }
  return { meta: parsed.data, body: content.slice(match[0].length) };
}

function build(
  path: string,
  meta: { title: string | undefined; url: string | undefined; keywords: string[] },
  sections: Section[],
): Article {
  // One line: the title ends up inside the answer's "Sources:" line.
  const title = (meta.title ?? fileTitle(path)).replace(/\s+/g, " ").trim();
  const url = linkTarget(meta.url);
  const pieces = sections.flatMap((s) => cut(s.text).map((text) => ({ headings: s.headings, text })));
  if (pieces.length === 0) throw new ArticleError(path, "no text");
  const keywords = meta.keywords.join(", ");
  return {
    path,
    title,
    url,
    passages: pieces.map((p, i) => ({
      id: `${path}#${i}`,
      path,
      title,
      url,
      headings: p.headings,
      text: p.text,
      // Keywords describe the whole article: on its first passage only, so they lead a search to
      // the article without making every passage of it match equally.
      keywords: i === 0 ? keywords : "",
    })),
  };
}

/**
 * The article's URL as one safe Markdown link target, or undefined. Front matter and a canonical
 * link are checked for http(s) only, and a URL may legally hold `)`, `[` or spaces: written into
 * the Sources line as `[Title](url)`, `https://x/a) [Pay here](https://evil` would add a link of
 * its own. Those characters are %-encoded (the same page for any web server).
 */
function linkTarget(raw: string | undefined): string | undefined {
  if (!raw) return undefined;
  let href: string;
  try {
    href = new URL(raw.trim()).href;
  } catch {
    return undefined;
  }
  if (!/^https?:\/\//.test(href)) return undefined;
  return href.replace(
    /[\s()[\]<>"'`\\]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, "0")}`,
  );
}

/** "shipping/international-orders.md" -> "International orders". */
function fileTitle(path: string): string {
  const base = path.split("/").pop() ?? path;
  const words = base
    .replace(/\.[^.]+$/, "")
    .replace(/[-_]+/g, " ")
    .trim();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** A section longer than MAX_PASSAGE_CHARS, cut at paragraph ends (a single huge paragraph at sentence ends). */
function cut(text: string): string[] {
  if (text.length <= MAX_PASSAGE_CHARS) return [text];
  const units = text
    .split(/\n{2,}/)
    .flatMap((p) => (p.length <= MAX_PASSAGE_CHARS ? [p] : p.split(/(?<=[.!?])\s+/)));
  const out: string[] = [];
  let current = "";
  for (const unit of units) {
    const piece = unit.length > MAX_PASSAGE_CHARS ? unit.slice(0, MAX_PASSAGE_CHARS) : unit;
    if (current !== "" && current.length + piece.length + 2 > MAX_PASSAGE_CHARS) {
      out.push(current);
      current = "";
    }
    current = current === "" ? piece : `${current}\n\n${piece}`;
  }
  if (current !== "") out.push(current);
  return out;
}
