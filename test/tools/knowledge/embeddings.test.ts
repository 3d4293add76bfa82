/**
 * Embeddings for the help center against a local OpenAI-compatible /embeddings server: passage
 * vectors are cached by content hash in Redis, so a restarted service (a new process: new store
 * connection, new index) pays only for what changed; a failing server leaves BM25 search working.
 */

import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Store } from "../../../src/core/ports.js";
import { silentLogger } from "../../../src/log.js";
import { createRedisStore } from "../../../src/store/redis/store.js";
import { CachedEmbedder, contentKey, OpenAIEmbeddings } from "../../../src/tools/knowledge/embeddings.js";
import { KnowledgeBase } from "../../../src/tools/knowledge/knowledge-base.js";
import { type FakeEmbeddings, startFakeEmbeddings } from "../../fakes/embeddings.js";
import { requires } from "../../support/binaries.js";
import {
  deleteKeys,
  startRedis,
  type TestRedis,
  uniquePrefix,
  usingExternalRedis,
} from "../../support/redis.js";

const MODEL = "text-embedding-test";
const TTL_MS = 60_000;

let redis: TestRedis;
let fake: FakeEmbeddings;
let dir: string;
const prefixes: string[] = [];

// Skipped (or, under CI=true, failed) without redis-server and REDIS_URL.
const needsRedis = requires("redis");

beforeAll(async () => {
  if (needsRedis.skip) return;
  [redis, fake] = await Promise.all([startRedis(), startFakeEmbeddings()]);
  dir = await mkdtemp(join(tmpdir(), "kb-emb-"));
  await writeFile(
    join(dir, "returns.md"),
    "---\ntitle: Returns\nurl: https://help.example.com/returns\n---\n## Window\nReturn items within 30 days.\n## Refunds\nRefunds take 5 days.\n",
  );
  await writeFile(
    join(dir, "shipping.md"),
    "---\ntitle: Shipping\nurl: https://help.example.com/shipping\n---\nStandard shipping takes 3-5 business days.\n",
  );
});
afterAll(async () => {
  if (usingExternalRedis()) for (const p of prefixes) await deleteKeys(redis.url, p);
  if (needsRedis.skip) return;
  await Promise.all([redis?.stop(), fake?.close(), rm(dir, { recursive: true, force: true })]);
});

/** One "process": its own store connection and knowledge base, as after a restart. */
async function boot(prefix: string): Promise<{ store: Store; kb: KnowledgeBase }> {
  const store = await createRedisStore({ url: redis.url, prefix, log: silentLogger() });
  const embedder = new CachedEmbedder(
    new OpenAIEmbeddings({ baseURL: fake.url, apiKey: "sk-test", model: MODEL }),
    store.vectors,
    TTL_MS,
  );
  return { store, kb: new KnowledgeBase({ dir, log: silentLogger(), embedder, watch: false }) };
}

describe("help-center embeddings", needsRedis, () => {
  it("embeds every passage once; after a restart the vectors come from the cache", async () => {
    const prefix = uniquePrefix("kb");
    prefixes.push(prefix);
    const first = await boot(prefix);
    const before = fake.inputs.length;
    const summary = await first.kb.reindex();
    expect(summary).toMatchObject({ ranking: "fused", passages: 3 });
    expect(fake.inputs.length - before).toBe(3);
    await first.store.close();

    const second = await boot(prefix);
    const paid = fake.inputs.length;
    expect(await second.kb.reindex()).toMatchObject({ ranking: "fused", passages: 3 });
    expect(fake.inputs.length).toBe(paid);

    // Searches embed the question (once: the second time it comes from recent questions in memory).
    const hits = await second.kb.search("how many days to return an item", 3);
    expect(hits[0]?.passage.url).toBe("https://help.example.com/returns");
    expect(hits[0]?.similarity).toBeGreaterThan(0);
    await second.kb.search("how many days to return an item", 3);
    expect(fake.inputs.slice(paid)).toEqual(["how many days to return an item"]);
    await second.store.close();
  });

  it("keeps customers' questions out of the store's vector cache, which only passages fill", async () => {
    const prefix = uniquePrefix("kb");
    prefixes.push(prefix);
    const { store, kb } = await boot(prefix);
    await kb.reindex();
    const paid = fake.inputs.length;
    const questions = Array.from({ length: 5 }, (_, i) => `can I return item number ${i} after a month`);
    for (const q of questions) await kb.search(q, 3);
    expect(fake.inputs.slice(paid)).toEqual(questions);
    // A distinct question would otherwise stay in Redis for EMBEDDINGS_CACHE_TTL_S (30 days).
    expect(await store.vectors.getMany(questions.map((q) => contentKey(MODEL, q)))).toEqual(
      questions.map(() => null),
    );
    await store.close();
  });

  it("re-embeds only the passage that changed", async () => {
    const prefix = uniquePrefix("kb");
    prefixes.push(prefix);
    const { store, kb } = await boot(prefix);
    await kb.reindex();
    const paid = fake.inputs.length;
    await writeFile(
      join(dir, "shipping.md"),
      "---\ntitle: Shipping\nurl: https://help.example.com/shipping\n---\nStandard shipping takes 2-4 business days.\n",
    );
    await kb.reindex();
    expect(fake.inputs.slice(paid)).toEqual(["Shipping\nStandard shipping takes 2-4 business days."]);
    await store.close();
  });

  it("falls back to BM25 when the embeddings server fails, and still answers", async () => {
    const prefix = uniquePrefix("kb");
    prefixes.push(prefix);
    const { store, kb } = await boot(prefix);
    fake.failWith = 500;
    try {
      expect(await kb.reindex()).toMatchObject({ ranking: "bm25" });
      const hits = await kb.search("return items", 3);
      expect(hits[0]?.passage.url).toBe("https://help.example.com/returns");
      expect(hits[0]?.similarity).toBeUndefined();
    } finally {
      fake.failWith = null;
      await store.close();
    }
  });
});
