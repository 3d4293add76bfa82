/**
 * Every Redis command the store sends goes through `run`: it refuses at once while the client is
 * not connected (no offline queue), counts the round trip, and turns any failure into a StoreError.
 *
 * Commands sent in one round of I/O callbacks share one socket write: the first corks the
 * connection and the event loop's check phase (right after those callbacks) uncorks it, so a
 * turn's save, token count and final edit's grant, and other turns' commands of that moment,
 * leave in one `writev` and are answered in one round trip, without waiting for any earlier
 * command's replies. A socket write is dear on a VM (a syscall, and on loopback the receiver's
 * side of TCP too): one per command cost the store ~25% more CPU in `bench -- core`. (ioredis's
 * auto-pipelining batches too, but sends nothing new while a batch is in flight: see
 * connection.ts.) On a Cluster each command is written to its node's connection as it comes.
 */
import type { Socket } from "node:net";
import { StoreError } from "../../core/errors.js";
import type { RedisClient } from "./connection.js";

export interface RedisStats {
  /** Commands and scripts sent (those of one round of callbacks leave in one socket write). */
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
      corkForThisTick(client);
      try {
        return await send();
      } catch (err) {
        const reason = err instanceof Error ? err.message : String(err);
        throw new StoreError(`redis ${op} failed: ${reason}`, { cause: err });
      }
    },
  };
}

/** Hold the single node's socket writes until this round of callbacks is over (see the header). */
function corkForThisTick(client: RedisClient): void {
  if (client.isCluster) return;
  const socket = (client as { stream?: Socket }).stream;
  if (!socket || socket.writableCorked > 0 || socket.destroyed) return;
  socket.cork();
  setImmediate(uncork, socket);
}

function uncork(socket: Socket): void {
  socket.uncork();
}

/** A reply that does not have the shape our own script returns: a bug or a foreign key. */
export function unexpectedReply(op: string, reply: unknown): StoreError {
  return new StoreError(`redis ${op} returned an unexpected reply: ${JSON.stringify(reply)?.slice(0, 200)}`);
}
