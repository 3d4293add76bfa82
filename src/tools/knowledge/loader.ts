/**
 * Reads every article file under a folder (recursively; hidden files and folders skipped). A file
 * that cannot be read or parsed is reported in `skipped` and left out, never fatal; a folder
 * that does not exist is an error (the operator pointed KNOWLEDGE_DIR at the wrong place).
 */
import { constants } from "node:fs";
import { open, readdir } from "node:fs/promises";
import { join, relative, sep } from "node:path";
import { type Article, isArticleFile, parseArticle } from "./article.js";

/** Bigger files are not help articles (an export with embedded images, a log file named .md). */
export const MAX_ARTICLE_BYTES = 1_000_000;
/**
 * Opened without following a symlink (one swapped in after the listing could point outside the
 * folder) and without blocking (a FIFO swapped in would hang the index); the size is checked on
 * the open file before anything is read, so a 1 GB file costs nothing.
 */
const OPEN_FLAGS = constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0) | (constants.O_NONBLOCK ?? 0);
/** A NUL byte in the first stretch marks a binary file (an image or archive renamed .md). */
const BINARY_SNIFF_BYTES = 8192;

export interface LoadResult {
  articles: Article[];
  skipped: { path: string; reason: string }[];
}

export async function loadArticles(dir: string): Promise<LoadResult> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  const files = entries
    .filter((e) => e.isFile() && isArticleFile(e.name))
    .map((e) => relative(dir, join(e.parentPath, e.name)).split(sep).join("/"))
    .filter((path) => !path.split("/").some((part) => part.startsWith(".")))
    .sort();
  const result: LoadResult = { articles: [], skipped: [] };
  for (const path of files) {
    try {
      const content = await readArticleFile(join(dir, path));
      result.articles.push(parseArticle(path, content));
    } catch (err) {
      result.skipped.push({ path, reason: err instanceof Error ? err.message : String(err) });
    }
  }
  return result;
}

async function readArticleFile(file: string): Promise<string> {
  const handle = await open(file, OPEN_FLAGS);
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) throw new Error("not a regular file");
    if (stat.size > MAX_ARTICLE_BYTES) throw new Error(`larger than ${MAX_ARTICLE_BYTES} bytes`);
    const content = await handle.readFile();
    // The file may have grown since the stat.
    if (content.length > MAX_ARTICLE_BYTES) throw new Error(`larger than ${MAX_ARTICLE_BYTES} bytes`);
    if (content.subarray(0, BINARY_SNIFF_BYTES).includes(0)) throw new Error("binary file, not text");
    return content.toString("utf8");
  } finally {
    await handle.close();
  }
}
