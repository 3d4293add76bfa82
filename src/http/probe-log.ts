/**
 * Logging for a part that /readyz probes (the store). Kubernetes probes every few seconds, so a
 * line per failed probe floods the log for as long as Redis is down. Instead: one warning when
 * the part goes down, a reminder at most every REMINDER_MS while it stays down (with how many
 * probes failed since), and one line when it answers again. Every failed probe is still counted
 * in the metric (`chatbot_readiness_failures_total{part}`), so alerting loses nothing.
 */
import type { Logger } from "../log.js";

/** While a part stays down, its warning repeats at most this often: one line a minute is enough to see it is still down. */
export const REMINDER_MS = 60_000;

export class ProbeLog {
  private downSince: number | null = null;
  private lastWarnAt = 0;
  private failuresSinceWarn = 0;

  constructor(
    private readonly part: string,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  /** A probe failed: warn if the part was up, or if the last warning is REMINDER_MS old. */
  failed(err: unknown, fields: Record<string, unknown> = {}): void {
    const now = this.now();
    this.failuresSinceWarn += 1;
    if (this.downSince === null) {
      this.downSince = now;
    } else if (now - this.lastWarnAt < REMINDER_MS) {
      return;
    }
    this.log.warn(
      {
        err,
        ...fields,
        part: this.part,
        downForMs: now - this.downSince,
        failedProbes: this.failuresSinceWarn,
      },
      `readiness: the ${this.part} is not answering`,
    );
    this.lastWarnAt = now;
    this.failuresSinceWarn = 0;
  }

  /** A probe succeeded: say so once if the part was down. */
  succeeded(fields: Record<string, unknown> = {}): void {
    if (this.downSince === null) return;
    this.log.info(
      { ...fields, part: this.part, downForMs: this.now() - this.downSince },
      `readiness: the ${this.part} answers again`,
    );
    this.downSince = null;
    this.failuresSinceWarn = 0;
  }
}
