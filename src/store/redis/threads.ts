/**
 * Per-thread lock and history on Redis: the lock is a script, the history a plain LRANGE in the
 * same round trip, kept when its ends match what the lock found and read again otherwise (or
 * after the lock, for a thread found held: see `acquire`); commit+release is one script.
 */
import type { AcquireResult, SpentTokens, ThreadPeople, ThreadStore } from "../../core/ports.js";
import type { StoredTurn } from "../../core/types.js";
import type { Logger } from "../../log.js";
import { Lru } from "../../lru.js";
import { encodeTurn, type HistoryCache } from "../history.js";
import { markerBody, positiveCount, type StoreKeys, TURN_MARKER_TTL_MS, wholeMs } from "../keys.js";
import { type Caller, unexpectedReply } from "./caller.js";
import type { RedisClient } from "./connection.js";
import { forgetIndexedThreads, indexThreadCalls } from "./people.js";
import type { ScriptCommands } from "./scripts.js";
import { forgetWorkspacePeople, unlistPerson } from "./workspace-people.js";

/** Threads remembered as found held (see `acquire`), at most. */
const CONTENDED_KEPT = 10_000;

export function createRedisThreads(
  client: RedisClient,
  scripts: ScriptCommands,
  keys: StoreKeys,
  caller: Caller,
  log: Logger,
  /** Recently read threads kept parsed (store/history.ts); the store empties it on close. */
  cache: HistoryCache,
): ThreadStore {
  /** Threads this process found held on its last try to take them. */
  const contended = new Lru<string, true>(CONTENDED_KEPT);
  const release = (threadKey: string, owner: string) =>
    caller.run("release", () => scripts.chatbotRelease(keys.lock(threadKey), keys.turn(threadKey), owner));
  /**
   * Read a thread's history with its lock held. Taken but unreadable: the thread is given back
   * rather than held until the lock's TTL, and the interrupted turn whose marker the lock took is
   * logged, not lost unsaid.
   */
  const readHeld = async (threadKey: string, owner: string, dead: string | undefined) => {
    try {
      return await caller.run("load", () => client.lrange(keys.history(threadKey), 0, -1));
    } catch (err) {
      log.warn(
        { threadKey, ...(dead ? { interruptedTurn: dead } : {}) },
        "took a thread but could not read its history: giving it back",
      );
      await release(threadKey, owner).catch(() => {});
      throw err;
    }
  };
  return {
    async acquire(threadKey: string, owner: string, ttlMs: number, marker?: string): Promise<AcquireResult> {
      const ttl = wholeMs("ttlMs", ttlMs);
      const historyKey = keys.history(threadKey);
      // The history's read leaves with the lock's script (same round trip, right after it: see
      // ACQUIRE), except for a thread this process found held on its last try: its waiting turn
      // polls, and a read per poll would be thrown away; it reads once the lock is taken.
      const waited = contended.has(threadKey);
      const [reply, read] = await caller.run("acquire", () =>
        Promise.all([
          scripts.chatbotAcquire(
            keys.lock(threadKey),
            historyKey,
            keys.turn(threadKey),
            owner,
            ttl,
            marker ?? "",
            TURN_MARKER_TTL_MS,
          ),
          // A failed read is only a read to do again: the lock's answer decides.
          waited ? undefined : client.lrange(historyKey, 0, -1).catch(() => undefined),
        ]),
      );
      if (Array.isArray(reply)) {
        const [taken, orphan, length, last] = reply as unknown[];
        if (taken === 0) {
          contended.set(threadKey, true);
          return { acquired: false };
        }
        if (taken === 1 && typeof length === "number" && typeof last === "string") {
          contended.delete(threadKey);
          const dead = typeof orphan === "string" ? markerBody(orphan) : undefined;
          // Not read yet, or read before the lock after all (its ends differ from what the lock
          // found): read now, the lock held.
          const entries =
            read !== undefined && endsMatch(read, length, last)
              ? read
              : await readHeld(threadKey, owner, dead);
          const history = cache.decode(entries, threadKey, log);
          return dead ? { acquired: true, history, orphan: dead } : { acquired: true, history };
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
      opts: { maxTurns: number; ttlMs: number; people?: ThreadPeople; spent?: SpentTokens },
    ): Promise<boolean> {
      const maxTurns = positiveCount("maxTurns", opts.maxTurns);
      const ttl = wholeMs("ttlMs", opts.ttlMs);
      // The index writes and the token count go out with the commit, in the same round trip
      // (see people.ts).
      const [reply] = await caller.run("commit", () =>
        Promise.all([
          scripts.chatbotCommit(
            keys.lock(threadKey),
            keys.history(threadKey),
            keys.turn(threadKey),
            owner,
            encodeTurn(turn),
            maxTurns,
            ttl,
          ),
          ...indexThreadCalls(scripts, keys, threadKey, opts.people, ttl, opts.spent),
        ]),
      );
      return flag("commit", reply);
    },

    async release(threadKey: string, owner: string): Promise<boolean> {
      return flag("release", await release(threadKey, owner));
    },

    async load(threadKey: string): Promise<StoredTurn[]> {
      const entries = await caller.run("load", () => client.lrange(keys.history(threadKey), 0, -1));
      return cache.decode(entries, threadKey, log);
    },

    async claimOrphans(limit: number): Promise<string[]> {
      const claimed: string[] = [];
      for (const turnKey of await scanKeys(client, caller, keys.turnPattern, limit * 4)) {
        if (claimed.length >= limit) break;
        const reply = await caller.run("claimOrphan", () =>
          scripts.chatbotClaimOrphan(keys.lockOfTurn(turnKey), turnKey),
        );
        const body = typeof reply === "string" ? markerBody(reply) : undefined;
        if (body) claimed.push(body);
      }
      return claimed;
    },

    forgetUser(userKey: string): Promise<number> {
      return cache.whileDeleting(async () => {
        await unlistPerson(client, keys, caller, userKey);
        return forgetIndexedThreads(client, scripts, keys, caller, userKey);
      });
    },

    forgetWorkspace(workspaceKey: string): Promise<number> {
      return forgetWorkspacePeople(client, keys, caller, workspaceKey);
    },
  };
}

/** Keys matching `pattern`, up to `max`, from every master (a Cluster spreads them over nodes). */
async function scanKeys(
  client: RedisClient,
  caller: Caller,
  pattern: string,
  max: number,
): Promise<string[]> {
  const nodes = "nodes" in client && typeof client.nodes === "function" ? client.nodes("master") : [client];
  const found: string[] = [];
  for (const node of nodes) {
    let cursor = "0";
    do {
      const [next, keys] = await caller.run("scan", () => node.scan(cursor, "MATCH", pattern, "COUNT", 1000));
      found.push(...keys);
      cursor = next;
    } while (cursor !== "0" && found.length < max);
    if (found.length >= max) break;
  }
  return found;
}

/**
 * True when a read of the history has the length and last entry the lock's script found. Every
 * change to a history moves one of them: a save appends a new last entry (its JSON carries its
 * time), a trim only follows a save, and a deletion (a person's turns, the whole thread, expiry)
 * shortens it. Only a save whose JSON is byte for byte the last one's could pass unseen.
 */
function endsMatch(entries: string[], length: number, last: string): boolean {
  return entries.length === length && (length === 0 ? last === "" : entries[length - 1] === last);
}

function flag(op: string, reply: unknown): boolean {
  if (reply === 0 || reply === 1) return reply === 1;
  throw unexpectedReply(op, reply);
}
