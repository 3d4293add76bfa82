/**
 * One platform budget as this process's answers see it (chat.update of a Slack workspace, the
 * edits of a Discord channel): a queue of answers waiting to send, in front of the window that
 * lives in the store and is shared by every replica (core/rate-window.ts has the rules). A web
 * chat session's budget is this process's own and is kept here (`ProcessEditBudget`: the same
 * sliding window over a ring of grant times): no store round trip, nothing allocated per grant.
 *
 * - Batching: at most one store call per budget is in flight; it asks for as many grants as
 *   answers are ready, so a grant costs at most one round trip however many answers wait.
 * - Allocation: final texts first (they may use the reserve), then the frames whose visible text
 *   is the most stale. The store decides how many: a quiet window is spent at once (few, short
 *   answers get every edit the platform allows), sustained load falls back to even pacing.
 * - A platform 429 pauses this process's use of the budget for its Retry-After.
 * - If the store fails, final texts go ahead (the platform's 429 is the backstop) and frames
 *   wait for the store to answer again: an outage costs freshness, never an answer.
 */
import type { Logger } from "../log.js";
import type { RateBudgetStore, RateWindow } from "./ports.js";
import { sleep } from "./timers.js";

interface Waiter {
  final: boolean;
  /** Not granted before this time (a message's own minimum edit interval); keeps its place meanwhile. */
  notBefore: number;
  /** When the answer's visible text last changed: the oldest goes first. */
  staleSince: number;
  resolve: () => void;
  reject: (err: unknown) => void;
  signal?: AbortSignal | undefined;
  onAbort?: () => void;
}

/**
 * Share of a budget kept for final texts (budgets of 10+ per window). A tenth costs intermediate
 * frames ~11% in freshness and lets answers ending together show their last words at once.
 */
const FINAL_RESERVE = 0.1;
/**
 * A quiet window's frames are spread over this part of it at first (3 s of a minute, about the
 * length of a short answer): a burst of short answers gets most of the window while they run
 * (core/rate-window.ts has the rules, including the fall-back to even pacing).
 */
const HORIZON_SHARE = 1 / 20;
/** After the store failed, frames ask again this much later. */
const STORE_RETRY_MS = 1000;

/** What an answer uses of a budget, shared or this process's own. */
export interface RateBudget {
  readonly window: RateWindow;
  /** Calls waiting for this budget now. */
  readonly pending: number;
  /** Last time anyone used this budget; idle budgets are dropped by their registry. */
  lastUsed: number;
  acquire(final: boolean, signal?: AbortSignal, notBefore?: number, staleSince?: number): Promise<void>;
  /**
   * A budget kept in this process can answer at once: grant a call now (0) or say how many ms
   * until one may go (nothing is granted then). Absent on budgets that must ask the store.
   */
  tryNow?(final: boolean, notBefore?: number): number;
  acquireFinalNow(): Promise<void>;
  pause(retryAfterMs: number): void;
}

export class EditBudget implements RateBudget {
  private readonly waiters: Waiter[] = [];
  private pausedUntil = 0;
  /** The store said no frame before this time: frames alone do not ask again sooner. */
  private framesBlockedUntil = 0;
  private asking = false;
  private pumpQueued = false;
  private pumpNow = false;
  private timer: NodeJS.Timeout | null = null;
  private timerAt = 0;
  /** Last time anyone used this budget; idle budgets are dropped by their registry. */
  lastUsed: number;

  constructor(
    readonly window: RateWindow,
    private readonly store: RateBudgetStore,
    private readonly log?: Logger,
    private readonly now: () => number = Date.now,
  ) {
    this.lastUsed = now();
  }

  get pending(): number {
    return this.waiters.length;
  }

  /**
   * Resolves when a call may be made, not before `notBefore` (epoch ms). Waiting for its own
   * interval, a frame keeps its place: the next grant goes to ready waiters. Rejects with the
   * signal's reason if aborted first.
   */
  acquire(final: boolean, signal?: AbortSignal, notBefore = 0, staleSince = this.now()): Promise<void> {
    return this.enqueue(final, signal, notBefore, staleSince, false);
  }

  /**
   * A final text's grant, asked for at the end of the current microtasks rather than after the
   * current burst of callbacks: sent in the same socket write as the store calls made alongside it
   * (a turn's save; the Redis store writes a round of callbacks' commands at once). Finals asked for
   * in the same tick still share one store call.
   */
  acquireFinalNow(): Promise<void> {
    return this.enqueue(true, undefined, 0, this.now(), true);
  }

  private enqueue(
    final: boolean,
    signal: AbortSignal | undefined,
    notBefore: number,
    staleSince: number,
    now: boolean,
  ): Promise<void> {
    this.lastUsed = this.now();
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = { final, notBefore, staleSince, resolve, reject, signal };
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
      this.waiters.push(waiter);
      this.pumpSoon(now);
    });
  }

  /**
   * Ask after the current burst of callbacks: answers that become ready together (a burst of
   * mentions, a model chunk fanning out) share one store call instead of one each. `now`: at the
   * end of the current microtasks instead (see `acquireFinalNow`).
   */
  private pumpSoon(now: boolean): void {
    if (now) {
      if (this.pumpNow) return;
      this.pumpNow = true;
      queueMicrotask(() => {
        this.pumpNow = false;
        this.pump();
      });
      return;
    }
    if (this.pumpQueued) return;
    this.pumpQueued = true;
    setImmediate(() => {
      this.pumpQueued = false;
      this.pump();
    });
  }

  /** The platform said 429: this process sends nothing in this budget for `retryAfterMs`. */
  pause(retryAfterMs: number): void {
    this.pausedUntil = Math.max(this.pausedUntil, this.now() + retryAfterMs);
    this.schedule(retryAfterMs);
  }

  /** Slots only final texts may use. */
  private get reserve(): number {
    return reserveOf(this.window);
  }

  private pump(): void {
    if (this.asking || this.waiters.length === 0) return;
    const now = this.now();
    if (now < this.pausedUntil) {
      this.schedule(this.pausedUntil - now);
      return;
    }
    const ready = this.waiters.filter((w) => w.notBefore <= now);
    const finals = ready.filter((w) => w.final).length;
    const frames = now < this.framesBlockedUntil ? 0 : ready.length - finals;
    if (finals + frames === 0) {
      const next = Math.min(
        ...this.waiters.map((w) => Math.max(w.notBefore, w.final ? 0 : this.framesBlockedUntil)),
      );
      this.schedule(next - now);
      return;
    }
    this.asking = true;
    this.store
      .grant({
        window: this.window,
        reserve: this.reserve,
        horizonMs: this.window.windowMs * HORIZON_SHARE,
        finals,
        frames,
      })
      .then(
        (granted) => {
          this.asking = false;
          this.hand(granted.finals, granted.frames, now);
          if (granted.frames < frames) this.framesBlockedUntil = this.now() + granted.retryAfterMs;
          if (granted.finals < finals || granted.frames < frames) {
            this.schedule(Math.max(1, granted.retryAfterMs));
          }
          this.pump();
        },
        (err: unknown) => {
          this.asking = false;
          this.log?.warn({ err, budget: this.window.name }, "rate budget unavailable; final texts go ahead");
          this.hand(finals, 0, now);
          this.framesBlockedUntil = this.now() + STORE_RETRY_MS;
          this.pump();
        },
      );
  }

  /** Give `finals` grants to final texts in arrival order and `frames` to the stalest ready frames. */
  private hand(finals: number, frames: number, readyAt: number): void {
    const ready = this.waiters.filter((w) => w.notBefore <= readyAt);
    const chosen = [
      ...ready.filter((w) => w.final).slice(0, finals),
      ...ready
        .filter((w) => !w.final)
        .sort((a, b) => a.staleSince - b.staleSince)
        .slice(0, frames),
    ];
    for (const waiter of chosen) {
      const i = this.waiters.indexOf(waiter);
      if (i < 0) continue; // aborted while the store answered: its grant goes unused
      this.waiters.splice(i, 1);
      if (waiter.signal && waiter.onAbort) waiter.signal.removeEventListener("abort", waiter.onAbort);
      waiter.resolve();
    }
    if (chosen.length > 0) this.lastUsed = this.now();
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

/**
 * A budget that is this process's alone (`RateWindow.local`: a web chat session, whose page is
 * connected to this replica and has no platform quota behind it). The same sliding window as the
 * store's, kept as the times of the last `limit` grants in a ring (nothing allocated per grant):
 * a call goes when fewer than `limit` grants lie in the window (frames: fewer than `limit` minus
 * the reserve) and not before its message's own interval, else it waits on one timer. No store,
 * no queue: a session streams one answer at a time, so there is no one to order it against.
 */
export class ProcessEditBudget implements RateBudget {
  /** When the last `limit` grants were made, oldest at `next`. */
  private readonly times: Float64Array;
  private next = 0;
  private pausedUntil = 0;
  pending = 0;
  lastUsed: number;

  constructor(
    readonly window: RateWindow,
    private readonly now: () => number = Date.now,
  ) {
    this.times = new Float64Array(Math.max(1, window.limit)).fill(Number.NEGATIVE_INFINITY);
    this.lastUsed = now();
  }

  async acquire(final: boolean, signal?: AbortSignal, notBefore = 0): Promise<void> {
    for (;;) {
      if (signal?.aborted) throw signal.reason;
      const wait = this.tryNow(final, notBefore);
      if (wait <= 0) return;
      this.pending++;
      try {
        await sleep(wait, signal);
      } finally {
        this.pending--;
      }
    }
  }

  tryNow(final: boolean, notBefore = 0): number {
    const now = this.now();
    // Asking is using: a caller told to wait asks again then, so the registry keeps this budget
    // (and its ring of grants) for as long as anyone is waiting on it.
    this.lastUsed = now;
    const wait = Math.max(notBefore - now, this.waitMs(final, now));
    if (wait > 0) return wait;
    this.times[this.next] = now;
    this.next = (this.next + 1) % this.times.length;
    return 0;
  }

  acquireFinalNow(): Promise<void> {
    return this.acquire(true);
  }

  pause(retryAfterMs: number): void {
    this.pausedUntil = Math.max(this.pausedUntil, this.now() + retryAfterMs);
  }

  /** Ms until a call of this kind may go (0: now). */
  private waitMs(final: boolean, now: number): number {
    if (now < this.pausedUntil) return this.pausedUntil - now;
    const slots = this.times.length;
    // Room for one more call: the grant `allowed` calls back has left the window.
    const allowed = final ? slots : slots - reserveOf(this.window);
    if (allowed <= 0) return this.window.windowMs;
    const grant = this.times[(this.next - allowed + slots) % slots] ?? Number.NEGATIVE_INFINITY;
    return Math.max(0, Math.ceil(grant + this.window.windowMs - now));
  }
}

/** Slots only final texts may use: the window's own, else a tenth of budgets of 10 or more. */
function reserveOf(window: RateWindow): number {
  if (window.reserve !== undefined) return Math.max(0, Math.min(window.limit, window.reserve));
  return window.limit >= 10 ? Math.ceil(window.limit * FINAL_RESERVE) : 0;
}

/** Budgets by scope and name, created on first use and dropped after they have been idle a while. */
export class EditBudgets {
  private readonly budgets = new Map<string, RateBudget>();
  private sweeps = 0;

  constructor(
    private readonly store: RateBudgetStore,
    private readonly log?: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  get(window: RateWindow): RateBudget {
    const id = `${window.scope}\u0000${window.name}`;
    let budget = this.budgets.get(id);
    if (
      !budget ||
      budget.window.limit !== window.limit ||
      budget.window.windowMs !== window.windowMs ||
      budget.window.reserve !== window.reserve ||
      budget.window.local !== window.local
    ) {
      budget = window.local
        ? new ProcessEditBudget(window, this.now)
        : new EditBudget(window, this.store, this.log, this.now);
      this.budgets.set(id, budget);
    }
    if (++this.sweeps % 256 === 0) this.sweep();
    return budget;
  }

  get size(): number {
    return this.budgets.size;
  }

  /** Drop budgets nobody waits on and idle for two windows: their state lives in the store. */
  private sweep(): void {
    const now = this.now();
    for (const [id, budget] of this.budgets) {
      if (budget.pending === 0 && now - budget.lastUsed > budget.window.windowMs * 2) this.budgets.delete(id);
    }
  }
}
