/**
 * search_help_center: the passages of the team's help articles that answer a question, with the
 * article's title and public URL so the answer can cite them. Nothing relevant is an answer too
 * ("the help center does not cover this"), returned as an empty list with a note, not an error.
 */
import { z } from "zod";
import type { Source } from "../../core/ports.js";
import { defineTool, ToolFailure } from "../tool.js";
import { type KnowledgeBase, KnowledgeUnavailableError } from "./knowledge-base.js";
import type { SearchHit } from "./passage-index.js";

/** Passages returned when the model does not ask: enough for a policy and its exceptions. */
export const DEFAULT_HELP_LIMIT = 3;
/** More than eight passages is most of an article: read less, cite better. */
export const MAX_HELP_LIMIT = 8;

export interface HelpResult {
  title: string;
  /** The article's public page; null when the file names none (then `file` identifies it). */
  url: string | null;
  file: string;
  /** Headings above the passage inside the article, e.g. "Returns > Holiday returns". */
  section: string;
  text: string;
  /** How much of the question this passage matches, 0..1 (IDF-weighted share of its terms). */
  score: number;
  similarity?: number;
}

export function createHelpCenterTool(knowledge: KnowledgeBase) {
  const argsSchema = z.strictObject({
    query: z
      .string()
      .trim()
      .min(1)
      .max(300)
      .describe(
        'The customer\'s question in a few words, e.g. "return opened headphones" or "shipping to Canada".',
      ),
    limit: z
      .number()
      .int()
      .min(1)
      .max(MAX_HELP_LIMIT)
      .nullish()
      .describe(`How many passages, 1 to ${MAX_HELP_LIMIT}. Null means ${DEFAULT_HELP_LIMIT}.`),
  });

  return defineTool({
    name: "search_help_center",
    description:
      "Search the shop's help center (shipping, returns and refunds, warranty, payment, orders, account, product care, contact hours). Returns the best passages with the article title, URL, section and text. Use it for every question about policies, fees, times or how-to steps, and answer only from what it returns, citing the articles you used as Markdown links. An empty result means the help center does not cover the question: say so plainly and do not invent a policy.",
    statusText: "searching the help center...",
    schema: argsSchema,
    async run(args, ctx) {
      const limit = args.limit ?? DEFAULT_HELP_LIMIT;
      let hits: SearchHit[];
      try {
        hits = await knowledge.search(args.query, limit, ctx.signal);
      } catch (err) {
        if (err instanceof KnowledgeUnavailableError) {
          throw new ToolFailure(
            "backend_error",
            err.state === "indexing"
              ? "The help center is still being indexed (this takes a few seconds after a start). Tell the user to ask again in a moment; do not answer policy questions from memory."
              : "The help center is not available right now. Tell the user you cannot look this up now and how to contact the support team; do not answer policy questions from memory.",
            { reason: err.state === "indexing" ? "indexing" : "unavailable" },
            { cause: err },
          );
        }
        throw err;
      }
      const results = hits.map(toResult);
      return {
        query: args.query,
        results,
        ...(results.length === 0
          ? {
              note: "The help center has nothing on this. Tell the user plainly that you do not have information about it and suggest contacting the support team; do not guess or invent a policy.",
            }
          : {}),
      };
    },
    sources(value) {
      const results = (value as { results?: HelpResult[] }).results ?? [];
      return results.flatMap((r): Source[] => (r.url ? [{ title: r.title, url: r.url }] : []));
    },
  });
}

function toResult(hit: SearchHit): HelpResult {
  const p = hit.passage;
  return {
    title: p.title,
    url: p.url ?? null,
    file: p.path,
    section: p.headings.join(" > "),
    text: p.text,
    score: Math.round(hit.coverage * 100) / 100,
    ...(hit.similarity !== undefined ? { similarity: Math.round(hit.similarity * 100) / 100 } : {}),
  };
}
