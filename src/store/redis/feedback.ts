/**
 * Feedback on Redis. A person's records share one hash tag (feedback-keys.ts), so each step on
 * them is one MULTI in one slot; the export index is a separate key and gets its own command.
 * Remembering a turn: one round trip. A click: three (read turn + earlier rating; write rating,
 * reading back the one it replaced, + index; export and workspace indexes). Forgetting: four (read
 * index; read the records, for their workspaces; delete; export and workspace indexes). Each
 * record is also noted in its workspace's index, in the same tick as its own write.
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

  /**
   * Note a record in its workspace's index (for uninstalls). Another slot than the person's
   * records, so it is its own MULTI, sent in the same tick as theirs: the client auto-pipelines
   * both into one write, and the caller still waits one round trip.
   */
  const noteInWorkspace = async (
    workspaceKey: string,
    userKey: string,
    turnId: string,
    ttl: number,
    now: number,
  ) => {
    const index = keys.workspace(workspaceKey);
    checkExec(
      "feedback.workspace",
      await client
        .multi()
        .zadd(index, now + ttl, exportMember(userKey, turnId))
        .zremrangebyscore(index, "-inf", now)
        .pexpire(index, ttl, "GT")
        .pexpire(index, ttl, "NX")
        .exec(),
    );
  };

  return {
    kind: "ratings",

    async rememberTurn(turn: RateableTurn, ttlMs: number): Promise<void> {
      const ttl = wholeMs("ttlMs", ttlMs);
      const index = keys.userIndex(turn.userKey);
      await caller.run("feedback.rememberTurn", async () => {
        const now = Date.now();
        const [replies] = await Promise.all([
          client
            .multi()
            .set(keys.turn(turn.userKey, turn.turnId), JSON.stringify(turn), "PX", ttl)
            .zadd(index, now + ttl, `turn:${turn.turnId}`)
            .zremrangebyscore(index, "-inf", now)
            .pexpire(index, ttl, "GT")
            .pexpire(index, ttl, "NX")
            .exec(),
          noteInWorkspace(workspaceKeyOf(turn.conversation), turn.userKey, turn.turnId, ttl, now),
        ]);
        checkExec("feedback.rememberTurn", replies);
      });
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
