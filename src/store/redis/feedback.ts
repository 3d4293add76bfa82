/**
 * Feedback on Redis. A person's records share one hash tag (feedback-keys.ts), so each step on
 * them is one MULTI or script in one slot; the export index is a separate key and gets its own
 * command. Remembering a turn: two scripts in one tick (the person's records; the workspace's
 * index), not MULTIs: a transaction is written to the socket on its own, while a script rides in
 * the socket write the turn's save goes out in (caller.ts; the MULTI's own write was 16% of the
 * core's CPU in `bench -- core`). A click: three round trips (read turn + earlier
 * rating; write rating, reading back the one it replaced, + index; export and workspace
 * indexes). Forgetting: four (read index; read the records, for their workspaces; delete; export
 * and workspace indexes). Each record is also noted in its workspace's index, in the same tick
 * as its own write.
 */
import { parseRecord, parseTurn, ratedRecord } from "../../core/feedback/record-schema.js";
import type { FeedbackStore, RateRequest, RateResult } from "../../core/feedback/store.js";
import type { FeedbackRecord, RateableTurn } from "../../core/feedback/types.js";
import { workspaceKeyOf } from "../../core/workspace-records.js";
import type { Logger } from "../../log.js";
import { EXPORT_PAGE, exportMember, feedbackKeys, parseExportMember } from "../feedback-keys.js";
import { wholeMs } from "../keys.js";
import type { Caller } from "./caller.js";
import type { RedisClient } from "./connection.js";

/**
 * Lua: keep a finished answer for rating and index it under its person for /forget; entries of
 * the index older than now are dropped, and the index lives as long as its newest entry.
 * KEYS: turn record, the person's index. ARGV: record JSON, ttlMs, now (ms), index member.
 */
/**
 * Lua: note a record in an index that lives as long as its newest entry (older entries dropped).
 * A script, not a MULTI: ioredis writes a transaction on its own, outside the shared write.
 * KEYS: the index. ARGV: member, ttlMs, now (ms).
 */
const INDEX_NOTE = `
local ttl = tonumber(ARGV[2])
local now = tonumber(ARGV[3])
redis.call('ZADD', KEYS[1], now + ttl, ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
redis.call('PEXPIRE', KEYS[1], ttl, 'GT')
redis.call('PEXPIRE', KEYS[1], ttl, 'NX')
return 1
`;

const REMEMBER_TURN = `
local ttl = tonumber(ARGV[2])
local now = tonumber(ARGV[3])
redis.call('SET', KEYS[1], ARGV[1], 'PX', ttl)
redis.call('ZADD', KEYS[2], now + ttl, ARGV[4])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
redis.call('PEXPIRE', KEYS[2], ttl, 'GT')
redis.call('PEXPIRE', KEYS[2], ttl, 'NX')
return 1
`;

interface FeedbackScripts {
  chatbotFeedbackRemember(
    turn: string,
    index: string,
    record: string,
    ttlMs: number,
    now: number,
    member: string,
  ): Promise<unknown>;
  chatbotIndexNote(index: string, member: string, ttlMs: number, now: number): Promise<unknown>;
}

function defineFeedbackScripts(client: RedisClient): FeedbackScripts {
  client.defineCommand("chatbotFeedbackRemember", { numberOfKeys: 2, lua: REMEMBER_TURN });
  client.defineCommand("chatbotIndexNote", { numberOfKeys: 1, lua: INDEX_NOTE });
  // defineCommand adds the methods at run time; this is their typed view.
  return client as unknown as FeedbackScripts;
}

/** A MULTI's replies: each [error, result]; the first error fails the whole step. */
function checkExec(op: string, replies: [Error | null, unknown][] | null): unknown[] {
  if (!replies) throw new Error(`${op}: transaction aborted`);
  return replies.map(([err, value]) => {
    if (err) throw err;
    return value;
  });
}

export function createRedisFeedback(
  client: RedisClient,
  prefix: string,
  caller: Caller,
  log: Logger,
): FeedbackStore {
  const keys = feedbackKeys(prefix);
  const scripts = defineFeedbackScripts(client);

  /**
   * Note a record in its workspace's index (for uninstalls). Another slot than the person's
   * records, so it is its own script, sent in the same tick as theirs: both leave in one socket
   * write (caller.ts), and the caller still waits one round trip.
   */
  const noteInWorkspace = async (
    workspaceKey: string,
    userKey: string,
    turnId: string,
    ttl: number,
    now: number,
  ) => {
    await scripts.chatbotIndexNote(keys.workspace(workspaceKey), exportMember(userKey, turnId), ttl, now);
  };

  return {
    kind: "ratings",

    async rememberTurn(turn: RateableTurn, ttlMs: number): Promise<void> {
      const ttl = wholeMs("ttlMs", ttlMs);
      const index = keys.userIndex(turn.userKey);
      const now = Date.now();
      // Both in the same tick: two scripts (two slots), one socket write.
      await caller.run("feedback.rememberTurn", () =>
        Promise.all([
          scripts.chatbotFeedbackRemember(
            keys.turn(turn.userKey, turn.turnId),
            index,
            JSON.stringify(turn),
            ttl,
            now,
            `turn:${turn.turnId}`,
          ),
          noteInWorkspace(workspaceKeyOf(turn.conversation), turn.userKey, turn.turnId, ttl, now),
        ]),
      );
    },

    async rate(req: RateRequest): Promise<RateResult | null> {
      const ttl = wholeMs("ttlMs", req.ttlMs);
      const ratingKey = keys.rating(req.userKey, req.turnId);
      const [turnRaw, earlierRaw] = await caller.run("feedback.read", () =>
        client.mget(keys.turn(req.userKey, req.turnId), ratingKey),
      );
      const earlier = parseRecord(earlierRaw ?? null);
      const turn = parseTurn(turnRaw ?? null) ?? earlier;
      if (!turn) {
        if (turnRaw) log.warn({ turnId: req.turnId }, "corrupt feedback turn record dropped");
        return null;
      }
      if (req.threadId !== undefined && turn.conversation.threadId !== req.threadId) return null;
      const record = ratedRecord(turn, earlier, req);
      const index = keys.userIndex(req.userKey);
      // SET ... GET: the rating this write replaced, read atomically with it. Two clicks at once
      // (a double click, or two replicas) both read no earlier rating above; the metric must
      // still count one first rating and one change, not two first ratings.
      let replaced: string | null = null;
      await caller.run("feedback.rate", async () => {
        const [previous] = checkExec(
          "feedback.rate",
          await client
            .multi()
            .set(ratingKey, JSON.stringify(record), "PX", ttl, "GET")
            .zadd(index, req.now + ttl, `rating:${req.turnId}`)
            .zremrangebyscore(index, "-inf", req.now)
            .pexpire(index, ttl, "GT")
            .pexpire(index, ttl, "NX")
            .exec(),
        );
        replaced = typeof previous === "string" ? previous : null;
      });
      await caller.run("feedback.index", async () => {
        const [replies] = await Promise.all([
          client
            .multi()
            .zadd(keys.all, req.now, exportMember(req.userKey, req.turnId))
            .zremrangebyscore(keys.all, "-inf", req.now - ttl)
            .pexpire(keys.all, ttl, "GT")
            .pexpire(keys.all, ttl, "NX")
            .exec(),
          noteInWorkspace(workspaceKeyOf(turn.conversation), req.userKey, req.turnId, ttl, req.now),
        ]);
        checkExec("feedback.index", replies);
      });
      return { record, previous: parseRecord(replaced)?.rating ?? null };
    },

    async get(userKey: string, turnId: string): Promise<FeedbackRecord | null> {
      return parseRecord(await caller.run("feedback.get", () => client.get(keys.rating(userKey, turnId))));
    },

    async *all(): AsyncIterable<FeedbackRecord> {
      // Paged by score (time rated), so ratings given while exporting do not shift the pages.
      let min = "-inf";
      const seen = new Set<string>();
      for (;;) {
        const page = await caller.run("feedback.page", () =>
          client.zrangebyscore(keys.all, min, "+inf", "WITHSCORES", "LIMIT", 0, EXPORT_PAGE),
        );
        const fresh: { member: string; score: string }[] = [];
        for (let i = 0; i + 1 < page.length; i += 2) {
          const member = page[i]!;
          if (!seen.has(member)) fresh.push({ member, score: page[i + 1]! });
        }
        if (fresh.length === 0) return;
        for (const { member } of fresh) {
          seen.add(member);
          const ref = parseExportMember(member);
          if (!ref) continue;
          const raw = await caller.run("feedback.get", () =>
            client.get(keys.rating(ref.userKey, ref.turnId)),
          );
          const record = parseRecord(raw);
          if (record) yield record;
          else if (raw === null) await caller.run("feedback.prune", () => client.zrem(keys.all, member));
          else log.warn({ turnId: ref.turnId }, "corrupt feedback record skipped");
        }
        min = fresh[fresh.length - 1]!.score;
        if (page.length / 2 < EXPORT_PAGE) return;
      }
    },

    async forgetUser(userKey: string): Promise<number> {
      const index = keys.userIndex(userKey);
      const members = await caller.run("feedback.forget.index", () => client.zrange(index, "0", "-1"));
      const ratings = members.filter((m) => m.startsWith("rating:")).map((m) => m.slice("rating:".length));
      const turns = members.filter((m) => m.startsWith("turn:")).map((m) => m.slice("turn:".length));
      const ids = [...new Set([...ratings, ...turns])];
      // Out of their workspaces' indexes too (uninstalls): each record names its conversation.
      const raws =
        ids.length > 0
          ? await caller.run("feedback.forget.read", () =>
              client.mget(...ids.flatMap((id) => [keys.rating(userKey, id), keys.turn(userKey, id)])),
            )
          : [];
      const byWorkspace = new Map<string, string[]>();
      ids.forEach((id, i) => {
        const record = parseRecord(raws[2 * i] ?? null) ?? parseTurn(raws[2 * i + 1] ?? null);
        if (!record) return;
        const name = keys.workspace(workspaceKeyOf(record.conversation));
        byWorkspace.set(name, [...(byWorkspace.get(name) ?? []), exportMember(userKey, id)]);
      });
      let deleted = 0;
      await caller.run("feedback.forget", async () => {
        const tx = client.multi();
        for (const key of ratings.map((id) => keys.rating(userKey, id))) tx.del(key);
        for (const key of turns.map((id) => keys.turn(userKey, id))) tx.del(key);
        tx.del(index);
        const replies = checkExec("feedback.forget", await tx.exec());
        deleted = replies.slice(0, ratings.length).reduce<number>((n, r) => n + Number(r), 0);
      });
      await caller.run("feedback.forget.export", () =>
        Promise.all([
          ...(ratings.length > 0
            ? [client.zrem(keys.all, ...ratings.map((id) => exportMember(userKey, id)))]
            : []),
          ...[...byWorkspace].map(([name, refs]) => client.zrem(name, ...refs)),
        ]),
      );
      return deleted;
    },

    async forgetWorkspace(workspaceKey: string): Promise<number> {
      const name = keys.workspace(workspaceKey);
      const members = await caller.run("feedback.forgetWorkspace.index", () =>
        client.zrange(name, "0", "-1"),
      );
      const byUser = new Map<string, string[]>();
      for (const member of members) {
        const ref = parseExportMember(member);
        if (ref) byUser.set(ref.userKey, [...(byUser.get(ref.userKey) ?? []), ref.turnId]);
      }
      // One MULTI per person (their records share a slot), all sent at once.
      const counts = await caller.run("feedback.forgetWorkspace", () =>
        Promise.all(
          [...byUser].map(async ([userKey, turnIds]) => {
            const tx = client.multi();
            for (const id of turnIds) tx.del(keys.rating(userKey, id));
            for (const id of turnIds) tx.del(keys.turn(userKey, id));
            tx.zrem(keys.userIndex(userKey), ...turnIds.flatMap((id) => [`rating:${id}`, `turn:${id}`]));
            const replies = checkExec("feedback.forgetWorkspace", await tx.exec());
            return replies.slice(0, turnIds.length).reduce<number>((n, r) => n + Number(r), 0);
          }),
        ),
      );
      if (members.length > 0) {
        await caller.run("feedback.forgetWorkspace.export", () => client.zrem(keys.all, ...members));
      }
      await caller.run("feedback.forgetWorkspace.drop", () => client.del(name));
      return counts.reduce((n, c) => n + c, 0);
    },
  };
}
