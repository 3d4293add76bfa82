/** Per-thread lock and history on Redis: acquire+load, commit+release are one script each. */
import type { AcquireResult, ThreadStore } from "../../core/ports.js";
import type { StoredTurn } from "../../core/types.js";
import type { Logger } from "../../log.js";
import { decodeHistory, encodeTurn } from "../history.js";
import { positiveCount, type StoreKeys, wholeMs } from "../keys.js";
import { type Caller, unexpectedReply } from "./caller.js";
import type { RedisClient } from "./connection.js";
import type { ScriptCommands } from "./scripts.js";

export function createRedisThreads(
  client: RedisClient,
  scripts: ScriptCommands,
  keys: StoreKeys,
  caller: Caller,
  log: Logger,
): ThreadStore {
  return {
    async acquire(threadKey: string, owner: string, ttlMs: number): Promise<AcquireResult> {
      const ttl = wholeMs("ttlMs", ttlMs);
      const reply = await caller.run("acquire", () =>
        scripts.chatbotAcquire(keys.lock(threadKey), keys.history(threadKey), owner, ttl),
      );
      if (Array.isArray(reply)) {
        const [taken, entries] = reply as unknown[];
        if (taken === 0) return { acquired: false };
        if (taken === 1 && isStringArray(entries)) {
          return { acquired: true, history: decodeHistory(entries, threadKey, log) };
        }
      }
      throw unexpectedReply("acquire", reply);
    },

    async extend(threadKey: string, owner: string, ttlMs: number): Promise<boolean> {
      const ttl = wholeMs("ttlMs", ttlMs);
      const reply = await caller.run("extend", () => scripts.chatbotExtend(keys.lock(threadKey), owner, ttl));
      return flag("extend", reply);
    },

    async commit(
      threadKey: string,
      owner: string,
      turn: StoredTurn,
      opts: { maxTurns: number; ttlMs: number },
    ): Promise<boolean> {
      const maxTurns = positiveCount("maxTurns", opts.maxTurns);
      const ttl = wholeMs("ttlMs", opts.ttlMs);
      const reply = await caller.run("commit", () =>
        scripts.chatbotCommit(
          keys.lock(threadKey),
          keys.history(threadKey),
          owner,
          encodeTurn(turn),
          maxTurns,
          ttl,
        ),
      );
      return flag("commit", reply);
    },

    async release(threadKey: string, owner: string): Promise<boolean> {
      const reply = await caller.run("release", () => scripts.chatbotRelease(keys.lock(threadKey), owner));
      return flag("release", reply);
    },

    async load(threadKey: string): Promise<StoredTurn[]> {
      const entries = await caller.run("load", () => client.lrange(keys.history(threadKey), 0, -1));
      return decodeHistory(entries, threadKey, log);
    },
  };
}

function isStringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((item) => typeof item === "string");
}

function flag(op: string, reply: unknown): boolean {
  if (reply === 0 || reply === 1) return reply === 1;
  throw unexpectedReply(op, reply);
}
