import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { StoreError } from "../../src/core/errors.js";
import type { Store } from "../../src/core/ports.js";
import { storeKeys } from "../../src/store/keys.js";
import { createRedisStore, type RedisStore } from "../../src/store/redis/store.js";
import { requires } from "../support/binaries.js";
import {
  deleteKeys,
  freePort,
  startRedis,
  type TestRedis,
  uniquePrefix,
  usingExternalRedis,
} from "../support/redis.js";
import { budgetContract } from "./budget-contract.js";
import { type OpenStore, storeContract } from "./contract.js";
import { feedbackContract } from "./feedback-contract.js";
import { forgetContract } from "./forget-contract.js";
import { handoffContract } from "./handoff-contract.js";
import { installationsContract } from "./installations-contract.js";
import { captureLog, WARN } from "./log-capture.js";
import { workspaceRecordsContract } from "./workspace-records-contract.js";

// Skipped (or, under CI=true, failed) without redis-server and REDIS_URL.
const needsRedis = requires("redis");

let redis: TestRedis;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.stop();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Fails the test if `promise` has not settled after `ms` (a hang detector, not a timing check). */
async function settlesWithin<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`still pending after ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, hang]);
  } finally {
    clearTimeout(timer);
  }
}

const openRedis: OpenStore = async ({ log }) => {
  const prefix = uniquePrefix();
  const open = () => createRedisStore({ url: redis.url, prefix, log });
  const stores: Store[] = [await open()];
  const raw = new Redis(redis.url);
  return {
    store: stores[0]!,
    async replica() {
      const store = await open();
      stores.push(store);
      return store;
    },
    async appendRawHistory(threadKey, entry) {
      await raw.rpush(storeKeys(prefix).history(threadKey), entry);
    },
    async close() {
      await Promise.all(stores.map((s) => s.close()));
      raw.disconnect();
      if (usingExternalRedis()) await deleteKeys(redis.url, prefix);
    },
  };
};
storeContract("redis", openRedis, needsRedis);
budgetContract("redis", openRedis, needsRedis);
feedbackContract("redis", openRedis, needsRedis);
installationsContract("redis", openRedis, needsRedis);
forgetContract("redis", openRedis, needsRedis);
handoffContract("redis", openRedis, needsRedis);
workspaceRecordsContract("redis", openRedis, needsRedis);

const POLICY = { requests: 10, windowMs: 60_000, dailyTokens: 100_000 };
const TURN = { at: 1, entries: [{ role: "user" as const, content: "hi" }] };

describe("redis store", needsRedis, () => {
  it("runs a whole turn (admit, acquire+load, commit with the people index and the token count) in three round trips", async () => {
    const prefix = uniquePrefix();
    const store = await createRedisStore({ url: redis.url, prefix, log: captureLog().log });
    const before = store.stats.roundTrips;
    expect(
      await store.gate.admit({ messageKey: "m1", userKey: "u1", dedupTtlMs: 60_000, policy: POLICY }),
    ).toEqual({
      kind: "ok",
    });
    expect((await store.threads.acquire("t1", "owner", 5_000)).acquired).toBe(true);
    const people = { userKeys: ["u0", "u1"], audience: "shared" as const };
    expect(
      await store.threads.commit("t1", "owner", TURN, {
        maxTurns: 10,
        ttlMs: 60_000,
        people,
        spent: { userKey: "u1", tokens: 42 },
      }),
    ).toBe(true);
    expect(store.stats.roundTrips - before).toBe(3);
    // The index writes sent with the commit landed: both people's indexes reach the thread.
    const raw = new Redis(redis.url);
    expect(await raw.zrange(storeKeys(prefix).people("u0"), "0", "-1")).toEqual(["s|t1"]);
    expect(await raw.zrange(storeKeys(prefix).people("u1"), "0", "-1")).toEqual(["s|t1"]);
    // ...and the index expires with the history it points at.
    const ttl = await raw.pttl(storeKeys(prefix).people("u1"));
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(60_000);
    // The tokens were counted for the asker alone, in the script of their own index entry.
    expect(await raw.get(storeKeys(prefix).tokens("u1", Date.now()))).toBe("42");
    expect(await raw.get(storeKeys(prefix).tokens("u0", Date.now()))).toBeNull();
    expect(await raw.pttl(storeKeys(prefix).tokens("u1", Date.now()))).toBeGreaterThan(60_000);
    raw.disconnect();
    await store.close();
    if (usingExternalRedis()) await deleteKeys(redis.url, prefix);
  });

  it("takes a thread's lock by script and reads its history by a plain LRANGE with it; a thread found held reads once it is taken", async () => {
    const prefix = uniquePrefix();
    const keys = storeKeys(prefix);
    const store = await createRedisStore({ url: redis.url, prefix, log: captureLog().log });
    const turns = [1, 2, 3].map((n) => ({ at: n, entries: [{ role: "user" as const, content: `q${n}` }] }));
    for (const turn of turns) {
      expect((await store.threads.acquire("t1", "earlier", 5_000)).acquired).toBe(true);
      await store.threads.commit("t1", "earlier", turn, { maxTurns: 10, ttlMs: 60_000 });
    }
    const monitor = await new Redis(redis.url).monitor();
    const raw = new Redis(redis.url);
    const ready = `${prefix}monitor-ready`;
    let seen: string[][] = [];
    monitor.on("monitor", (_time: string, args: string[], source: string) => {
      // Commands a script runs are shown too, from "lua": only what clients sent counts here.
      if (source !== "lua" && args.some((a) => a.startsWith(prefix)) && !args.includes(ready))
        seen.push(args);
    });
    // MONITOR shows commands from its start: a marker command says when it is listening.
    let listening = false;
    monitor.on("monitor", (_time: string, args: string[]) => {
      if (args.includes(ready)) listening = true;
    });
    await vi.waitFor(async () => {
      await raw.get(ready);
      expect(listening).toBe(true);
    });
    const sent = async <T>(step: () => Promise<T>, commands: number) => {
      seen = [];
      const before = store.stats.roundTrips;
      const result = await step();
      await vi.waitFor(() => expect(seen).toHaveLength(commands));
      return { result, roundTrips: store.stats.roundTrips - before, seen };
    };

    const first = await sent(() => store.threads.acquire("t1", "owner", 5_000), 2);
    expect(first.result).toEqual({ acquired: true, history: turns });
    expect(first.roundTrips).toBe(1);
    const [lock, read] = first.seen;
    expect(lock![0]!.toLowerCase()).toMatch(/^eval(sha)?$/);
    expect(lock).toContain(keys.lock("t1"));
    expect(read).toEqual(["lrange", keys.history("t1"), "0", "-1"]);

    // Held now: refused (its read thrown away). The waiting turn's polls send the script alone...
    expect((await sent(() => store.threads.acquire("t1", "other", 5_000), 2)).result).toEqual({
      acquired: false,
    });
    const poll = await sent(() => store.threads.acquire("t1", "other", 5_000), 1);
    expect(poll.result).toEqual({ acquired: false });
    expect(poll.seen[0]![0]!.toLowerCase()).toMatch(/^eval(sha)?$/);
    // ...and once it is given back, the history is read after the lock, in a round trip of its own.
    const fourth = { at: 4, entries: [{ role: "user" as const, content: "q4" }] };
    await sent(() => store.threads.commit("t1", "owner", fourth, { maxTurns: 10, ttlMs: 60_000 }), 1);
    const taken = await sent(() => store.threads.acquire("t1", "other", 5_000), 2);
    expect(taken.result).toEqual({ acquired: true, history: [...turns, fourth] });
    expect(taken.roundTrips).toBe(2);
    expect(taken.seen[1]).toEqual(["lrange", keys.history("t1"), "0", "-1"]);
    monitor.disconnect();
    raw.disconnect();
    await store.close();
    if (usingExternalRedis()) await deleteKeys(redis.url, prefix);
  });

  it("takes a thread whose lock script Redis lost (SCRIPT FLUSH) with its whole history", async () => {
    const prefix = uniquePrefix();
    const store = await createRedisStore({ url: redis.url, prefix, log: captureLog().log });
    const turn = { at: 1, entries: [{ role: "user" as const, content: "q1" }] };
    expect((await store.threads.acquire("t1", "a", 5_000)).acquired).toBe(true);
    await store.threads.commit("t1", "a", turn, { maxTurns: 10, ttlMs: 60_000 });
    const raw = new Redis(redis.url);
    await raw.script("FLUSH");
    expect(await store.threads.acquire("t1", "b", 5_000)).toEqual({ acquired: true, history: [turn] });
    raw.disconnect();
    await store.close();
    if (usingExternalRedis()) await deleteKeys(redis.url, prefix);
  });

  it("keeps the request window on the server clock, so a replica with a skewed clock shares it", async () => {
    const prefix = uniquePrefix();
    const store = await createRedisStore({ url: redis.url, prefix, log: captureLog().log });
    const policy = { ...POLICY, requests: 2 };
    const admit = (messageKey: string) =>
      store.gate.admit({ messageKey, userKey: "u1", dedupTtlMs: 60_000, policy });
    expect(await admit("m1")).toEqual({ kind: "ok" });
    // This process's clock jumps two windows ahead; the server's does not.
    const now = Date.now();
    const skew = vi.spyOn(Date, "now").mockImplementation(() => now + 2 * policy.windowMs);
    try {
      expect(await admit("m2")).toEqual({ kind: "ok" });
      expect(await admit("m3")).toMatchObject({ kind: "throttled", reason: "rate" });
    } finally {
      skew.mockRestore();
    }
    await store.close();
    if (usingExternalRedis()) await deleteKeys(redis.url, prefix);
  });

  it("puts the keys under the prefix with one hash tag per thread and per user", async () => {
    const prefix = uniquePrefix();
    const store = await createRedisStore({ url: redis.url, prefix, log: captureLog().log });
    await store.gate.admit({
      messageKey: "slack:m1",
      userKey: "slack:T1:U1",
      dedupTtlMs: 60_000,
      policy: POLICY,
    });
    await store.gate.recordTokens("slack:T1:U1", 5);
    await store.threads.acquire("slack:T1:C1:1700.1", "owner", 5_000);
    await store.threads.commit("slack:T1:C1:1700.1", "other", TURN, { maxTurns: 10, ttlMs: 60_000 });
    await store.kv.set("weather:Paris", "{}", 60_000);
    const raw = new Redis(redis.url);
    const keys = (await raw.keys(`${prefix}*`)).map((k) => k.slice(prefix.length)).sort();
    raw.disconnect();
    const day = new Date().toISOString().slice(0, 10).replaceAll("-", "");
    expect(keys).toEqual(
      [
        "kv:weather:Paris",
        "{slack:T1:C1:1700.1}:history",
        "{slack:T1:C1:1700.1}:lock",
        "{slack:T1:U1}:rate",
        "{slack:T1:U1}:seen:slack:m1",
        `{slack:T1:U1}:tokens:${day}`,
      ].sort(),
    );
    await store.close();
    if (usingExternalRedis()) await deleteKeys(redis.url, prefix);
  });

  it("rejects at start with a StoreError naming the address and cause, never the password", async () => {
    const port = await freePort();
    const captured = captureLog();
    const url = `redis://:hunter2@127.0.0.1:${port}`;
    const failure = await settlesWithin(
      createRedisStore({ url, prefix: uniquePrefix(), log: captured.log }).then(
        () => new Error("connected to a port nobody listens on"),
        (err: unknown) => err,
      ),
      10_000,
    );
    expect(failure).toBeInstanceOf(StoreError);
    const message = (failure as StoreError).message;
    expect(message).toContain(`127.0.0.1:${port}`);
    expect(message).toContain("ECONNREFUSED");
    expect(message).not.toContain("hunter2");
    expect(captured.text()).not.toContain("hunter2");
  });

  describe.skipIf(usingExternalRedis())("when Redis goes away", () => {
    let own: TestRedis;
    beforeAll(async () => {
      own = await startRedis();
    });
    afterAll(async () => {
      await own?.stop();
    });

    it("fails calls fast with a StoreError while down and recovers by itself when Redis is back", async () => {
      const captured = captureLog();
      const store: RedisStore = await createRedisStore({
        url: own.url,
        prefix: uniquePrefix(),
        log: captured.log,
        commandTimeoutMs: 500,
      });
      const admit = (messageKey: string) =>
        store.gate.admit({ messageKey, userKey: "u1", dedupTtlMs: 60_000, policy: POLICY });
      expect(await admit("before")).toEqual({ kind: "ok" });

      await own.stop();
      const calls: Promise<unknown>[] = [
        admit("down-1"),
        store.threads.load("t1"),
        store.kv.get("k"),
        store.ping(),
      ];
      for (const call of calls) {
        await expect(settlesWithin(call, 5_000)).rejects.toBeInstanceOf(StoreError);
      }

      await own.restart();
      let recovered = false;
      for (let attempt = 0; attempt < 100 && !recovered; attempt++) {
        recovered = await store.ping().then(
          () => true,
          () => false,
        );
        if (!recovered) await sleep(100);
      }
      expect(recovered).toBe(true);
      expect(await admit("after")).toEqual({ kind: "ok" });
      expect(await store.threads.commit("t1", "o", TURN, { maxTurns: 5, ttlMs: 60_000 })).toBe(false);
      expect(await store.threads.load("t1")).toEqual([TURN]);

      const warned = captured.lines.filter(
        (l) => l.level === WARN && String(l.msg).startsWith("redis connection"),
      );
      expect(warned.length).toBeGreaterThanOrEqual(1);
      expect(captured.lines.some((l) => l.msg === "redis connection restored")).toBe(true);
      await store.close();
    });

    it("fails a call with a StoreError when Redis stops answering mid-connection, then carries on", async () => {
      const store = await createRedisStore({
        url: own.url,
        prefix: uniquePrefix(),
        log: captureLog().log,
        commandTimeoutMs: 300,
      });
      await own.pause();
      try {
        await expect(settlesWithin(store.kv.get("k"), 5_000)).rejects.toThrow(StoreError);
        await expect(store.kv.get("k")).rejects.toThrow(/timed out/i);
      } finally {
        await own.resume();
      }
      await store.kv.set("k", "v", 60_000);
      expect(await store.kv.get("k")).toBe("v");
      await store.close();
    });
  });
});
