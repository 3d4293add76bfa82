/**
 * Dedup + per-user throttle over the memory keyspace: the same steps, in the same order, as the
 * Redis admit script. Each call runs synchronously to its end, which makes it atomic in one process.
 */
import { randomUUID } from "node:crypto";
import type { AdmitDecision, GateStore, ThrottlePolicy, TokenReservation } from "../../core/ports.js";
import {
  msToNextUtcMidnight,
  positiveCount,
  type StoreKeys,
  settlementDelta,
  spentTokens,
  wholeMs,
} from "../keys.js";
import { TOKEN_RESERVATION_TTL_MS, TOKENS_KEY_TTL_MS } from "../limits.js";
import type { MemoryKeyspace } from "./keyspace.js";

/** The Redis ADD_TOKENS script, step by step. False when nothing was added. */
function addTokens(space: MemoryKeyspace, key: string, delta: number, limit = 0): boolean {
  const current = space.getString(key);
  if (limit > 0 && Number(current ?? "0") + delta > limit) return false;
  if (delta < 0 && current === null) return false;
  space.incrementBy(key, delta);
  space.expire(key, TOKENS_KEY_TTL_MS);
  return true;
}

/** Count tokens a person spent against their budget for the current UTC day (recordTokens). */
export function recordSpent(space: MemoryKeyspace, keys: StoreKeys, userKey: string, tokens: number): void {
  const spent = spentTokens(tokens);
  if (spent !== null) addTokens(space, keys.tokens(userKey, space.now()), spent);
}

export function createMemoryGate(space: MemoryKeyspace, keys: StoreKeys, ensureOpen: () => void): GateStore {
  /** The RELEASE_EXPIRED step of the Redis scripts: give back reservations never settled. */
  const releaseExpired = (counter: string, reserved: string, now: number): void => {
    const members = space.zset(reserved);
    if (!members) return;
    let back = 0;
    while (members[0] && members[0].score <= now) {
      back += Number(members.shift()?.member.split(":").pop() ?? "0");
    }
    const used = Number(space.getString(counter) ?? "0");
    if (back > 0 && used > 0) space.incrementBy(counter, -Math.min(used, back));
  };

  return {
    async admit(req: {
      messageKey: string;
      userKey: string;
      dedupTtlMs: number;
      policy: ThrottlePolicy;
    }): Promise<AdmitDecision> {
      ensureOpen();
      const dedupTtlMs = wholeMs("dedupTtlMs", req.dedupTtlMs);
      const requests = positiveCount("policy.requests", req.policy.requests);
      const windowMs = wholeMs("policy.windowMs", req.policy.windowMs);
      const dailyTokens = positiveCount("policy.dailyTokens", req.policy.dailyTokens);
      const now = space.now();

      if (!space.setString(keys.seen(req.userKey, req.messageKey), "1", dedupTtlMs, { nx: true })) {
        return { kind: "duplicate" };
      }

      releaseExpired(keys.tokens(req.userKey, now), keys.reserved(req.userKey, now), now);
      const used = Number(space.getString(keys.tokens(req.userKey, now)) ?? "0");
      if (used >= dailyTokens) {
        return { kind: "throttled", reason: "tokens", retryAfterMs: msToNextUtcMidnight(now) };
      }

      const rateKey = keys.rate(req.userKey);
      const log = space.zset(rateKey) ?? [];
      const leftWindowAt = now - windowMs;
      while (log[0] && log[0].score <= leftWindowAt) log.shift();
      // A slot frees when the entry that brings the count below the limit leaves the window: the
      // oldest one, unless the limit was lowered since the log filled up.
      const freeing = log[log.length - requests];
      if (freeing) {
        return {
          kind: "throttled",
          reason: "rate",
          retryAfterMs: Math.max(1, freeing.score + windowMs - now),
        };
      }
      space.zadd(rateKey, now, `${now}:${req.messageKey}`);
      space.expire(rateKey, windowMs);
      return { kind: "ok" };
    },

    async recordTokens(userKey: string, tokens: number): Promise<void> {
      ensureOpen();
      recordSpent(space, keys, userKey, tokens);
    },

    async reserveTokens(
      userKey: string,
      tokens: number,
      dailyTokens: number,
      ttlMs = TOKEN_RESERVATION_TTL_MS,
    ): Promise<TokenReservation | null> {
      ensureOpen();
      const amount = positiveCount("tokens", Math.ceil(tokens));
      const limit = positiveCount("dailyTokens", dailyTokens);
      const dayMs = space.now();
      const counter = keys.tokens(userKey, dayMs);
      const reserved = keys.reserved(userKey, dayMs);
      releaseExpired(counter, reserved, dayMs);
      if (!addTokens(space, counter, amount, limit)) return null;
      const id = randomUUID();
      space.zadd(reserved, dayMs + wholeMs("ttlMs", ttlMs), `${id}:${amount}`);
      space.expire(reserved, TOKENS_KEY_TTL_MS);
      return { id, userKey, dayMs, tokens: amount };
    },

    async settleTokens(reservation: TokenReservation, spent: number): Promise<void> {
      ensureOpen();
      const delta = settlementDelta(reservation, spent);
      const members = space.zset(keys.reserved(reservation.userKey, reservation.dayMs));
      const at = members?.findIndex((m) => m.member === `${reservation.id}:${reservation.tokens}`) ?? -1;
      // Gone: settled already, or expired and given back. Either way nothing more to do.
      if (!members || at < 0) return;
      members.splice(at, 1);
      const counter = keys.tokens(reservation.userKey, reservation.dayMs);
      const used = Number(space.getString(counter) ?? "0");
      const change = Math.max(delta, -used);
      if (change !== 0) {
        space.incrementBy(counter, change);
        space.expire(counter, TOKENS_KEY_TTL_MS);
      }
    },
  };
}
