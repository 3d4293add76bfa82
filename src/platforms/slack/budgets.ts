/**
 * Slack's per-method budgets of one workspace, kept in the store so every replica draws on the
 * same windows (defaults: Slack's documented tiers, see docs/rate-limits.md):
 * - chat.update (Tier 3) and chat.appendStream (Tier 4): the core's edit scheduler grants frames
 *   and unbooked final texts from them (the sink names the budget per message);
 * - chat.startStream and chat.stopStream (Tier 2): a native stream is opened only when its start
 *   AND its stop can be booked at once. The stop is booked ahead (counted until it is made), so
 *   the final text of a stream never waits for a window: it lands with chat.stopStream at once.
 * - a message answer books its final chat.update when it is posted, for the same reason. When no
 *   final can be booked (the workspace is saturated), the answer is not shown piecemeal: it is
 *   posted whole when done (chat.postMessage has a per-channel limit only), so nothing starves.
 */
import { randomUUID } from "node:crypto";
import type { RateBudgetStore, RateWindow } from "../../core/ports.js";
import type { Logger } from "../../log.js";

export type SlackMethod =
  | "chat.update"
  | "chat.appendStream"
  | "chat.startStream"
  | "chat.stopStream"
  | "users.info";

export interface SlackMethodLimits {
  /** Calls per minute per workspace, by method (users.info: Tier 4 unless given). */
  perMinute: Record<Exclude<SlackMethod, "users.info">, number> & { "users.info"?: number };
}

/** users.info is Tier 4 (100+ per minute): background name lookups, and a summary's authors first. */
const USERS_INFO_PER_MINUTE = 100;

/** Slack's tiers are per minute. */
const TIER_WINDOW_MS = 60_000;
/**
 * Our windows are this much wider than Slack's: Slack counts arrivals, we count sends, and a
 * request can take a little longer than the previous one.
 */
export const JITTER_MARGIN = 1.02;
/**
 * A booking not settled by then lapses: Slack ends a stream by itself after about 5 minutes, and a
 * replica that died mid-answer must not hold a slot for ever.
 */
const BOOKING_HOLD_MS = 5 * 60_000;

export type Booking = { kind: "booked"; id: string } | { kind: "full" } | { kind: "unavailable" };

export class SlackBudgets {
  constructor(
    private readonly store: RateBudgetStore,
    private readonly limits: SlackMethodLimits,
    private readonly log: Logger,
    /** Real windows are divided by this (tests and the benchmark run a scaled fake Slack). */
    private readonly timeScale = 1,
  ) {}

  window(teamId: string, method: SlackMethod): RateWindow {
    return {
      scope: `slack:${teamId}`,
      name: method,
      limit: this.limits.perMinute[method] ?? USERS_INFO_PER_MINUTE,
      windowMs: (TIER_WINDOW_MS * JITTER_MARGIN) / this.timeScale,
      // A stream's final text is its booked chat.stopStream: no append is kept back for it.
      ...(method === "chat.appendStream" ? { reserve: 0 } : {}),
    };
  }

  /** Book a stream's start (now) and its stop (later); null when either window is full. */
  async openStream(teamId: string): Promise<string | null> {
    const id = randomUUID();
    const booking = await this.book(teamId, id, [
      { method: "chat.startStream", holdMs: 0 },
      { method: "chat.stopStream", holdMs: BOOKING_HOLD_MS },
    ]);
    return booking.kind === "booked" ? id : null;
  }

  /** The stream ended: its stop was made now (`stopped`), or will never be (the slot is freed). */
  closeStream(teamId: string, id: string, stopped: boolean): void {
    this.settle(teamId, "chat.stopStream", id, stopped);
  }

  /** Book the final chat.update of a message that will be edited. */
  bookFinalUpdate(teamId: string): Promise<Booking> {
    return this.book(teamId, randomUUID(), [{ method: "chat.update", holdMs: BOOKING_HOLD_MS }]);
  }

  settleUpdate(teamId: string, id: string, used: boolean): void {
    this.settle(teamId, "chat.update", id, used);
  }

  private async book(
    teamId: string,
    id: string,
    slots: { method: SlackMethod; holdMs: number }[],
  ): Promise<Booking> {
    try {
      const result = await this.store.book({
        scope: `slack:${teamId}`,
        id,
        slots: slots.map(({ method, holdMs }) => {
          const w = this.window(teamId, method);
          return { name: method, limit: w.limit, windowMs: w.windowMs, holdMs: holdMs / this.timeScale };
        }),
      });
      return result.booked ? { kind: "booked", id } : { kind: "full" };
    } catch (err) {
      const methods = slots.map((s) => s.method);
      this.log.warn({ err, methods }, "slack budget unavailable; answering without a booking");
      return { kind: "unavailable" };
    }
  }

  /** Fire and forget: the slot is counted either way, settling only frees or re-dates it. */
  private settle(teamId: string, method: SlackMethod, id: string, used: boolean): void {
    this.store
      .settle({ scope: `slack:${teamId}`, name: method, id, used })
      .catch((err: unknown) => this.log.warn({ err, method }, "could not settle a slack budget booking"));
  }
}
