/**
 * The bundled help center behind the real search_help_center tool, and a scripted model that
 * uses it the way the system prompt asks: search, answer from the top passage, link the article
 * (and, like many models, add its own sources list, which the core replaces with one line).
 */
import { expect } from "vitest";
import type { ModelRequest } from "../../src/core/ports.js";
import { silentLogger } from "../../src/log.js";
import { Metrics } from "../../src/metrics.js";
import { BUNDLED_HELP_CENTER, KnowledgeBase } from "../../src/tools/knowledge/knowledge-base.js";
import { createHelpCenterTool } from "../../src/tools/knowledge/search-help-center.js";
import { ToolRegistry } from "../../src/tools/registry.js";
import { reply, ScriptedModel, toolCalls } from "./scripted-model.js";

export const RETURNS_URL = "https://help.example.com/returns";

export async function helpCenterTools(): Promise<ToolRegistry> {
  const knowledge = new KnowledgeBase({ dir: BUNDLED_HELP_CENTER, log: silentLogger(), watch: false });
  await knowledge.reindex();
  return new ToolRegistry({ log: silentLogger(), metrics: new Metrics(), defaultTimeoutMs: 5000 }).register(
    createHelpCenterTool(knowledge),
  );
}

/** Asks search_help_center, then answers from the first result with a link to its article. */
export function citingModel(query = "return an item within how many days"): ScriptedModel {
  return new ScriptedModel((req, index) => {
    if (index === 0) return toolCalls({ id: "call_help", name: "search_help_center", args: { query } });
    const top = firstResult(req);
    if (!top) return reply("The help center does not cover that.");
    return reply(
      `${top.text.split("\n")[0]} See [${top.title}](${top.url}) for details.\n\nSources:\n- [${top.title}](${top.url})`,
    );
  });
}

function firstResult(req: ModelRequest): { title: string; url: string; text: string } | undefined {
  const tool = [...req.messages].reverse().find((m) => m.role === "tool");
  if (tool?.role !== "tool") return undefined;
  return (JSON.parse(tool.content) as { results: { title: string; url: string; text: string }[] }).results[0];
}

/** URLs a chat user can click in `text`: Markdown links, Slack's <url|label> and bare <url>. */
export function linkTargets(text: string): string[] {
  const urls: string[] = [];
  for (const m of text.matchAll(/\]\(<?(https?:\/\/[^)\s>]+)>?\)|<(https?:\/\/[^|>\s]+)(?:\|[^>]*)?>/g)) {
    urls.push((m[1] ?? m[2])!);
  }
  return urls;
}

/** The lines of `text` that start a sources list (Markdown or Slack mrkdwn emphasis allowed). */
export function sourcesLines(text: string): string[] {
  return text.split("\n").filter((l) => /^\s*[*_]*sources?[*_]*\s*:/i.test(l));
}

/** What a user must see: a link to the article, and one Sources line at the end listing it once. */
export function expectCitedOnce(text: string, url: string): void {
  expect(linkTargets(text)).toContain(url);
  const sources = sourcesLines(text);
  expect(sources).toHaveLength(1);
  expect(linkTargets(sources[0]!)).toEqual([url]);
  expect(text.trimEnd().endsWith(sources[0]!.trim())).toBe(true);
}
