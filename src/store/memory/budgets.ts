/**
 * Platform rate budgets over the memory keyspace: the same windows, steps and replies as the
 * Redis scripts, run synchronously (atomic in one process). This is the in-process path: with
 * the memory store a grant costs no I/O at all.
 */
import { randomUUID } from "node:crypto";
import type { RateBudgetStore } from "../../core/ports.js";
import { bookEachIn, bookIn, grantIn, settleIn, windowTtlMs } from "../../core/rate-window.js";
import { positiveCount, type StoreKeys, wholeMs } from "../keys.js";
import type { MemoryKeyspace } from "./keyspace.js";

export function createMemoryBudgets(
  space: MemoryKeyspace,
  keys: StoreKeys,
  ensureOpen: () => void,
): RateBudgetStore {
  return {
    async grant(req) {
      ensureOpen();
      const windowMs = wholeMs("window.windowMs", req.window.windowMs);
      const limit = positiveCount("window.limit", req.window.limit);
      const key = keys.budget(req.window.scope, req.window.name);
      const entries = space.zsetOrCreate(key);
      const now = space.now();
      const saturatedKey = `${key}:saturated`;
      const saturatedAt = space.getString(saturatedKey);
      const { saturated, ...answer } = grantIn(
        entries,
        now,
        {
          limit,
          windowMs,
          reserve: Math.max(0, Math.floor(req.reserve)),
          horizonMs: Math.max(0, req.horizonMs),
          finals: Math.max(0, Math.floor(req.finals)),
          frames: Math.max(0, Math.floor(req.frames)),
        },
        randomUUID(),
        saturatedAt === null ? undefined : Number(saturatedAt),
      );
      if (saturated) space.setString(saturatedKey, String(now), windowMs);
      space.expire(key, windowTtlMs(entries, now, windowMs));
      return answer;
    },

    async book(req) {
      ensureOpen();
      const now = space.now();
      const windows = req.slots.map((slot) => ({
        key: keys.budget(req.scope, slot.name),
        entries: space.zsetOrCreate(keys.budget(req.scope, slot.name)),
        slot: {
          limit: positiveCount("slot.limit", slot.limit),
          windowMs: wholeMs("slot.windowMs", slot.windowMs),
          holdMs: Math.max(0, Math.ceil(slot.holdMs)),
        },
      }));
      const result = bookIn(windows, now, req.id);
      for (const w of windows) space.expire(w.key, windowTtlMs(w.entries, now, w.slot.windowMs));
      return result;
    },

    async bookEach(req) {
      ensureOpen();
      const key = keys.budget(req.scope, req.name);
      const entries = space.zsetOrCreate(key);
      const now = space.now();
      const slot = {
        limit: positiveCount("limit", req.limit),
        windowMs: wholeMs("windowMs", req.windowMs),
        holdMs: Math.max(0, Math.ceil(req.holdMs)),
      };
      const result = bookEachIn(entries, now, slot, req.ids);
      space.expire(key, windowTtlMs(entries, now, slot.windowMs));
      return result;
    },

    async settle(req) {
      ensureOpen();
      const entries = space.zset(keys.budget(req.scope, req.name));
      return entries ? settleIn(entries, space.now(), req.id, req.used) : false;
    },
  };
}
