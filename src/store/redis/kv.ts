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
  };
}
