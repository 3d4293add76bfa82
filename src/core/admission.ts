/**
 * Dedup and the per-user throttle, decided in one store step: the first thing both a chat turn
 * and a /summarize request do. A store failure becomes a refusal the caller turns into a notice.
 */
import type { Logger } from "../log.js";
import type { ConversationDeps } from "./conversation.js";
import { StoreError, ThrottledError } from "./errors.js";
import type { ThrottlePolicy } from "./ports.js";
import type { Platform } from "./types.js";

export type Admission =
  | { kind: "ok" }
  | { kind: "duplicate" }
  | { kind: "refused"; outcome: "throttled" | "unavailable"; error: ThrottledError | StoreError };

export async function admit(
  deps: Pick<ConversationDeps, "store" | "settings" | "metrics">,
  req: { platform: Platform; messageKey: string; userKey: string; policy?: ThrottlePolicy | undefined },
  log: Logger,
): Promise<Admission> {
  try {
    const decision = await deps.store.gate.admit({
      messageKey: req.messageKey,
      userKey: req.userKey,
      dedupTtlMs: deps.settings.dedupTtlMs,
      policy: req.policy ?? deps.settings.throttle,
    });
    if (decision.kind === "duplicate") return { kind: "duplicate" };
    if (decision.kind === "throttled") {
      deps.metrics.throttled.inc({ platform: req.platform, reason: decision.reason });
      return {
        kind: "refused",
        outcome: "throttled",
        error: new ThrottledError(decision.reason, decision.retryAfterMs),
      };
    }
    return { kind: "ok" };
  } catch (err) {
    log.error({ err }, "store failed before the turn");
    return {
      kind: "refused",
      outcome: "unavailable",
      error: err instanceof StoreError ? err : new StoreError("store failed", { cause: err }),
    };
  }
}
