/** Tool caches and counters on Redis. */
import type { KeyValueStore } from "../../core/ports.js";
import { type StoreKeys, wholeMs } from "../keys.js";
import { type Caller, unexpectedReply } from "./caller.js";
import type { RedisClient } from "./connection.js";
import type { ScriptCommands } from "./scripts.js";

export function createRedisKv(
  client: RedisClient,
  scripts: ScriptCommands,
  keys: StoreKeys,
  caller: Caller,
): KeyValueStore {
  return {
    async get(key: string): Promise<string | null> {
      return caller.run("kv.get", () => client.get(keys.kv(key)));
    },

    async set(key: string, value: string, ttlMs: number): Promise<void> {
      const ttl = wholeMs("ttlMs", ttlMs);
      await caller.run("kv.set", () => client.set(keys.kv(key), value, "PX", ttl));
    },

    async increment(key: string, ttlMs: number, by = 1): Promise<number> {
      const ttl = wholeMs("ttlMs", ttlMs);
      const reply = await caller.run("kv.increment", () =>
        scripts.chatbotIncrement(keys.kv(key), ttl, Math.trunc(by)),
      );
      if (typeof reply !== "number") throw unexpectedReply("kv.increment", reply);
      return reply;
    },

    async delete(names: readonly string[]): Promise<number> {
      // One DEL per key, all sent at once: on a Cluster the keys live in different slots.
      const replies = await caller.run("kv.delete", () =>
        Promise.all(names.map((key) => client.del(keys.kv(key)))),
      );
      return replies.reduce((n, r) => n + r, 0);
    },
  };
}
