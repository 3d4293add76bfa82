/**
 * A counting semaphore for downloads (download.ts): `take` resolves with a release function once
 * a slot is free, in arrival order; a waiter whose signal aborts leaves the queue and rejects
 * with the signal's reason, so a wait never outlasts the download's own time limit.
 */
export class Slots {
  private inUse = 0;
  private readonly waiting: { grant: () => void; abort: () => void }[] = [];

  constructor(readonly size: number) {}

  /** Slots taken now, and callers waiting for one (for tests and metrics). */
  get active(): number {
    return this.inUse;
  }
  get queued(): number {
    return this.waiting.length;
  }

  take(signal: AbortSignal): Promise<() => void> {
    if (signal.aborted) return Promise.reject(signal.reason);
    if (this.inUse < this.size) {
      this.inUse++;
      return Promise.resolve(this.releaser());
    }
    return new Promise((resolve, reject) => {
      const waiter = {
        grant: () => {
          signal.removeEventListener("abort", waiter.abort);
          resolve(this.releaser());
        },
        abort: () => {
          const at = this.waiting.indexOf(waiter);
          if (at >= 0) this.waiting.splice(at, 1);
          reject(signal.reason);
        },
      };
      signal.addEventListener("abort", waiter.abort, { once: true });
      this.waiting.push(waiter);
    });
  }

  /** Release once: the slot goes to the next waiter, or back to the pool. */
  private releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiting.shift();
      if (next) next.grant();
      else this.inUse--;
    };
  }
}
