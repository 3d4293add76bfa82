/** Dedup + per-user throttle on Redis: one admit script, one round trip. */
import { randomUUID } from "node:crypto";
import type { AdmitDecision, GateStore, ThrottlePolicy, TokenReservation } from "../../core/ports.js";
import { positiveCount, type StoreKeys, settlementDelta, spentTokens, wholeMs } from "../keys.js";
import { TOKEN_RESERVATION_TTL_MS, TOKENS_KEY_TTL_MS } from "../limits.js";
import { type Caller, unexpectedReply } from "./caller.js";
import type { ScriptCommands } from "./scripts.js";

export function createRedisGate(scripts: ScriptCommands, keys: StoreKeys, caller: Caller): GateStore {
  return {
    async admit(req: {
      messageKey: string;
      userKey: string;
      dedupTtlMs: number;
      policy: ThrottlePolicy;
    }): Promise<AdmitDecision> {
      const dedupTtlMs = wholeMs("dedupTtlMs", req.dedupTtlMs);
      const requests = positiveCount("policy.requests", req.policy.requests);
      const windowMs = wholeMs("policy.windowMs", req.policy.windowMs);
      const dailyTokens = positiveCount("policy.dailyTokens", req.policy.dailyTokens);
      // The day key follows this process's clock; the window and retry times follow the server's.
      const reply = await caller.run("admit", () =>
        scripts.chatbotAdmit(
          keys.seen(req.userKey, req.messageKey),
          keys.rate(req.userKey),
          keys.tokens(req.userKey, Date.now()),
          keys.reserved(req.userKey, Date.now()),
          dedupTtlMs,
          requests,
          windowMs,
          dailyTokens,
          req.messageKey,
        ),
      );
      return parseAdmitReply(reply);
    },

    async recordTokens(userKey: string, tokens: number): Promise<void> {
      const spent = spentTokens(tokens);
      if (spent === null) return;
      await caller.run("recordTokens", () =>
        scripts.chatbotAddTokens(keys.tokens(userKey, Date.now()), spent, TOKENS_KEY_TTL_MS),
      );
    },

    async reserveTokens(
      userKey: string,
      tokens: number,
      dailyTokens: number,
      ttlMs = TOKEN_RESERVATION_TTL_MS,
    ): Promise<TokenReservation | null> {
      const amount = positiveCount("tokens", Math.ceil(tokens));
      const limit = positiveCount("dailyTokens", dailyTokens);
      const dayMs = Date.now();
      const id = randomUUID();
      const reply = await caller.run("reserveTokens", () =>
        scripts.chatbotReserveTokens(
          keys.tokens(userKey, dayMs),
          keys.reserved(userKey, dayMs),
          amount,
          TOKENS_KEY_TTL_MS,
          limit,
          id,
          wholeMs("ttlMs", ttlMs),
        ),
      );
      if (reply === 1) return { id, userKey, dayMs, tokens: amount };
      if (reply === 0) return null;
      throw unexpectedReply("reserveTokens", reply);
    },

    async settleTokens(reservation: TokenReservation, spent: number): Promise<void> {
      const delta = settlementDelta(reservation, spent);
      await caller.run("settleTokens", () =>
        scripts.chatbotSettleTokens(
          keys.tokens(reservation.userKey, reservation.dayMs),
          keys.reserved(reservation.userKey, reservation.dayMs),
          `${reservation.id}:${reservation.tokens}`,
          delta,
          TOKENS_KEY_TTL_MS,
        ),
      );
    },
  };
}

function parseAdmitReply(reply: unknown): AdmitDecision {
  if (Array.isArray(reply)) {
    const [kind, retryAfterMs] = reply as unknown[];
    if (kind === "ok" || kind === "duplicate") return { kind };
    if ((kind === "rate" || kind === "tokens") && typeof retryAfterMs === "number") {
      return { kind: "throttled", reason: kind, retryAfterMs };
    }
  }
  throw unexpectedReply("admit", reply);
}
