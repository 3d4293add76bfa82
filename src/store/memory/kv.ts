/** Tool caches and counters over the memory keyspace. */
import type { KeyValueStore } from "../../core/ports.js";
import { type StoreKeys, wholeMs } from "../keys.js";
import type { MemoryKeyspace } from "./keyspace.js";

export function createMemoryKv(
  space: MemoryKeyspace,
  keys: StoreKeys,
  ensureOpen: () => void,
): KeyValueStore {
  return {
    async get(key: string): Promise<string | null> {
      ensureOpen();
      return space.getString(keys.kv(key));
    },

    async set(key: string, value: string, ttlMs: number): Promise<void> {
      ensureOpen();
      space.setString(keys.kv(key), value, wholeMs("ttlMs", ttlMs));
    },

    async increment(key: string, ttlMs: number, by = 1): Promise<number> {
      ensureOpen();
      const ttl = wholeMs("ttlMs", ttlMs);
      const name = keys.kv(key);
      const value = space.incrementBy(name, Math.trunc(by));
      // Only a counter without expiry gets one: a running window is not pushed further out.
      if (space.ttl(name) === -1) space.expire(name, ttl);
      return value;
    },

    async delete(names: readonly string[]): Promise<number> {
      ensureOpen();
      return names.filter((key) => space.delete(keys.kv(key))).length;
    },
  };
}
