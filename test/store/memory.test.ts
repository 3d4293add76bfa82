import { describe, expect, it, vi } from "vitest";
import type { Store } from "../../src/core/ports.js";
import { storeKeys } from "../../src/store/keys.js";
import { type KeyspaceOptions, MemoryKeyspace } from "../../src/store/memory/keyspace.js";
import { createMemoryStore } from "../../src/store/memory/store.js";
import { budgetContract } from "./budget-contract.js";
import { type OpenStore, storeContract } from "./contract.js";
import { answered, feedbackContract } from "./feedback-contract.js";
import { forgetContract } from "./forget-contract.js";
import { handoffContract } from "./handoff-contract.js";
import { installationsContract } from "./installations-contract.js";
import { captureLog, WARN } from "./log-capture.js";
import { workspaceRecordsContract } from "./workspace-records-contract.js";

const PREFIX = "chatbot:";

/** `fillers`: old conversation histories that fill the keyspace up to its cap before the test. */
function memoryFixture(keyspaceOptions: KeyspaceOptions = {}, fillers = 0): OpenStore {
  return async ({ log }) => {
    const keyspace = new MemoryKeyspace(keyspaceOptions);
    for (let i = 0; i < fillers; i++) {
      keyspace.pushAndTrim(
        storeKeys(PREFIX).history(`filler-${i}`),
        JSON.stringify({ at: i, entries: [] }),
        1,
      );
    }
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
  };
}

storeContract("memory", memoryFixture());
budgetContract("memory", memoryFixture());
feedbackContract("memory", memoryFixture());
installationsContract("memory", memoryFixture());
forgetContract("memory", memoryFixture());
handoffContract("memory", memoryFixture());
workspaceRecordsContract("memory", memoryFixture());
// Eviction must not weaken any guarantee: the same contract on a keyspace already at its cap, so
// every key a test creates first evicts an old conversation (the fillers, least recently used).
const CAP = 200;
const KEYS = storeKeys(PREFIX);
storeContract(
  `memory (at its cap of ${CAP} keys)`,
  memoryFixture({ maxKeys: CAP, evictable: (key) => KEYS.isHistory(key) || KEYS.isVector(key) }, CAP),
);

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

  it("lets a person's conversation index expire with the history it points at", async () => {
    let clock = 1_700_000_000_000;
    const keyspace = new MemoryKeyspace({ now: () => clock });
    const store = createMemoryStore({ log: captureLog().log, keyspace });
    const people = { userKeys: ["web:ana"], audience: "private" as const };
    await store.threads.commit(
      "t",
      "o",
      { at: 1, entries: [{ role: "user", content: "hi" }] },
      { maxTurns: 5, ttlMs: 1000, people },
    );
    const index = storeKeys("chatbot:").people("web:ana");
    expect(keyspace.ttl(index)).toBe(1000);
    clock += 1001;
    expect(keyspace.zset(index)).toBeUndefined();
    expect(await store.threads.forgetUser("web:ana")).toBe(0);
    await store.close();
    keyspace.close();
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

describe("memory store size cap", () => {
  const ROOMY = { requests: 1000, windowMs: 60_000, dailyTokens: 1_000_000 };
  const turn = (n: number) => ({ at: n, entries: [{ role: "user" as const, content: `question ${n}` }] });
  const remember = (store: Store, thread: string, n: number) =>
    store.threads.commit(thread, "owner", turn(n), { maxTurns: 50, ttlMs: 3_600_000 });

  it("holds at most maxKeys keys when sessions keep coming, forgetting the least recently used conversation", async () => {
    const captured = captureLog();
    const store = createMemoryStore({ log: captured.log, maxKeys: 100 });
    await remember(store, "kept", 0);
    for (let i = 1; i <= 1000; i++) {
      await remember(store, `rotating-${i}`, i);
      // A conversation in use is used, so it is not the one evicted.
      if (i % 50 === 0) expect(await store.threads.load("kept")).toHaveLength(1);
    }
    expect(store.keyspace.size).toBeLessThanOrEqual(100);
    expect(await store.threads.load("kept")).toHaveLength(1);
    expect(await store.threads.load("rotating-1")).toEqual([]);
    expect(await store.threads.load("rotating-1000")).toHaveLength(1);
    const warnings = captured.lines.filter((l) => l.level === WARN && /memory store full/.test(l.msg));
    // Logged once (then at most once a minute), not once per eviction.
    expect(warnings).toHaveLength(1);
    await store.close();
  });

  it("stays under the cap, keeping conversations in use, while every new question adds a cached embedding", async () => {
    const store = createMemoryStore({ log: captureLog().log, maxKeys: 100 });
    await remember(store, "kept", 0);
    const vector = new Float32Array([0.6, 0.8]);
    for (let i = 0; i < 1000; i++) {
      // What the help-center search caches for each distinct question (30 days by default).
      await store.vectors.setMany([{ key: `question-${i}`, vector }], 30 * 24 * 3_600_000);
      if (i % 50 === 0) expect(await store.threads.load("kept")).toHaveLength(1);
    }
    expect(store.keyspace.size).toBeLessThanOrEqual(100);
    expect(await store.threads.load("kept")).toHaveLength(1);
    const [oldest, newest] = await store.vectors.getMany(["question-0", "question-999"]);
    expect(oldest).toBeNull();
    expect(newest && [...newest]).toEqual([...vector]);
    await store.close();
  });

  it("never evicts a held lock, a dedup mark or a throttle log to make room", async () => {
    const store = createMemoryStore({ log: captureLog().log, maxKeys: 100 });
    expect((await store.threads.acquire("busy", "first", 60_000)).acquired).toBe(true);
    const strict = { requests: 1, windowMs: 60_000, dailyTokens: 1_000_000 };
    const admit = (messageKey: string, policy: typeof strict) =>
      store.gate.admit({ messageKey, userKey: "u", dedupTtlMs: 60_000, policy });
    expect((await admit("m1", strict)).kind).toBe("ok");
    for (let i = 0; i < 500; i++) await remember(store, `rotating-${i}`, i);
    expect((await store.threads.acquire("busy", "second", 60_000)).acquired).toBe(false);
    expect((await admit("m1", ROOMY)).kind).toBe("duplicate");
    const next = await admit("m2", strict);
    expect(next.kind).toBe("throttled");
    await store.close();
  });
});

describe("memory store cap and feedback", () => {
  it("stays under the cap while every answer waits to be rated, keeping the ratings given", async () => {
    const store = createMemoryStore({ log: captureLog().log, maxKeys: 100 });
    const rated = answered("web:kept", "web:rated");
    await store.feedback.rememberTurn(rated, 3_600_000);
    await store.feedback.rate({
      userKey: "web:kept",
      turnId: rated.turnId,
      rating: "up",
      now: Date.now(),
      ttlMs: 3_600_000,
    });
    for (let i = 0; i < 500; i++)
      await store.feedback.rememberTurn(answered("web:busy", `web:${i}`), 3_600_000);
    expect(store.keyspace.size).toBeLessThanOrEqual(100);
    expect((await store.feedback.get("web:kept", rated.turnId))?.rating).toBe("up");
    await store.close();
  });
});
