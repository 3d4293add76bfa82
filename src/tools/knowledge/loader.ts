/**
 * Reads every article file under a folder (recursively; hidden files and folders skipped). A file
 * that cannot be read or parsed is reported in `skipped` and left out, never fatal; a folder
 * that does not exist is an error (the operator pointed KNOWLEDGE_DIR at the wrong place).
 */
import { readdir, readFile } from "node:fs/promises";
import { join, relative, sep } from "node:path";
import { type Article, isArticleFile, parseArticle } from "./article.js";

/** Bigger files are not help articles (an export with embedded images, a log file named .md). */
export const MAX_ARTICLE_BYTES = 1_000_000;

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
      const content = await readFile(join(dir, path));
      if (content.length > MAX_ARTICLE_BYTES) throw new Error(`larger than ${MAX_ARTICLE_BYTES} bytes`);
      result.articles.push(parseArticle(path, content.toString("utf8")));
    } catch (err) {
      result.skipped.push({ path, reason: err instanceof Error ? err.message : String(err) });
    }
  }
  return result;
}
