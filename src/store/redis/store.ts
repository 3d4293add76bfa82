/**
 * The Redis store (single node or Cluster), shared by every replica. Each port call is one
 * command or one Lua script; commands issued in the same round of callbacks go out in one socket
 * write (caller.ts corks the connection), so a turn's save, token count and final edit's grant
 * cost one round trip together. `stats.roundTrips` counts the commands sent.
 */
import type { Store } from "../../core/ports.js";
import type { Logger } from "../../log.js";
import { historyCacheFor } from "../history.js";
import { storeKeys } from "../keys.js";
import { createRedisBudgets } from "./budgets.js";
import { createCaller, type RedisStats } from "./caller.js";
import { DEFAULT_COMMAND_TIMEOUT_MS, openConnection } from "./connection.js";
import { createRedisFeedback } from "./feedback.js";
import { createRedisGate } from "./gate.js";
import { createRedisHandoffs } from "./handoffs.js";
import { createRedisInstallations, createRedisWorkspaceThreads } from "./installations.js";
import { createRedisKv } from "./kv.js";
import { defineScripts } from "./scripts.js";
import { createRedisThreads } from "./threads.js";
import { createRedisVectors } from "./vectors.js";

export interface RedisStoreOptions {
  /** redis:// or rediss:// URL. With `clusterNodes`, only its credentials and TLS are used. */
  url?: string;
  /** "host:port,host:port": seed nodes of a Redis Cluster. */
  clusterNodes?: string;
  /** Namespace of every key, e.g. "chatbot:". */
  prefix: string;
  log: Logger;
  commandTimeoutMs?: number;
  /** Memory for parsed histories of recently read threads (HISTORY_CACHE_MB; store/history.ts). */
  historyCacheMb?: number;
}

export interface RedisStore extends Store {
  readonly kind: "redis";
  readonly stats: Readonly<RedisStats>;
  /** Where the store connects, password masked (for logs and /readyz). */
  readonly target: string;
}

/** Connect (rejecting with a StoreError within a few seconds if Redis cannot be reached). */
export async function createRedisStore(opts: RedisStoreOptions): Promise<RedisStore> {
  const connection = await openConnection({
    url: opts.url,
    clusterNodes: opts.clusterNodes,
    log: opts.log,
    commandTimeoutMs: opts.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS,
  });
  const { client, target } = connection;
  const stats: RedisStats = { roundTrips: 0 };
  const caller = createCaller(client, target, stats);
  const scripts = defineScripts(client);
  const keys = storeKeys(opts.prefix);
  const histories = historyCacheFor(opts.historyCacheMb);

  return {
    kind: "redis",
    stats,
    target,
    gate: createRedisGate(scripts, keys, caller),
    threads: createRedisThreads(client, scripts, keys, caller, opts.log, histories),
    kv: createRedisKv(client, scripts, keys, caller),
    vectors: createRedisVectors(client, keys, caller),
    budgets: createRedisBudgets(scripts, keys, caller),
    feedback: createRedisFeedback(client, opts.prefix, caller, opts.log),
    installations: createRedisInstallations(client, keys, caller),
    workspaceThreads: createRedisWorkspaceThreads(client, keys, caller, histories),
    handoffs: createRedisHandoffs(client, opts.prefix, caller, opts.log),
    async ping() {
      await caller.run("ping", () => client.ping());
    },
    async close() {
      histories.clear();
      connection.markClosing();
      try {
        await client.quit();
      } catch {
        // Not connected right now: nothing to say goodbye to.
      }
      client.disconnect();
    },
  };
}
