/**
 * Posting pace in one channel. chat.postMessage allows about one message per second per channel
 * (Slack's "Special" tier): posts in one channel are spaced so a burst of answers in one channel
 * queues here instead of getting 429s. With a shared budget store, every post also takes the
 * channel's one slot per interval in the store, so replicas posting in one channel take turns.
 */
import { randomUUID } from "node:crypto";
import type { RateBudgetStore } from "../../core/ports.js";
import type { Logger } from "../../log.js";

/**
 * The shared window is wider than the interval (10% + 50 ms): replicas send independently, and
 * two posts granted an interval apart may reach Slack closer together when one replica's event
 * loop or connection is slower for a moment.
 */
const SHARED_POST_MARGIN = 1.1;
const SHARED_POST_MARGIN_MS = 50;
/** A post in flight holds its channel's slot at most this long (a hung request, a dead replica). */
const SHARED_POST_HOLD_MS = 15_000;

export interface SharedPacing {
  store: RateBudgetStore;
  /** The workspace the channels belong to (the budget's scope). */
  scope: () => string;
  log: Logger;
}

/**
 * Posts in one channel go one at a time, each sent at least `intervalMs` after the previous one
 * was answered. Spacing from the answer (not from the send) is what guarantees Slack sees them
 * `intervalMs` apart whatever the network jitter; it costs one round trip per post, which is
 * nothing next to the 1-second interval.
 */
export class ChannelPacer {
  private readonly lanes = new Map<string, { tail: Promise<unknown>; lastDoneAt: number; queued: number }>();

  constructor(
    private readonly intervalMs: number,
    private readonly now: () => number = Date.now,
    private readonly shared?: SharedPacing,
  ) {}

  /**
   * Book the channel's slot in the store, waiting while another replica holds it. The booking is
   * held while the post is in flight and then dated to its answer (`release`), so across replicas
   * too the next post is sent an interval after the previous one was answered.
   */
  private async takeSharedSlot(channel: string): Promise<(() => void) | null> {
    const shared = this.shared;
    if (!shared || this.intervalMs <= 0) return null;
    const scope = shared.scope();
    const name = `chat.postMessage:${channel}`;
    const windowMs = this.intervalMs * SHARED_POST_MARGIN + SHARED_POST_MARGIN_MS;
    const id = randomUUID();
    for (;;) {
      try {
        const booking = await shared.store.book({
          scope,
          id,
          slots: [{ name, limit: 1, windowMs, holdMs: SHARED_POST_HOLD_MS }],
        });
        if (booking.booked) {
          return () => {
            shared.store
              .settle({ scope, name, id, used: true })
              .catch((err: unknown) => shared.log.warn({ err }, "could not release a slack post slot"));
          };
        }
        // A slot held by a post in flight frees when it is answered: look again soon.
        await new Promise((resolve) =>
          setTimeout(resolve, Math.min(booking.retryAfterMs, this.intervalMs / 2)),
        );
      } catch (err) {
        shared.log.warn({ err }, "slack post pacing unavailable; posting on this replica's pace alone");
        return null;
      }
    }
  }

  /** Run `post` in this channel's posting slot. */
  run<T>(channel: string, post: () => Promise<T>): Promise<T> {
    let lane = this.lanes.get(channel);
    if (!lane) {
      lane = { tail: Promise.resolve(), lastDoneAt: Number.NEGATIVE_INFINITY, queued: 0 };
      this.lanes.set(channel, lane);
    }
    const current = lane;
    current.queued++;
    const result = current.tail.then(async () => {
      const wait = current.lastDoneAt + this.intervalMs - this.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      const release = await this.takeSharedSlot(channel);
      try {
        return await post();
      } finally {
        release?.();
        current.lastDoneAt = this.now();
        // Idle channels are forgotten once their interval has passed.
        if (--current.queued === 0) {
          setTimeout(() => {
            if (current.queued === 0 && this.lanes.get(channel) === current) this.lanes.delete(channel);
          }, this.intervalMs).unref();
        }
      }
    });
    current.tail = result.catch(() => {});
    return result;
  }
}
