/** Feedback over the memory keyspace: the same keys and steps as store/redis/feedback.ts. */
import { parseRecord, parseTurn, ratedRecord } from "../../core/feedback/record-schema.js";
import type { FeedbackStore, RateRequest, RateResult } from "../../core/feedback/store.js";
import type { FeedbackRecord, RateableTurn } from "../../core/feedback/types.js";
import { workspaceKeyOf } from "../../core/workspace-records.js";
import type { Logger } from "../../log.js";
import { exportMember, feedbackKeys, parseExportMember } from "../feedback-keys.js";
import { wholeMs } from "../keys.js";
import type { MemoryKeyspace } from "./keyspace.js";
import { noteExpiring } from "./people.js";

export function createMemoryFeedback(
  space: MemoryKeyspace,
  prefix: string,
  log: Logger,
  ensureOpen: () => void,
): FeedbackStore {
  const keys = feedbackKeys(prefix);

  /** Add a record to the person's index (score: its expiry), dropping expired entries. */
  const index = (userKey: string, member: string, ttlMs: number) => {
    const name = keys.userIndex(userKey);
    const now = space.now();
    space.zadd(name, now + ttlMs, member);
    const members = space.zset(name) ?? [];
    while (members.length > 0 && members[0]!.score <= now) members.shift();
    const last = members[members.length - 1];
    if (last) space.expire(name, Math.max(1, last.score - now));
  };

  const zrem = (name: string, member: string) => {
    const members = space.zset(name);
    if (!members) return;
    const at = members.findIndex((m) => m.member === member);
    if (at >= 0) members.splice(at, 1);
    if (members.length === 0) space.delete(name);
  };

  return {
    kind: "ratings",

    async rememberTurn(turn: RateableTurn, ttlMs: number): Promise<void> {
      ensureOpen();
      const ttl = wholeMs("ttlMs", ttlMs);
      space.setString(keys.turn(turn.userKey, turn.turnId), JSON.stringify(turn), ttl);
      index(turn.userKey, `turn:${turn.turnId}`, ttl);
      noteExpiring(
        space,
        keys.workspace(workspaceKeyOf(turn.conversation)),
        exportMember(turn.userKey, turn.turnId),
        ttl,
      );
    },

    async rate(req: RateRequest): Promise<RateResult | null> {
      ensureOpen();
      const ttl = wholeMs("ttlMs", req.ttlMs);
      const ratingKey = keys.rating(req.userKey, req.turnId);
      const earlier = parseRecord(space.getString(ratingKey));
      const turn = parseTurn(space.getString(keys.turn(req.userKey, req.turnId))) ?? earlier;
      if (!turn) return null;
      if (req.threadId !== undefined && turn.conversation.threadId !== req.threadId) return null;
      const record = ratedRecord(turn, earlier, req);
      space.setString(ratingKey, JSON.stringify(record), ttl);
      index(req.userKey, `rating:${req.turnId}`, ttl);
      noteExpiring(
        space,
        keys.workspace(workspaceKeyOf(turn.conversation)),
        exportMember(req.userKey, req.turnId),
        ttl,
      );
      const all = keys.all;
      space.zadd(all, req.now, exportMember(req.userKey, req.turnId));
      const members = space.zset(all) ?? [];
      while (members.length > 0 && members[0]!.score <= req.now - ttl) members.shift();
      space.expire(all, ttl);
      return { record, previous: earlier?.rating ?? null };
    },

    async get(userKey: string, turnId: string): Promise<FeedbackRecord | null> {
      ensureOpen();
      return parseRecord(space.getString(keys.rating(userKey, turnId)));
    },

    async *all(): AsyncIterable<FeedbackRecord> {
      ensureOpen();
      const members = [...(space.zset(keys.all) ?? [])];
      for (const { member } of members) {
        const ref = parseExportMember(member);
        if (!ref) continue;
        const raw = space.getString(keys.rating(ref.userKey, ref.turnId));
        const record = parseRecord(raw);
        if (record) yield record;
        else if (raw === null) zrem(keys.all, member);
        else log.warn({ turnId: ref.turnId }, "corrupt feedback record skipped");
      }
    },

    async forgetUser(userKey: string): Promise<number> {
      ensureOpen();
      const name = keys.userIndex(userKey);
      const members = [...(space.zset(name) ?? [])];
      let ratings = 0;
      for (const { member } of members) {
        // Out of its workspace's index too (uninstalls): the record names its conversation.
        const id = member.slice(member.indexOf(":") + 1);
        const record =
          parseRecord(space.getString(keys.rating(userKey, id))) ??
          parseTurn(space.getString(keys.turn(userKey, id)));
        if (record) zrem(keys.workspace(workspaceKeyOf(record.conversation)), exportMember(userKey, id));
        if (member.startsWith("rating:")) {
          const turnId = member.slice("rating:".length);
          if (space.delete(keys.rating(userKey, turnId))) ratings++;
          zrem(keys.all, exportMember(userKey, turnId));
        } else if (member.startsWith("turn:")) {
          space.delete(keys.turn(userKey, member.slice("turn:".length)));
        }
      }
      space.delete(name);
      return ratings;
    },

    async forgetWorkspace(workspaceKey: string): Promise<number> {
      ensureOpen();
      const name = keys.workspace(workspaceKey);
      let ratings = 0;
      for (const { member } of [...(space.zset(name) ?? [])]) {
        const ref = parseExportMember(member);
        if (!ref) continue;
        if (space.delete(keys.rating(ref.userKey, ref.turnId))) ratings++;
        space.delete(keys.turn(ref.userKey, ref.turnId));
        zrem(keys.userIndex(ref.userKey), `rating:${ref.turnId}`);
        zrem(keys.userIndex(ref.userKey), `turn:${ref.turnId}`);
        zrem(keys.all, member);
      }
      space.delete(name);
      return ratings;
    },
  };
}
