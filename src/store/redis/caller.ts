/**
 * Every Redis command the store sends goes through `run`: it refuses at once while the client is
 * not connected (no offline queue), counts the round trip, and turns any failure into a StoreError.
 */
import { StoreError } from "../../core/errors.js";
import type { RedisClient } from "./connection.js";

export interface RedisStats {
  /** Commands and scripts sent (auto-pipelining sends those issued in one tick in one write). */
  roundTrips: number;
}

export interface Caller {
  run<T>(op: string, send: () => Promise<T>): Promise<T>;
}

export function createCaller(client: RedisClient, target: string, stats: RedisStats): Caller {
  return {
    async run<T>(op: string, send: () => Promise<T>): Promise<T> {
      if (client.status !== "ready") {
        throw new StoreError(`redis ${op} failed: not connected to ${target} (${client.status})`);
      }
      stats.roundTrips++;
      try {
        return await send();
      } catch (err) {
        const reason = err instanceof Error ? err.message : String(err);
        throw new StoreError(`redis ${op} failed: ${reason}`, { cause: err });
      }
    },
  };
}

/** A reply that does not have the shape our own script returns: a bug or a foreign key. */
export function unexpectedReply(op: string, reply: unknown): StoreError {
  return new StoreError(`redis ${op} returned an unexpected reply: ${JSON.stringify(reply)?.slice(0, 200)}`);
}
