/**
 * Posting pace in one channel. chat.postMessage allows about one message per second per channel
 * (Slack's "Special" tier): posts in one channel are spaced so a burst of answers in one channel
 * queues here instead of getting 429s. Per process; the per-method workspace budgets, which
 * replicas do share, are in budgets.ts.
 */

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
  ) {}

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
      try {
        return await post();
      } finally {
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
