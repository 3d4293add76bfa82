import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { silentLogger } from "../../src/log.js";
import { storeKeys } from "../../src/store/keys.js";
import { MemoryKeyspace } from "../../src/store/memory/keyspace.js";
import { createMemoryStore } from "../../src/store/memory/store.js";
import { createRedisStore } from "../../src/store/redis/store.js";
import { requires } from "../support/binaries.js";
import {
  deleteKeys,
  startRedis,
  type TestRedis,
  uniquePrefix,
  usingExternalRedis,
} from "../support/redis.js";

const HOUR = 3_600_000;
const needsRedis = requires("redis");
let redis: TestRedis | undefined;
beforeAll(async () => {
  if (!needsRedis.skip) redis = await startRedis();
});
afterAll(async () => {
  await redis?.stop();
});

describe("a workspace's thread index", () => {
  it("outlives every thread noted in it, even when a shorter-lived one is noted last (memory)", async () => {
    let now = 1_700_000_000_000;
    const keyspace = new MemoryKeyspace({ now: () => now });
    const store = createMemoryStore({ log: silentLogger(), keyspace });
    await store.workspaceThreads.remember("T:T1", "slack:T1:C1:1", 10 * HOUR);
    await store.workspaceThreads.remember("T:T1", "slack:T1:C2:2", HOUR);
    now += 2 * HOUR;
    expect(await store.workspaceThreads.forgetAll("T:T1")).toBe(2);
    await store.close();
    keyspace.close();
  });

  it(
    "outlives every thread noted in it, even when a shorter-lived one is noted last (Redis)",
    needsRedis,
    async () => {
      if (!redis) throw new Error("redis not started");
      const prefix = uniquePrefix("ws-threads");
      const store = await createRedisStore({ url: redis.url, prefix, log: silentLogger() });
      const raw = new Redis(redis.url);
      try {
        await store.workspaceThreads.remember("T:T1", "slack:T1:C1:1", 10 * HOUR);
        await store.workspaceThreads.remember("T:T1", "slack:T1:C2:2", HOUR);
        expect(await raw.pttl(storeKeys(prefix).workspaceThreads("T:T1"))).toBeGreaterThan(9 * HOUR);
        expect(await store.workspaceThreads.forgetAll("T:T1")).toBe(2);
      } finally {
        raw.disconnect();
        await store.close();
        if (usingExternalRedis()) await deleteKeys(redis.url, prefix);
      }
    },
  );
});
