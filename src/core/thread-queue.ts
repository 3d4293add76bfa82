/**
 * Waiting for a thread's turn. Messages in one thread are answered one at a time, in order:
 * inside this process a FIFO per thread (no polling, order kept), across replicas the store's
 * lock (polled with backoff). A message waits at most `waitMs` in all, then gives up with
 * BusyError rather than waiting forever.
 */
import { BusyError } from "./errors.js";
import type { AcquireResult, ThreadStore } from "./ports.js";
import { sleep } from "./timers.js";
import type { StoredTurn } from "./types.js";

/** First and longest pause between two tries of a lock held by another replica. */
const POLL_MIN_MS = 20;
const POLL_MAX_MS = 400;

export interface ThreadTicket {
  history: StoredTurn[];
  /** Marker of an earlier turn in this thread whose process died mid-answer. */
  orphan?: string;
  waitedMs: number;
  /** Let the next message of this thread in this process go. Call exactly once. */
  leave(): void;
}

export class ThreadQueue {
  private readonly tails = new Map<string, Promise<void>>();

  constructor(
    private readonly threads: ThreadStore,
    private readonly now: () => number = Date.now,
  ) {}

  /** Threads with a message running or waiting in this process. */
  get size(): number {
    return this.tails.size;
  }

  /** `opts.signal` is read only when the message has to wait (it may be made on demand). */
  async enter(
    threadKey: string,
    owner: string,
    opts: { ttlMs: number; waitMs: number; signal?: AbortSignal; marker?: string },
  ): Promise<ThreadTicket> {
    const started = this.now();
    const previous = this.tails.get(threadKey);
    let open!: () => void;
    const mine = new Promise<void>((resolve) => {
      open = resolve;
    });
    const tail = (previous ?? Promise.resolve()).then(() => mine);
    this.tails.set(threadKey, tail);
    let left = false;
    const leave = () => {
      if (left) return;
      left = true;
      open();
      if (this.tails.get(threadKey) === tail) this.tails.delete(threadKey);
    };
    try {
      if (previous) await withDeadline(previous, opts.waitMs, opts.signal);
      const deadline = started + opts.waitMs;
      let pause = POLL_MIN_MS;
      for (;;) {
        const result: AcquireResult = await this.threads.acquire(threadKey, owner, opts.ttlMs, opts.marker);
        if (result.acquired) {
          const ticket: ThreadTicket = { history: result.history, waitedMs: this.now() - started, leave };
          if (result.orphan) ticket.orphan = result.orphan;
          return ticket;
        }
        const remaining = deadline - this.now();
        if (remaining <= 0) throw new BusyError(`thread ${threadKey} stayed locked for ${opts.waitMs} ms`);
        await sleep(Math.min(remaining, pause * (0.5 + Math.random())), opts.signal);
        pause = Math.min(POLL_MAX_MS, pause * 2);
      }
    } catch (err) {
      leave();
      throw err;
    }
  }
}

async function withDeadline(p: Promise<void>, ms: number, signal?: AbortSignal): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  try {
    await Promise.race([
      p,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new BusyError(`earlier message still running after ${ms} ms`)), ms);
        if (signal) {
          onAbort = () => reject(signal.reason);
          if (signal.aborted) onAbort();
          else signal.addEventListener("abort", onAbort, { once: true });
        }
      }),
    ]);
  } finally {
    clearTimeout(timer);
    if (signal && onAbort) signal.removeEventListener("abort", onAbort);
  }
}
