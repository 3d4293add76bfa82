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

/**
 * Calls at Redis at once, at most. A burst (10,000 messages arriving together) would otherwise put
 * every command at Redis in one go, and the last ones would wait there longer than the command
 * timeout (which runs from when a command is sent): half of such a burst failed as "store
 * unavailable". Beyond this many, calls wait here, their timeout not yet running. Never reached
 * at ordinary load (a turn has one or two calls out at a time).
 */
export const MAX_CALLS_IN_FLIGHT = 1_000;

export function createCaller(client: RedisClient, target: string, stats: RedisStats): Caller {
  let inFlight = 0;
  const waiting: (() => void)[] = [];
  const done = () => {
    const next = waiting.shift();
    if (next) next();
    else inFlight--;
  };
  return {
    async run<T>(op: string, send: () => Promise<T>): Promise<T> {
      refuseUnlessReady(client, op, target);
      if (inFlight >= MAX_CALLS_IN_FLIGHT) await new Promise<void>((resolve) => waiting.push(resolve));
      else inFlight++;
      stats.roundTrips++;
      try {
        // Again after a wait for a slot: the connection may have dropped meanwhile.
        refuseUnlessReady(client, op, target);
        corkForThisTick(client);
        return await send();
      } catch (err) {
        if (err instanceof StoreError) throw err;
        const reason = err instanceof Error ? err.message : String(err);
        throw new StoreError(`redis ${op} failed: ${reason}`, { cause: err });
      } finally {
        done();
      }
    },
  };
}

function refuseUnlessReady(client: RedisClient, op: string, target: string): void {
  if (client.status !== "ready") {
    throw new StoreError(`redis ${op} failed: not connected to ${target} (${client.status})`);
  }
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
