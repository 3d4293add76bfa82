/** Per-thread lock and history over the memory keyspace, mirroring the Redis thread scripts. */
import type { AcquireResult, SpentTokens, ThreadPeople, ThreadStore } from "../../core/ports.js";
import type { StoredTurn } from "../../core/types.js";
import type { Logger } from "../../log.js";
import { encodeTurn, type HistoryCache } from "../history.js";
import { markerBody, positiveCount, type StoreKeys, TURN_MARKER_TTL_MS, wholeMs } from "../keys.js";
import { recordSpent } from "./gate.js";
import type { MemoryKeyspace } from "./keyspace.js";
import { forgetIndexedThreads, indexThread } from "./people.js";
import { forgetWorkspacePeople, unlistPerson } from "./workspace-people.js";

export function createMemoryThreads(
  space: MemoryKeyspace,
  keys: StoreKeys,
  log: Logger,
  ensureOpen: () => void,
  /** Recently read threads kept parsed (store/history.ts); the store empties it on close. */
  cache: HistoryCache,
): ThreadStore {
  const holds = (threadKey: string, owner: string) => space.getString(keys.lock(threadKey)) === owner;

  return {
    async acquire(threadKey: string, owner: string, ttlMs: number, marker?: string): Promise<AcquireResult> {
      ensureOpen();
      const ttl = wholeMs("ttlMs", ttlMs);
      if (!space.setString(keys.lock(threadKey), owner, ttl, { nx: true })) return { acquired: false };
      const turnKey = keys.turn(threadKey);
      const orphan = space.getString(turnKey);
      if (marker) space.setString(turnKey, `${owner}|${marker}`, TURN_MARKER_TTL_MS);
      else if (orphan !== null) space.delete(turnKey);
      const history = cache.decode(space.getList(keys.history(threadKey)), threadKey, log);
      const dead = orphan === null ? undefined : markerBody(orphan);
      return dead ? { acquired: true, history, orphan: dead } : { acquired: true, history };
    },

    async extend(threadKey: string, owner: string, ttlMs: number): Promise<boolean> {
      ensureOpen();
      const ttl = wholeMs("ttlMs", ttlMs);
      if (!holds(threadKey, owner)) return false;
      return space.expire(keys.lock(threadKey), ttl);
    },

    async commit(
      threadKey: string,
      owner: string,
      turn: StoredTurn,
      opts: { maxTurns: number; ttlMs: number; people?: ThreadPeople; spent?: SpentTokens },
    ): Promise<boolean> {
      ensureOpen();
      const maxTurns = positiveCount("maxTurns", opts.maxTurns);
      const ttl = wholeMs("ttlMs", opts.ttlMs);
      const historyKey = keys.history(threadKey);
      space.pushAndTrim(historyKey, encodeTurn(turn), maxTurns);
      space.expire(historyKey, ttl);
      if (opts.people) indexThread(space, keys, threadKey, opts.people, ttl);
      if (opts.spent) recordSpent(space, keys, opts.spent.userKey, opts.spent.tokens);
      dropOwnMarker(threadKey, owner);
      if (!holds(threadKey, owner)) return false;
      space.delete(keys.lock(threadKey));
      return true;
    },

    async release(threadKey: string, owner: string): Promise<boolean> {
      ensureOpen();
      dropOwnMarker(threadKey, owner);
      if (!holds(threadKey, owner)) return false;
      return space.delete(keys.lock(threadKey));
    },

    async load(threadKey: string): Promise<StoredTurn[]> {
      ensureOpen();
      return cache.decode(space.getList(keys.history(threadKey)), threadKey, log);
    },

    async claimOrphans(limit: number): Promise<string[]> {
      ensureOpen();
      const claimed: string[] = [];
      for (const turnKey of space.keysEndingWith(":turn")) {
        if (claimed.length >= limit) break;
        if (space.getString(keys.lockOfTurn(turnKey)) !== null) continue;
        const stored = space.getString(turnKey);
        if (stored === null) continue;
        space.delete(turnKey);
        const body = markerBody(stored);
        if (body) claimed.push(body);
      }
      return claimed;
    },

    async forgetUser(userKey: string): Promise<number> {
      ensureOpen();
      return cache.whileDeleting(async () => {
        unlistPerson(space, keys, userKey);
        return forgetIndexedThreads(space, keys, userKey);
      });
    },

    async forgetWorkspace(workspaceKey: string): Promise<number> {
      ensureOpen();
      return forgetWorkspacePeople(space, keys, workspaceKey);
    },
  };

  function dropOwnMarker(threadKey: string, owner: string): void {
    const turnKey = keys.turn(threadKey);
    if (space.getString(turnKey)?.startsWith(`${owner}|`)) space.delete(turnKey);
  }
}
