/**
 * Hand-offs nobody finished within HANDOFF_TTL_S go back to the assistant, with a note to the
 * customer and to the team thread. Every replica sweeps the active hand-offs now and then (as
 * the orphan sweep does, core/orphans.ts); closing is the record's compare-and-set, so exactly
 * one replica hands each one back. A message in the conversation or the team thread that comes
 * first (before the next sweep) hands it back on the spot, the same way.
 */
import type { Logger } from "../../log.js";
import type { HandoffRecord } from "./record.js";

/** How often each replica looks for expired hand-offs. */
export const HANDOFF_EXPIRY_SWEEP_MS = 30_000;
/** Hand-offs looked at per sweep (oldest first, so the expired ones come first). */
export const HANDOFF_EXPIRY_BATCH = 50;

/** Whether an active hand-off has reached its deadline (`ttlMs` after it was opened). */
export function isExpired(rec: Pick<HandoffRecord, "openedAt">, ttlMs: number, now: number): boolean {
  return now >= rec.openedAt + ttlMs;
}

/** Sweep every `intervalMs`; returns a stop function. A sweep still running skips the next tick. */
export function startExpirySweep(
  handoffs: { expireDue(limit: number): Promise<number> },
  log: Logger,
  intervalMs = HANDOFF_EXPIRY_SWEEP_MS,
): () => void {
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    handoffs
      .expireDue(HANDOFF_EXPIRY_BATCH)
      .then((n) => {
        if (n > 0) log.info({ expired: n }, "handed expired hand-offs back to the assistant");
      })
      .catch((err: unknown) => log.warn({ err }, "hand-off expiry sweep failed"))
      .finally(() => {
        running = false;
      });
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
