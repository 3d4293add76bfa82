/**
 * The help center index as the service runs it: the bundled articles answer common questions,
 * uncovered questions find nothing, the folder is re-indexed when a file changes, and a broken
 * file is logged and skipped while the rest keeps working.
 */
import { mkdtemp, open as openFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import {
  BUNDLED_HELP_CENTER,
  type IndexSummary,
  KnowledgeBase,
  KnowledgeUnavailableError,
} from "../../../src/tools/knowledge/knowledge-base.js";
import { MAX_ARTICLE_BYTES } from "../../../src/tools/knowledge/loader.js";
import { captureLog, WARN } from "../../store/log-capture.js";

const started: KnowledgeBase[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const kb of started.splice(0)) kb.stop();
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

/** Start a knowledge base and wait for its first index (the event, not a timer). */
async function open(dir: string, opts: { watch?: boolean; debounceMs?: number } = {}) {
  const captured = captureLog();
  const kb = new KnowledgeBase({
    dir,
    log: captured.log,
    watch: opts.watch ?? false,
    debounceMs: opts.debounceMs ?? 20,
  });
  started.push(kb);
  const first = nextIndex(kb);
  kb.start();
  return { kb, captured, summary: await first };
}

function nextIndex(kb: KnowledgeBase): Promise<IndexSummary> {
  return new Promise((resolve) => {
    const off = kb.onIndexed((s) => {
      off();
      resolve(s);
    });
  });
}

async function tempFolder(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "kb-"));
  dirs.push(dir);
  for (const [name, content] of Object.entries(files)) await writeFile(join(dir, name), content);
  return dir;
}

const article = (title: string, url: string, body: string) =>
  `---\ntitle: ${title}\nurl: ${url}\n---\n${body}\n`;

describe("the bundled help center", () => {
  it("indexes at least 30 articles, Markdown and HTML, with no file skipped", async () => {
    const { summary } = await open(BUNDLED_HELP_CENTER);
    expect(summary.articles).toBeGreaterThanOrEqual(30);
    expect(summary.skipped).toEqual([]);
    expect(summary.ranking).toBe("bm25");
  });

  it.each([
    ["How do I return an item?", "https://help.example.com/returns"],
    ["how long does shipping to canada take", "https://help.example.com/shipping/international"],
    ["I forgot my pasword", "https://help.example.com/account/reset-password"],
    ["what are your opening hours on saturday", "https://help.example.com/contact"],
    ["can I pay with klarna in installments", "https://help.example.com/payments/klarna"],
  ])("finds the right article for %j", async (question, url) => {
    const { kb } = await open(BUNDLED_HELP_CENTER);
    const hits = await kb.search(question, 3);
    expect(hits.map((h) => h.passage.url)).toContain(url);
  });

  it("finds nothing for questions the help center does not cover", async () => {
    const { kb } = await open(BUNDLED_HELP_CENTER);
    for (const question of ["Are you hiring software engineers?", "Do you have an affiliate program?"]) {
      expect(await kb.search(question, 3), question).toEqual([]);
    }
  });
});

describe("indexing a folder", () => {
  it("says it is still indexing before the first index is in", async () => {
    const dir = await tempFolder({ "a.md": article("A", "https://help.example.com/a", "Alpha text.") });
    const kb = new KnowledgeBase({ dir, log: captureLog().log, watch: false });
    expect(kb.state).toBe("indexing");
    await expect(kb.search("alpha", 3)).rejects.toBeInstanceOf(KnowledgeUnavailableError);
    started.push(kb);
    const first = nextIndex(kb);
    kb.start();
    await first;
    expect(kb.state).toBe("ready");
  });

  it("re-indexes when a file changes, so a new policy is found without a restart", async () => {
    const dir = await tempFolder({
      "returns.md": article("Returns", "https://help.example.com/returns", "Return items within 30 days."),
    });
    const { kb } = await open(dir, { watch: true });
    expect(await kb.search("gift wrapping", 3)).toEqual([]);

    const reindexed = nextIndex(kb);
    await writeFile(
      join(dir, "gift-wrapping.md"),
      article("Gift wrapping", "https://help.example.com/gift-wrapping", "We offer gift wrapping for $4.99."),
    );
    const summary = await reindexed;
    expect(summary.articles).toBe(2);
    const hits = await kb.search("gift wrapping", 3);
    expect(hits[0]?.passage).toMatchObject({
      title: "Gift wrapping",
      url: "https://help.example.com/gift-wrapping",
    });
  });

  it("logs and skips a broken file and still serves the others", async () => {
    const dir = await tempFolder({
      "returns.md": article("Returns", "https://help.example.com/returns", "Return items within 30 days."),
      "broken.md": "---\ntitle: [oops\n---\nBroken refund text.",
    });
    const { kb, captured, summary } = await open(dir);
    expect(summary.articles).toBe(1);
    expect(summary.skipped.map((s) => s.path)).toEqual(["broken.md"]);
    const warning = captured.lines.find((l) => l.msg === "help article skipped");
    expect(warning).toMatchObject({ level: WARN, file: "broken.md" });
    expect((await kb.search("return items", 3))[0]?.passage.title).toBe("Returns");
  });

  it("skips a huge file and a binary file without reading them into memory, and serves the rest", async () => {
    const dir = await tempFolder({
      "returns.md": article("Returns", "https://help.example.com/returns", "Return items within 30 days."),
      "logo.md": `PNG\0\0\0 refund ${"\u0001".repeat(64)}`,
    });
    // Sparse: 3 GB on paper, no disk used. Reading it whole would take the pod down.
    const huge = await openFile(join(dir, "export.html"), "w");
    await huge.truncate(3 * 1024 ** 3);
    await huge.close();
    const { kb, summary } = await open(dir);
    expect(summary.articles).toBe(1);
    expect(summary.skipped).toEqual([
      { path: "export.html", reason: `larger than ${MAX_ARTICLE_BYTES} bytes` },
      { path: "logo.md", reason: "binary file, not text" },
    ]);
    expect((await kb.search("refund", 3)).map((h) => h.passage.title)).toEqual([]);
    expect((await kb.search("return items", 3))[0]?.passage.title).toBe("Returns");
  });

  it("keeps re-indexing after a listener throws, without a rejected promise", async () => {
    const dir = await tempFolder({ "a.md": article("A", "https://help.example.com/a", "Alpha text.") });
    const captured = captureLog();
    const kb = new KnowledgeBase({ dir, log: captured.log, watch: false });
    started.push(kb);
    const off = kb.onIndexed(() => {
      throw new Error("listener bug");
    });
    expect(await kb.reindex()).toMatchObject({ articles: 1 });
    off();
    await writeFile(
      join(dir, "b.md"),
      article("Gift wrapping", "https://help.example.com/b", "Gift wrapping."),
    );
    expect(await kb.reindex()).toMatchObject({ articles: 2 });
    expect(captured.lines.some((l) => l.msg === "help center index listener failed")).toBe(true);
  });

  it("keeps answering from the last index, and logs, when its folder disappears", async () => {
    const dir = await tempFolder({
      "returns.md": article("Returns", "https://help.example.com/returns", "Return items within 30 days."),
    });
    const { kb, captured } = await open(dir);
    await rm(dir, { recursive: true, force: true });
    expect(await kb.reindex()).toBeNull();
    expect(kb.state).toBe("ready");
    expect((await kb.search("return items", 3))[0]?.passage.title).toBe("Returns");
    expect(captured.lines.find((l) => l.msg === "cannot read the knowledge folder")).toMatchObject({ dir });
  });

  it("reports failed for a folder that does not exist, and keeps running", async () => {
    const { kb, captured } = await openMissing();
    expect(kb.state).toBe("failed");
    await expect(kb.search("returns", 3)).rejects.toMatchObject({ state: "failed" });
    expect(captured.lines.some((l) => l.msg === "cannot read the knowledge folder")).toBe(true);
  });
});

async function openMissing() {
  const captured = captureLog();
  const kb = new KnowledgeBase({
    dir: join(tmpdir(), "no-such-help-center-folder"),
    log: captured.log,
    watch: false,
  });
  started.push(kb);
  await kb.reindex();
  return { kb, captured };
}
