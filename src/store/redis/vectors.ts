/** The embedding cache on Redis: one MGET to read a batch, one pipeline of SET PX to write it. */
import type { VectorCache } from "../../core/ports.js";
import { decodeVector, encodeVector, type StoreKeys, wholeMs } from "../keys.js";
import type { Caller } from "./caller.js";
import type { RedisClient } from "./connection.js";

export function createRedisVectors(client: RedisClient, keys: StoreKeys, caller: Caller): VectorCache {
  return {
    async getMany(names: string[]): Promise<(Float32Array | null)[]> {
      if (names.length === 0) return [];
      const values = await caller.run("vectors.get", () => client.mget(names.map((n) => keys.vector(n))));
      return values.map((v) => decodeVector(v));
    },

    async setMany(entries: { key: string; vector: Float32Array }[], ttlMs: number): Promise<void> {
      if (entries.length === 0) return;
      const ttl = wholeMs("ttlMs", ttlMs);
      await caller.run("vectors.set", async () => {
        const pipeline = client.pipeline();
        for (const { key, vector } of entries)
          pipeline.set(keys.vector(key), encodeVector(vector), "PX", ttl);
        const replies = (await pipeline.exec()) ?? [];
        const failed = replies.find(([err]) => err);
        if (failed?.[0]) throw failed[0];
      });
    },
  };
}
