/**
 * search_help_center as the model calls it through the tool registry: passages with title, url,
 * section, text and score; citable sources for the answer; "not covered" as an answer, not an
 * error; and errors the model can act on.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ToolContext } from "../../../src/core/ports.js";
import { silentLogger } from "../../../src/log.js";
import { Metrics } from "../../../src/metrics.js";
import { KnowledgeBase } from "../../../src/tools/knowledge/knowledge-base.js";
import { createHelpCenterTool } from "../../../src/tools/knowledge/search-help-center.js";
import { ToolRegistry } from "../../../src/tools/registry.js";

const ctx: ToolContext = {
  platform: "web",
  workspaceId: "local",
  userId: "u1",
  threadKey: "web:local:c:t",
  audience: "private",
  limitKey: "web:u1",
  askerText: "",
  signal: new AbortController().signal,
};

let dir: string;
let kb: KnowledgeBase;
let tools: ToolRegistry;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "help-tool-"));
  await writeFile(
    join(dir, "returns.md"),
    [
      "---",
      "title: Returns and refunds",
      "url: https://help.example.com/returns",
      "---",
      "# Returns and refunds",
      "## Return window",
      "You can return most items within 30 days of delivery.",
      "## Refunds",
      "Refunds reach your card within 3-10 business days.",
    ].join("\n"),
  );
  await writeFile(join(dir, "notes.md"), "# Internal notes\n\nWarehouse opening hours are 6 am to 10 pm.");
  kb = new KnowledgeBase({ dir, log: silentLogger(), watch: false });
  await kb.reindex();
  tools = new ToolRegistry({ log: silentLogger(), metrics: new Metrics(), defaultTimeoutMs: 5000 }).register(
    createHelpCenterTool(kb),
  );
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const call = (args: unknown, id = "c1") =>
  tools.run({ id, name: "search_help_center", arguments: JSON.stringify(args) }, ctx);

describe("search_help_center", () => {
  it("returns the best passages with title, url, section, text and score, and the article as a source", async () => {
    const result = await call({ query: "how many days do I have to return something", limit: 2 });
    expect(result.ok).toBe(true);
    const body = JSON.parse(result.content);
    expect(body.results[0]).toEqual({
      title: "Returns and refunds",
      url: "https://help.example.com/returns",
      file: "returns.md",
      section: "Return window",
      text: "You can return most items within 30 days of delivery.",
      score: expect.any(Number),
    });
    expect(body.results[0].score).toBeGreaterThan(0.5);
    expect(body.results.length).toBeLessThanOrEqual(2);
    expect(result.sources).toContainEqual({
      title: "Returns and refunds",
      url: "https://help.example.com/returns",
    });
  });

  it("names an article without a url by its file and offers it as no source", async () => {
    const result = await call({ query: "warehouse opening hours" });
    const body = JSON.parse(result.content);
    expect(body.results[0]).toMatchObject({ title: "Internal notes", url: null, file: "notes.md" });
    expect(result.sources).toBeUndefined();
  });

  it("answers an uncovered question with no results and a note not to invent a policy", async () => {
    const result = await call({ query: "student discount" });
    expect(result.ok).toBe(true);
    const body = JSON.parse(result.content);
    expect(body.results).toEqual([]);
    expect(body.note).toMatch(/do not guess or invent a policy/);
  });

  it("refuses an empty query or a limit out of range, naming the field", async () => {
    const empty = JSON.parse((await call({ query: "  " })).content);
    expect(empty).toMatchObject({ error: "invalid_arguments" });
    expect(empty.fields[0].field).toBe("query");
    const tooMany = JSON.parse((await call({ query: "returns", limit: 50 })).content);
    expect(tooMany.fields[0].field).toBe("limit");
  });

  it("tells the model to have the user ask again while the help center is still indexing", async () => {
    const indexing = new KnowledgeBase({ dir, log: silentLogger(), watch: false });
    const registry = new ToolRegistry({
      log: silentLogger(),
      metrics: new Metrics(),
      defaultTimeoutMs: 5000,
    }).register(createHelpCenterTool(indexing));
    const result = await registry.run(
      { id: "c9", name: "search_help_center", arguments: '{"query":"returns"}' },
      ctx,
    );
    expect(result.ok).toBe(false);
    expect(JSON.parse(result.content)).toMatchObject({
      error: "indexing",
      message: expect.stringMatching(/still being indexed.*do not answer policy questions from memory/),
    });
  });
});
