/**
 * Discord's global rate limit: 50 requests per second per bot, across all routes (interaction
 * callbacks and interaction webhooks excepted). discord.js counts it in fixed one-second windows
 * of its own, which do not line up with Discord's, so a busy second can still draw 429s. This
 * limiter lets at most `limit` requests start in any sliding window, in arrival order.
 *
 * `SlidingWindowLimiter` is per process, for the command-registration CLI; the adapter keeps the
 * limit in the store instead (`SharedGlobalLimit`), shared by every replica, so no replica needs a
 * share of its own.
 */
import { randomUUID } from "node:crypto";
import type { RateBudgetStore } from "../../core/ports.js";
import { sleep } from "../../core/timers.js";
import type { Logger } from "../../log.js";
import { BOOKING_HOLD_MS } from "./route-budgets.js";

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

/**
 * The global limit kept in the store, shared by every replica: each request books a slot in one
 * sliding window before it is sent, and the booking is settled when the response is back, so it
 * counts from before the request left until a window after it was answered. Discord counts the
 * request when it arrives, somewhere in between: a request held up on its way (a cold
 * connection, a starved process) is still counted. A grant counted from the moment it was made
 * was not: a first request 50 ms slower than the eleventh put eleven into one of Discord's
 * seconds (a test saw it on a loaded machine).
 *
 * Requests waiting together are booked together, in arrival order, with one store call
 * (`RateBudgetStore.bookEach`): a burst costs one round trip, not one per request. Those that
 * did not fit ask again when the window's oldest slot frees. Settling is one more call per
 * request, not waited for. If the store fails the requests go anyway (discord.js' own handling
 * of a 429 is the backstop), as the channel buckets do (route-budgets.ts), and the outage is
 * logged once.
 */
export class SharedGlobalLimit {
  private readonly queue: GlobalWaiter[] = [];
  private pumping = false;
  /** The store failed on the last booking: say so once, not on every request of an outage. */
  private failing = false;

  constructor(
    private readonly store: RateBudgetStore,
    private readonly scope: string,
    private readonly limit: number,
    private readonly windowMs: number,
    private readonly log: Logger,
  ) {}

  /**
   * Resolves with the booking to settle once the response is back (null when the store could not
   * be asked); rejects with `signal`'s reason if aborted while waiting.
   */
  acquire(signal?: AbortSignal): Promise<string | null> {
    return new Promise<string | null>((resolve, reject) => {
      if (signal?.aborted) {
        reject(signal.reason);
        return;
      }
      const waiter: GlobalWaiter = { id: randomUUID(), resolve, reject, signal, done: false };
      if (signal) {
        waiter.onAbort = () => {
          if (waiter.done) return;
          waiter.done = true;
          const i = this.queue.indexOf(waiter);
          if (i >= 0) this.queue.splice(i, 1);
          reject(signal.reason);
        };
        signal.addEventListener("abort", waiter.onAbort, { once: true });
      }
      this.queue.push(waiter);
      if (!this.pumping) {
        this.pumping = true;
        // After the current burst of callbacks: requests that start together are booked together.
        setImmediate(() => void this.pump());
      }
    });
  }

  /** The request was answered or failed: its slot counts from now for a window. */
  settle(id: string | null): void {
    if (id) this.release(id, true);
  }

  private async pump(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue.slice(0, this.limit);
      let booked: number;
      let retryAfterMs = 0;
      try {
        ({ booked, retryAfterMs } = await this.store.bookEach({
          scope: this.scope,
          name: "global",
          ids: batch.map((w) => w.id),
          limit: this.limit,
          windowMs: this.windowMs,
          holdMs: BOOKING_HOLD_MS,
        }));
        if (this.failing) {
          this.failing = false;
          this.log.info("discord global limit is kept in the store again");
        }
      } catch (err) {
        if (!this.failing) this.log.warn({ err }, "discord global limit unavailable; sending anyway");
        this.failing = true;
        for (const waiter of batch) this.finish(waiter, null);
        continue;
      }
      for (const waiter of batch.slice(0, booked)) this.finish(waiter, waiter.id);
      if (booked < batch.length) {
        // A slot held by a request in flight counts until settled, then frees within a window.
        await sleep(Math.max(1, Math.min(retryAfterMs, this.windowMs)));
      }
    }
    this.pumping = false;
  }

  private finish(waiter: GlobalWaiter, booking: string | null): void {
    if (waiter.done) {
      // Aborted while its booking was being made: give the slot back.
      if (booking) this.release(booking, false);
      return;
    }
    waiter.done = true;
    const i = this.queue.indexOf(waiter);
    if (i >= 0) this.queue.splice(i, 1);
    if (waiter.onAbort) waiter.signal?.removeEventListener("abort", waiter.onAbort);
    waiter.resolve(booking);
  }

  private release(id: string, used: boolean): void {
    this.store
      .settle({ scope: this.scope, name: "global", id, used })
      .catch((err: unknown) => this.log.debug({ err }, "could not settle a global-limit booking"));
  }
}

interface GlobalWaiter {
  id: string;
  resolve: (booking: string | null) => void;
  reject: (err: unknown) => void;
  signal: AbortSignal | undefined;
  onAbort?: () => void;
  /** Resolved, or rejected by its signal. */
  done: boolean;
}

/** Interaction endpoints are not bound to the global limit (docs, "Rate Limits"). */
export function countsTowardsGlobalLimit(url: string): boolean {
  return !/\/interactions\/\d+\/[^/]+\/callback|\/webhooks\/\d+\/[^/]+/.test(url);
}
