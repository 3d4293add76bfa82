/**
 * A shared budget of platform edits for one scope (a Slack workspace, a Discord channel).
 *
 * Two rules, both needed:
 * - never more than `edits` grants in any sliding `windowMs` (so a fixed- or sliding-window
 *   platform limit is never exceeded, whatever the burst);
 * - grants are paced at least `windowMs / edits` apart, so concurrent answers share the budget
 *   evenly over time instead of spending it all in the first second and then going stale.
 * Final edits jump the queue: an answer's last text matters more than an intermediate frame.
 * A platform 429 pauses the whole scope for its Retry-After.
 */

interface Waiter {
  final: boolean;
  /** Not granted before this time (a message's own minimum edit interval); keeps its place meanwhile. */
  notBefore: number;
  resolve: () => void;
  reject: (err: unknown) => void;
  signal?: AbortSignal | undefined;
  onAbort?: () => void;
}

/**
 * Share of a scope's edits kept for final texts (scopes of 10+ edits per window). A tenth costs
 * intermediate frames ~11% in freshness and lets a burst of answers ending together show their
 * last words at once.
 */
const FINAL_RESERVE = 0.1;

export class EditBudget {
  private readonly grants: number[] = [];
  private readonly waiters: Waiter[] = [];
  private pausedUntil = 0;
  private lastGrant = Number.NEGATIVE_INFINITY;
  private timer: NodeJS.Timeout | null = null;
  private timerAt = 0;
  /** Last time anyone used this budget; idle budgets are dropped by their registry. */
  lastUsed: number;
  /** Answers holding this budget: a held budget is never dropped, however idle. */
  holders = 0;

  constructor(
    readonly edits: number,
    readonly windowMs: number,
    private readonly now: () => number = Date.now,
  ) {
    this.lastUsed = now();
  }

  get pending(): number {
    return this.waiters.length;
  }

  /**
   * Resolves when an edit may be sent, not before `notBefore` (epoch ms). Waiting for its own
   * interval, an edit keeps its place in the queue: the next grant goes to the first waiter
   * that is ready. Rejects with the signal's reason if aborted first.
   */
  acquire(final: boolean, signal?: AbortSignal, notBefore = 0): Promise<void> {
    this.lastUsed = this.now();
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = { final, notBefore, resolve, reject, signal };
      if (signal) {
        if (signal.aborted) {
          reject(signal.reason);
          return;
        }
        waiter.onAbort = () => {
          const i = this.waiters.indexOf(waiter);
          if (i >= 0) this.waiters.splice(i, 1);
          reject(signal.reason);
        };
        signal.addEventListener("abort", waiter.onAbort, { once: true });
      }
      // Finals go before every non-final, after earlier finals.
      if (final) {
        const firstNonFinal = this.waiters.findIndex((w) => !w.final);
        if (firstNonFinal === -1) this.waiters.push(waiter);
        else this.waiters.splice(firstNonFinal, 0, waiter);
      } else {
        this.waiters.push(waiter);
      }
      this.pump();
    });
  }

  /** The platform said 429: nobody in this scope sends until `retryAfterMs` has passed. */
  pause(retryAfterMs: number): void {
    this.pausedUntil = Math.max(this.pausedUntil, this.now() + retryAfterMs);
    this.schedule(retryAfterMs);
  }

  /** Edits that only final texts may use: intermediate frames are paced to the rest. */
  private get reserved(): number {
    return this.edits >= 10 ? Math.ceil(this.edits * FINAL_RESERVE) : 0;
  }

  private get spacingMs(): number {
    return this.windowMs / (this.edits - this.reserved);
  }

  /**
   * Milliseconds until the next grant is allowed (0 = now). Intermediate frames are paced evenly
   * and leave the reserve unused; a final text needs only room in the window (answers that end
   * at the same moment do not queue their last words behind each other).
   */
  private waitMs(now: number, final: boolean): number {
    while (this.grants.length > 0 && (this.grants[0] ?? 0) <= now - this.windowMs) this.grants.shift();
    const limit = final ? this.edits : this.edits - this.reserved;
    let wait = Math.max(0, this.pausedUntil - now);
    if (!final) wait = Math.max(wait, this.lastGrant + this.spacingMs - now);
    if (this.grants.length >= limit) {
      wait = Math.max(wait, (this.grants[this.grants.length - limit] ?? now) + this.windowMs - now);
    }
    return Math.ceil(wait);
  }

  private pump(): void {
    while (this.waiters.length > 0) {
      const now = this.now();
      const wait = this.waitMs(now, this.waiters[0]?.final ?? false);
      if (wait > 0) {
        this.schedule(wait);
        return;
      }
      const index = this.waiters.findIndex((w) => w.notBefore <= now);
      if (index === -1) {
        this.schedule(Math.min(...this.waiters.map((w) => w.notBefore)) - now);
        return;
      }
      const [waiter] = this.waiters.splice(index, 1) as [Waiter];
      if (waiter.signal && waiter.onAbort) waiter.signal.removeEventListener("abort", waiter.onAbort);
      this.grants.push(now);
      this.lastGrant = now;
      this.lastUsed = now;
      waiter.resolve();
    }
  }

  private schedule(ms: number): void {
    const at = this.now() + Math.max(1, Math.ceil(ms));
    if (this.timer) {
      if (this.timerAt <= at) return;
      clearTimeout(this.timer);
    }
    this.timerAt = at;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.pump();
    }, at - this.now());
    this.timer.unref();
  }
}

/** Budgets by scope, created on first use and dropped after they have been idle a while. */
export class EditBudgets {
  private readonly budgets = new Map<string, EditBudget>();
  private sweeps = 0;

  constructor(private readonly now: () => number = Date.now) {}

  get(scope: string, edits: number, windowMs: number): EditBudget {
    let budget = this.budgets.get(scope);
    if (!budget || budget.edits !== edits || budget.windowMs !== windowMs) {
      budget = new EditBudget(edits, windowMs, this.now);
      this.budgets.set(scope, budget);
    }
    if (++this.sweeps % 256 === 0) this.sweep();
    return budget;
  }

  get size(): number {
    return this.budgets.size;
  }

  /** Drop budgets idle for longer than their window: they hold no state that still matters. */
  private sweep(): void {
    const now = this.now();
    for (const [scope, budget] of this.budgets) {
      if (budget.pending === 0 && budget.holders === 0 && now - budget.lastUsed > budget.windowMs * 2) {
        this.budgets.delete(scope);
      }
    }
  }
}
