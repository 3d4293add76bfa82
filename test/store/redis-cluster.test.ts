import { Cluster } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { StoreError } from "../../src/core/errors.js";
import type { Store } from "../../src/core/ports.js";
import { storeKeys } from "../../src/store/keys.js";
import { createRedisStore } from "../../src/store/redis/store.js";
import { requires } from "../support/binaries.js";
import { freePort, uniquePrefix } from "../support/redis.js";
import { startRedisCluster, type TestRedisCluster } from "../support/redis-cluster.js";
import { type OpenStore, storeContract } from "./contract.js";
import { feedbackContract } from "./feedback-contract.js";
import { forgetContract } from "./forget-contract.js";
import { handoffContract } from "./handoff-contract.js";
import { installationsContract } from "./installations-contract.js";
import { captureLog } from "./log-capture.js";
import { workspaceRecordsContract } from "./workspace-records-contract.js";

// A cluster needs redis-server and redis-cli themselves; REDIS_URL cannot stand in.
const needsRedisServer = requires("redis-server");

let cluster: TestRedisCluster;
let raw: Cluster;
beforeAll(async () => {
  cluster = await startRedisCluster();
  raw = new Cluster(
    cluster.ports.map((port) => ({ host: "127.0.0.1", port })),
    { lazyConnect: true },
  );
  await raw.connect();
});
afterAll(async () => {
  raw?.disconnect();
  await cluster?.stop();
});

const openCluster: OpenStore = async ({ log }) => {
  const prefix = uniquePrefix();
  const open = () => createRedisStore({ clusterNodes: cluster.nodes, prefix, log });
  const stores: Store[] = [await open()];
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
    },
  };
};
storeContract("redis cluster", openCluster, needsRedisServer);
feedbackContract("redis cluster", openCluster, needsRedisServer);
installationsContract("redis cluster", openCluster, needsRedisServer);
forgetContract("redis cluster", openCluster, needsRedisServer);
handoffContract("redis cluster", openCluster, needsRedisServer);
workspaceRecordsContract("redis cluster", openCluster, needsRedisServer);

const POLICY = { requests: 10, windowMs: 60_000, dailyTokens: 100_000 };
const TURN = { at: 1, entries: [{ role: "user" as const, content: "hi" }] };

describe("redis cluster store", needsRedisServer, () => {
  const slot = async (key: string) => Number(await raw.call("CLUSTER", "KEYSLOT", key));

  it("keeps every key of one thread and of one user in one slot, and spreads threads over slots", async () => {
    const keys = storeKeys("chatbot:");
    const thread = "slack:T1:C1:1700000000.000100";
    const user = "slack:T1:U1";
    const threadSlots = new Set([await slot(keys.history(thread)), await slot(keys.lock(thread))]);
    const userSlots = new Set([
      await slot(keys.rate(user)),
      await slot(keys.tokens(user, Date.now())),
      await slot(keys.seen(user, "slack:Ev123")),
      await slot(keys.seen(user, "slack:Ev456")),
    ]);
    expect(threadSlots.size).toBe(1);
    expect(userSlots.size).toBe(1);
    const manyThreads = new Set(
      await Promise.all(Array.from({ length: 20 }, (_, i) => slot(keys.history(`slack:T1:C1:${i}`)))),
    );
    expect(manyThreads.size).toBeGreaterThan(1);
  });

  it("runs a whole turn in four round trips on a cluster too", async () => {
    const store = await createRedisStore({
      clusterNodes: cluster.nodes,
      prefix: uniquePrefix(),
      log: captureLog().log,
    });
    const before = store.stats.roundTrips;
    await store.gate.admit({ messageKey: "m1", userKey: "u1", dedupTtlMs: 60_000, policy: POLICY });
    await store.threads.acquire("t1", "owner", 5_000);
    await store.threads.commit("t1", "owner", TURN, { maxTurns: 10, ttlMs: 60_000 });
    await store.gate.recordTokens("u1", 42);
    expect(store.stats.roundTrips - before).toBe(4);
    await store.close();
  });

  it("rejects at start with a StoreError when no cluster node answers", async () => {
    const [a, b] = [await freePort(), await freePort()];
    const failure = await createRedisStore({
      clusterNodes: `127.0.0.1:${a},127.0.0.1:${b}`,
      prefix: uniquePrefix(),
      log: captureLog().log,
    }).then(
      () => new Error("connected to ports nobody listens on"),
      (err: unknown) => err,
    );
    expect(failure).toBeInstanceOf(StoreError);
    expect((failure as StoreError).message).toContain(`127.0.0.1:${a}`);
    expect((failure as StoreError).message).toContain("ECONNREFUSED");
  });
});
