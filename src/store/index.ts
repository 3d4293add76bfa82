/**
 * Choosing the store: Redis when REDIS_URL or REDIS_CLUSTER_NODES is set (required for more than
 * one replica), otherwise the embedded memory store.
 */

import type { Env } from "../config.js";
import type { Store } from "../core/ports.js";
import type { Logger } from "../log.js";
import { createMemoryStore } from "./memory/store.js";
import { createRedisStore } from "./redis/store.js";

export { DEFAULT_KEY_PREFIX, type StoreKeys, storeKeys } from "./keys.js";
export { MemoryKeyspace } from "./memory/keyspace.js";
export { createMemoryStore, type MemoryStore, type MemoryStoreOptions } from "./memory/store.js";
export { maskRedisUrl } from "./redis/connection.js";
export { createRedisStore, type RedisStore, type RedisStoreOptions } from "./redis/store.js";

export async function createStore(
  env: Pick<Env, "REDIS_URL" | "REDIS_CLUSTER_NODES" | "KEY_PREFIX"> &
    Partial<Pick<Env, "MEMORY_STORE_MAX_KEYS" | "HISTORY_CACHE_MB">>,
  log: Logger,
): Promise<Store> {
  if (env.REDIS_URL || env.REDIS_CLUSTER_NODES) {
    return createRedisStore({
      ...(env.REDIS_URL ? { url: env.REDIS_URL } : {}),
      ...(env.REDIS_CLUSTER_NODES ? { clusterNodes: env.REDIS_CLUSTER_NODES } : {}),
      prefix: env.KEY_PREFIX,
      log,
      ...(env.HISTORY_CACHE_MB !== undefined ? { historyCacheMb: env.HISTORY_CACHE_MB } : {}),
    });
  }
  log.warn(
    "no REDIS_URL: using the in-memory store; it is per process (replicas do not share dedup, " +
      "throttle or history) and loses everything on restart",
  );
  return createMemoryStore({
    log,
    prefix: env.KEY_PREFIX,
    ...(env.MEMORY_STORE_MAX_KEYS !== undefined ? { maxKeys: env.MEMORY_STORE_MAX_KEYS } : {}),
    ...(env.HISTORY_CACHE_MB !== undefined ? { historyCacheMb: env.HISTORY_CACHE_MB } : {}),
  });
}
