/** The embedding cache over the memory keyspace. */
import type { VectorCache } from "../../core/ports.js";
import { decodeVector, encodeVector, type StoreKeys, wholeMs } from "../keys.js";
import type { MemoryKeyspace } from "./keyspace.js";

export function createMemoryVectors(
  space: MemoryKeyspace,
  keys: StoreKeys,
  ensureOpen: () => void,
): VectorCache {
  return {
    async getMany(names: string[]): Promise<(Float32Array | null)[]> {
      ensureOpen();
      return names.map((name) => decodeVector(space.getString(keys.vector(name))));
    },

    async setMany(entries: { key: string; vector: Float32Array }[], ttlMs: number): Promise<void> {
      ensureOpen();
      const ttl = wholeMs("ttlMs", ttlMs);
      for (const { key, vector } of entries) space.setString(keys.vector(key), encodeVector(vector), ttl);
    },
  };
}
