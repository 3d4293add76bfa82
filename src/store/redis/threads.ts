/**
 * Per-thread lock and history on Redis: acquire (a script, with the history's LRANGE in the same
 * round trip) and commit+release (one script).
 */
import type { AcquireResult, SpentTokens, ThreadPeople, ThreadStore } from "../../core/ports.js";
import type { StoredTurn } from "../../core/types.js";
import type { Logger } from "../../log.js";
import { encodeTurn, type HistoryCache } from "../history.js";
import { markerBody, positiveCount, type StoreKeys, TURN_MARKER_TTL_MS, wholeMs } from "../keys.js";
import { type Caller, unexpectedReply } from "./caller.js";
import type { RedisClient } from "./connection.js";
import { forgetIndexedThreads, indexThreadCalls } from "./people.js";
import type { ScriptCommands } from "./scripts.js";
import { forgetWorkspacePeople, unlistPerson } from "./workspace-people.js";

export function createRedisThreads(
  client: RedisClient,
  scripts: ScriptCommands,
  keys: StoreKeys,
  caller: Caller,
  log: Logger,
  /** Recently read threads kept parsed (store/history.ts); the store empties it on close. */
  cache: HistoryCache,
): ThreadStore {
  return {
    async acquire(threadKey: string, owner: string, ttlMs: number, marker?: string): Promise<AcquireResult> {
      const ttl = wholeMs("ttlMs", ttlMs);
      // The lock script and the history's read leave together, the read right after the script
      // on the same connection (same hash tag: the same node on a Cluster), so it sees the
      // history as the lock found it or newer. Read outside the script: see ACQUIRE. When the
      // lock is not taken, the entries read are dropped.
      const [reply, entries] = await caller.run("acquire", () =>
        Promise.all([
          scripts.chatbotAcquire(
            keys.lock(threadKey),
            keys.turn(threadKey),
            owner,
            ttl,
            marker ?? "",
            TURN_MARKER_TTL_MS,
          ),
          client.lrange(keys.history(threadKey), 0, -1),
        ]),
      );
      if (Array.isArray(reply)) {
        const [taken, orphan] = reply as unknown[];
        if (taken === 0) return { acquired: false };
        if (taken === 1 && isStringArray(entries)) {
          const history = cache.decode(entries, threadKey, log);
          const dead = typeof orphan === "string" ? markerBody(orphan) : undefined;
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
      const reply = await caller.run("release", () =>
        scripts.chatbotRelease(keys.lock(threadKey), keys.turn(threadKey), owner),
      );
      return flag("release", reply);
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

function isStringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((item) => typeof item === "string");
}

function flag(op: string, reply: unknown): boolean {
  if (reply === 0 || reply === 1) return reply === 1;
  throw unexpectedReply(op, reply);
}
