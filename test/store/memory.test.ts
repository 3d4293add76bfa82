import { describe, expect, it, vi } from "vitest";
import type { Store } from "../../src/core/ports.js";
import { storeKeys } from "../../src/store/keys.js";
import { MemoryKeyspace } from "../../src/store/memory/keyspace.js";
import { createMemoryStore } from "../../src/store/memory/store.js";
import { storeContract } from "./contract.js";
import { captureLog } from "./log-capture.js";

const PREFIX = "chatbot:";

storeContract("memory", async ({ log }) => {
  const keyspace = new MemoryKeyspace();
  const stores: Store[] = [createMemoryStore({ log, keyspace, prefix: PREFIX })];
  return {
    store: stores[0]!,
    async replica() {
      const store = createMemoryStore({ log, keyspace, prefix: PREFIX });
      stores.push(store);
      return store;
    },
    async appendRawHistory(threadKey, raw) {
      keyspace.pushAndTrim(storeKeys(PREFIX).history(threadKey), raw, Number.MAX_SAFE_INTEGER);
    },
    async close() {
      await Promise.all(stores.map((s) => s.close()));
      keyspace.close();
    },
  };
});

describe("memory store housekeeping", () => {
  it("frees expired keys nobody reads again with its periodic sweep", async () => {
    // The keyspace's clock is the test's: the keys expire when the test says, not when a busy
    // machine happens to get to the next line.
    let clock = 1_700_000_000_000;
    const keyspace = new MemoryKeyspace({ sweepIntervalMs: 20, now: () => clock });
    const store = createMemoryStore({ log: captureLog().log, keyspace });
    for (let i = 0; i < 100; i++) {
      await store.gate.admit({
        messageKey: `m${i}`,
        userKey: `u${i}`,
        dedupTtlMs: 30,
        policy: { requests: 10, windowMs: 30, dailyTokens: 1000 },
      });
    }
    expect(keyspace.size).toBe(200);
    clock += 31;
    await vi.waitFor(() => expect(keyspace.size).toBe(0));
    await store.close();
    keyspace.close();
  });

  it("stores history as JSON text, as Redis does", async () => {
    const store = createMemoryStore({ log: captureLog().log });
    const turn = { at: 1, entries: [{ role: "user" as const, content: "hi" }] };
    await store.threads.commit("t", "o", turn, { maxTurns: 5, ttlMs: 60_000 });
    expect(store.keyspace.getList(storeKeys("chatbot:").history("t"))).toEqual([JSON.stringify(turn)]);
    // A caller mutating what it saved or loaded cannot change the stored history.
    turn.entries[0]!.content = "changed";
    expect((await store.threads.load("t"))[0]?.entries[0]).toEqual({ role: "user", content: "hi" });
    await store.close();
  });

  it("keeps two stores with their own keyspaces apart", async () => {
    const log = captureLog().log;
    const a = createMemoryStore({ log });
    const b = createMemoryStore({ log });
    await a.kv.set("k", "v", 60_000);
    expect(await b.kv.get("k")).toBeNull();
    await Promise.all([a.close(), b.close()]);
  });
});
