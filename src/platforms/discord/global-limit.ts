/**
 * Discord's global rate limit: 50 requests per second per bot, across all routes (interaction
 * callbacks and interaction webhooks excepted). discord.js counts it in fixed one-second windows
 * of its own, which do not line up with Discord's, so a busy second can still draw 429s. This
 * limiter lets at most `limit` requests start in any sliding window, in arrival order.
 *
 * This one is per process, for the command-registration CLI; the adapter keeps the limit in the
 * store instead (rest.ts), shared by every replica, so no replica needs a share of its own.
 */

/** Discord's documented global limit, less 10% for latency jitter. */
export const DISCORD_GLOBAL_REQUESTS_PER_SECOND = 45;

export class SlidingWindowLimiter {
  private readonly started: number[] = [];
  private tail: Promise<void> = Promise.resolve();

  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Resolves when one more request may start. */
  acquire(): Promise<void> {
    const turn = this.tail.then(() => this.wait());
    this.tail = turn;
    return turn;
  }

  private async wait(): Promise<void> {
    for (;;) {
      const now = this.now();
      while (this.started.length > 0 && (this.started[0] ?? 0) <= now - this.windowMs) this.started.shift();
      if (this.started.length < this.limit) {
        this.started.push(now);
        return;
      }
      const waitMs = (this.started[0] ?? now) + this.windowMs - now;
      await new Promise((resolve) => setTimeout(resolve, Math.max(1, Math.ceil(waitMs))));
    }
  }
}

/** Interaction endpoints are not bound to the global limit (docs, "Rate Limits"). */
export function countsTowardsGlobalLimit(url: string): boolean {
  return !/\/interactions\/\d+\/[^/]+\/callback|\/webhooks\/\d+\/[^/]+/.test(url);
}
