/**
 * Client-side pacing for the Slack limits the core's edit budget does not cover:
 * - chat.postMessage: about one message per second per channel ("Special" tier). Posts in one
 *   channel are spaced so a burst of answers in one channel queues here instead of getting 429s.
 * - chat.startStream / chat.stopStream: Tier 2 (20+ per minute per workspace). A native stream is
 *   only opened when both its start and, later, its stop fit the budget; otherwise the answer is
 *   posted and edited instead (never delayed waiting for a stream slot).
 * Both are per process: with several replicas, Slack's 429 + Retry-After is the backstop and the
 * core's scheduler waits it out.
 */

/** Slack: "chat.postMessage ... generally allows 1 message per second per channel". */
export const POST_INTERVAL_MS = 1000;
/** Tier 2: 20 calls per minute (chat.stopStream's page; chat.startStream assumed the same). */
export const STREAM_CALLS_PER_WINDOW = 20;
export const STREAM_WINDOW_MS = 60_000;
/** Window margin against jitter between our clock and Slack's (a sliding window counts arrivals). */
export const JITTER_MARGIN = 1.02;

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

/**
 * Keeps `stops in the window + open streams <= limit`, which guarantees the stops never exceed
 * the limit whenever the streams end; starts are counted against their own window.
 */
export class StreamGate {
  private readonly starts: number[] = [];
  private readonly stops: number[] = [];
  private open = 0;

  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  get openStreams(): number {
    return this.open;
  }

  /** Take a slot for a new stream, or false if starting one now could lead to a 429. */
  tryOpen(): boolean {
    const now = this.now();
    prune(this.starts, now - this.windowMs * JITTER_MARGIN);
    prune(this.stops, now - this.windowMs * JITTER_MARGIN);
    if (this.starts.length >= this.limit || this.stops.length + this.open >= this.limit) return false;
    this.starts.push(now);
    this.open++;
    return true;
  }

  /** The stream ended; `stopCalled` when chat.stopStream was (or is about to be) called for it. */
  close(stopCalled: boolean): void {
    if (this.open > 0) this.open--;
    if (stopCalled) this.stops.push(this.now());
  }
}

function prune(list: number[], before: number): void {
  while (list.length > 0 && (list[0] ?? 0) <= before) list.shift();
}
