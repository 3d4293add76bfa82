/**
 * The edit scheduler of one answer. Text deltas come in as fast as the model produces them;
 * what goes out to the platform is:
 * - the first visible text, posted as soon as it exists (no budget wait: users judge a bot by
 *   how soon something appears);
 * - then edits of the newest text, coalesced, at most one per `minEditIntervalMs` per message
 *   and within the budget the sink names for it (shared by every replica; the stalest answer
 *   is served first);
 * - parts that overflow the platform limit become further messages (split at markdown-safe
 *   boundaries), each finalized as soon as it is complete;
 * - always the final text with its final state, retried through 429s and transient errors.
 * Calls to the sink for one answer are strictly sequential (one loop), so edits never race.
 */
import type { Logger } from "../log.js";
import type { EditBudgets, RateBudget } from "./edit-budget.js";
import { PlatformError } from "./errors.js";
import type { DeliveryExtras, EditBudgetChoice, MessageSink, MessageState } from "./ports.js";
import { isBlank, splitMarkdown } from "./split.js";
import { sleep } from "./timers.js";

/** Retries of a final edit that failed for a reason other than a rate limit. */
const FINAL_ATTEMPTS = 4;
/** Backoff base between those attempts. */
const FINAL_RETRY_BASE_MS = 250;
/** Longest 429 pause we honour inside one answer before giving the message up as failed. */
const MAX_RATE_LIMIT_WAIT_MS = 120_000;
/**
 * The abort reason of a frame dropped for the final text. A plain value: abort() without one
 * builds a DOMException with a stack trace, on every answer.
 */
const FINISHED = "finished";
/** What the final call for a rateable answer's last message carries. */
const RATEABLE: DeliveryExtras = { rateable: true };

interface Part {
  ref: string | null;
  /** The sink declined to show this part piecemeal: only its final text is posted. */
  deferred: boolean;
  sent: string | null;
  sentState: MessageState | null;
  lastSendAt: number;
}

export interface AnswerStreamStats {
  posts: number;
  edits: number;
  rateLimited: number;
  /** ms from stream creation to the first visible text, if any was shown. */
  firstVisibleMs: number | null;
  /** False if some part could not be delivered in its final form. */
  delivered: boolean;
}

export class AnswerStream {
  private text = "";
  private finalState: MessageState | null = null;
  /** The final text of the last part goes out with feedback buttons (see `DeliveryExtras`). */
  private rateable = false;
  private readonly parts: Part[] = [];
  private wake: (() => void) | null = null;
  private loop: Promise<void> | null = null;
  private broken = false;
  /** A failed loop is restarted once for the final text. */
  private finalRetried = false;
  /** Waiting for every part of the text so far to exist as a message (see `posted`). */
  private postedWaiters: (() => void)[] = [];
  /**
   * Aborted by finish(): an intermediate frame still waiting for its turn is dropped for the final.
   * Made on the first wait only (an answer that fits in its first post never needs one).
   */
  private finishing: AbortController | null = null;
  /**
   * The wait of a frame held back by a budget kept in this process (`RateBudget.tryNow`): its
   * timer and its promise's resolve, no abort signal and listener per frame, and no closures
   * either (`frameDue` is made once).
   */
  private frameTimer: NodeJS.Timeout | undefined = undefined;
  private frameResolve: ((go: boolean) => void) | null = null;
  private readonly frameDue = () => this.endFrameWait(true);
  /**
   * The text has a character that is not white space. Kept as text arrives, so a text that fits
   * one message is never scanned (nor flattened: `text` grows by concatenation) on each chunk.
   */
  private hasText = false;
  /** The sink's budget for its edits when it names none per message (`budgetFor`), made once. */
  private defaultChoice: EditBudgetChoice | null = null;
  /** The final edit's grant, asked for early (see `grantFinalEarly`); used by that edit. */
  private earlyFinal: { budget: RateBudget; granted: Promise<void> } | null = null;
  private readonly startedAt: number;
  readonly stats: AnswerStreamStats = {
    posts: 0,
    edits: 0,
    rateLimited: 0,
    firstVisibleMs: null,
    delivered: true,
  };

  constructor(
    private readonly sink: MessageSink,
    private readonly budgets: EditBudgets,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
  ) {
    this.startedAt = now();
  }

  /** The full text so far. */
  get current(): string {
    return this.text;
  }

  /** True once some text is visible in the chat. */
  get visible(): boolean {
    return this.stats.firstVisibleMs !== null;
  }

  /**
   * Resolves once every part of the text so far exists as a chat message (or showing it failed).
   * The turn waits for this before it releases its thread, so that the thread's next answer,
   * perhaps on another replica, can never appear above this one.
   */
  posted(): Promise<void> {
    if (this.allPosted()) return Promise.resolve();
    return this.waitPosted();
  }

  /**
   * Like `posted`, but null when everything is posted already: the usual case, in which the turn
   * then builds no promise, race and timer for the wait.
   */
  postedOrNull(): Promise<void> | null {
    return this.allPosted() ? null : this.waitPosted();
  }

  private waitPosted(): Promise<void> {
    return new Promise((resolve) => this.postedWaiters.push(resolve));
  }

  private allPosted(): boolean {
    if (this.broken || isBlank(this.text)) return true;
    const count = splitMarkdown(this.text, this.sink.limits.maxChars).length;
    for (let i = 0; i < count; i++) if (!this.parts[i]?.ref && !this.parts[i]?.deferred) return false;
    return true;
  }

  private notifyPosted(): void {
    if (this.postedWaiters.length === 0 || !this.allPosted()) return;
    const waiters = this.postedWaiters;
    this.postedWaiters = [];
    for (const resolve of waiters) resolve();
  }

  /**
   * Ask now for the budget the final edit will draw on, before its text is known. The turn calls
   * this in the same tick as its save, so the grant travels to the store with the save (one
   * round trip instead of two in a row). The edit itself still waits for `finish`.
   */
  grantFinalEarly(): void {
    if (this.finalState || this.earlyFinal || this.broken) return;
    const texts = splitMarkdown(this.text, this.sink.limits.maxChars);
    const part = this.parts[Math.max(texts.length - 1, 0)];
    if (!part?.ref || part.deferred) return;
    const choice = this.budgetFor(part.ref, true);
    if (!choice) return;
    const budget = this.budgets.get(choice.window);
    this.earlyFinal = { budget, granted: budget.acquireFinalNow() };
  }

  append(delta: string): void {
    if (this.finalState || delta.length === 0) return;
    this.text += delta;
    if (!this.hasText && !isBlank(delta)) this.hasText = true;
    this.kick();
  }

  /** Set the final text and state; resolves when the platform has it (or it definitely failed). */
  async finish(
    state: Exclude<MessageState, "streaming">,
    text: string = this.text,
    opts: { rateable?: boolean } = {},
  ): Promise<AnswerStreamStats> {
    if (!this.finalState) {
      this.text = text;
      this.hasText = !isBlank(text);
      this.finalState = state;
      this.rateable = opts.rateable === true && state === "done";
      this.finishing?.abort(FINISHED);
      this.endFrameWait(false);
    }
    this.kick();
    while (this.loop) {
      const loop = this.loop;
      await loop;
      if (this.loop === loop) break;
    }
    return this.stats;
  }

  private kick(): void {
    if (this.wake) {
      const wake = this.wake;
      this.wake = null;
      wake();
    }
    // After a failed first post, only the final text is tried again (no hammering a broken channel).
    if (this.loop || (this.broken && !this.finalState)) return;
    this.loop = this.run().catch((err: unknown) => {
      this.broken = true;
      this.loop = null;
      this.notifyPosted();
      this.log.warn({ err }, "answer could not be shown; will try once more with the final text");
      if (!this.finalState) return;
      if (this.finalRetried) {
        this.stats.delivered = false;
        return;
      }
      // finish() came while the failing call was in flight: the final text gets its own try.
      this.finalRetried = true;
      this.kick();
    });
  }

  private async run(): Promise<void> {
    const max = this.sink.limits.maxChars;
    for (;;) {
      const final = this.finalState;
      let lastIndex = 0;
      let lastText = "";
      let blank: boolean;
      if (this.text.length <= max) {
        // One message (splitMarkdown would return the text itself, or nothing if it is blank).
        if (this.hasText) lastText = this.text;
        blank = !this.hasText;
      } else {
        const texts = splitMarkdown(this.text, max);
        // Parts before the last are complete: finalize them in order.
        for (let i = 0; i < texts.length - 1; i++) {
          await this.deliver(i, texts[i]!, "done");
        }
        lastIndex = Math.max(texts.length - 1, 0);
        lastText = texts[lastIndex] ?? "";
        blank = isBlank(lastText);
      }
      if (final) {
        if (!blank) await this.deliver(lastIndex, lastText, final, this.rateable);
        return;
      }
      const part = this.parts[lastIndex];
      if (!blank && (!part || part.sent !== lastText)) {
        await this.deliver(lastIndex, lastText, "streaming");
        continue;
      }
      await new Promise<void>((resolve) => {
        this.wake = resolve;
      });
    }
  }

  /** Bring part `index` to `text` in `state`; retries per the rules above. */
  private async deliver(index: number, text: string, state: MessageState, rateable = false): Promise<void> {
    let part = this.parts[index];
    if (!part) {
      part = {
        ref: null,
        deferred: false,
        sent: null,
        sentState: null,
        lastSendAt: Number.NEGATIVE_INFINITY,
      };
      this.parts[index] = part;
    }
    if (part.sent === text && part.sentState === state) return;
    const isFinal = state !== "streaming";
    if (part.deferred && !isFinal) {
      part.sent = text; // nothing to show until the final text
      return;
    }
    let attempts = 0;
    let rateLimitedMs = 0;
    let budget: ReturnType<EditBudgets["get"]> | undefined;
    for (;;) {
      try {
        if (part.ref === null) {
          const ref = await (rateable ? this.sink.post(text, state, RATEABLE) : this.sink.post(text, state));
          if (ref === null) {
            part.deferred = true;
            part.sent = text;
            part.sentState = state;
            this.notifyPosted();
            return;
          }
          part.ref = ref;
          this.stats.posts++;
          if (this.stats.firstVisibleMs === null) this.stats.firstVisibleMs = this.now() - this.startedAt;
          this.notifyPosted();
        } else {
          const choice = this.budgetFor(part.ref, isFinal);
          if (choice) {
            budget = this.budgets.get(choice.window);
            if (!isFinal && budget.tryNow) {
              // This process's own budget: granted now, or wait (the message's own interval
              // included) and ask again; the final text ends the wait and goes instead.
              const notBefore = part.lastSendAt + choice.minEditIntervalMs;
              for (
                let wait = budget.tryNow(false, notBefore);
                wait > 0;
                wait = budget.tryNow(false, notBefore)
              ) {
                if (!(await this.frameWait(wait))) return;
              }
            } else if (!isFinal) {
              // Queue for the budget at once (the message's own interval is a not-before time, so
              // its place in the queue is kept). If the answer finishes meanwhile, this frame is
              // stale and the final text (which goes before frames) is sent instead.
              const notBefore = part.lastSendAt + choice.minEditIntervalMs;
              const staleSince = Number.isFinite(part.lastSendAt) ? part.lastSendAt : this.startedAt;
              const granted = budget.acquire(false, this.finishSignal(), notBefore, staleSince);
              if (!(await settle(granted))) return;
            } else if (this.earlyFinal?.budget === budget) {
              const early = this.earlyFinal.granted;
              this.earlyFinal = null;
              await early;
            } else {
              await budget.acquire(true);
            }
          }
          // While we waited, newer text may have arrived: send the newest, never a stale frame.
          if (!isFinal) text = this.latestFor(index) ?? text;
          await (rateable
            ? this.sink.edit(part.ref, text, state, RATEABLE)
            : this.sink.edit(part.ref, text, state));
          this.stats.edits++;
        }
        part.sent = text;
        part.sentState = state;
        part.lastSendAt = this.now();
        return;
      } catch (err) {
        if (err instanceof PlatformError && err.retryAfterMs !== undefined) {
          this.stats.rateLimited++;
          rateLimitedMs += err.retryAfterMs;
          budget?.pause(err.retryAfterMs);
          if (rateLimitedMs <= MAX_RATE_LIMIT_WAIT_MS) {
            if (part.ref === null) await sleep(err.retryAfterMs);
            continue;
          }
        }
        attempts++;
        this.log.warn({ err, part: index, state, attempt: attempts }, "chat message update failed");
        if (!isFinal || attempts >= FINAL_ATTEMPTS || (part.ref === null && attempts >= 2)) {
          if (isFinal) this.stats.delivered = false;
          // Remember the failure so the loop does not spin on the same frame.
          part.sent = text;
          part.sentState = state;
          if (part.ref === null && !isFinal) throw err;
          return;
        }
        await sleep(FINAL_RETRY_BASE_MS * 2 ** (attempts - 1));
      }
    }
  }

  /** The budget an edit of `ref` draws on: the sink's choice, by default its scope budget. */
  private budgetFor(ref: string, final: boolean): EditBudgetChoice | null {
    if (this.sink.editBudget) return this.sink.editBudget(ref, final);
    if (this.defaultChoice) return this.defaultChoice;
    const limits = this.sink.limits;
    this.defaultChoice = {
      window: {
        scope: limits.scope,
        name: "edits",
        limit: limits.scopeEdits,
        windowMs: limits.windowMs,
        ...(limits.local ? { local: true } : {}),
      },
      minEditIntervalMs: limits.minEditIntervalMs,
    };
    return this.defaultChoice;
  }

  /** Wait `ms` for a frame's turn; false (at once) when the answer finishes meanwhile. */
  private frameWait(ms: number): Promise<boolean> {
    if (this.finalState) return Promise.resolve(false);
    return new Promise((resolve) => {
      this.frameResolve = resolve;
      this.frameTimer = setTimeout(this.frameDue, ms);
    });
  }

  /** End a frame's wait: `go` when its time came, false when the answer finished first. */
  private endFrameWait(go: boolean): void {
    const resolve = this.frameResolve;
    if (!resolve) return;
    this.frameResolve = null;
    clearTimeout(this.frameTimer);
    this.frameTimer = undefined;
    resolve(go);
  }

  private finishSignal(): AbortSignal {
    if (!this.finishing) {
      this.finishing = new AbortController();
      if (this.finalState) this.finishing.abort(FINISHED);
    }
    return this.finishing.signal;
  }

  /** The current text of part `index`, if it is still the last (growing) part. */
  private latestFor(index: number): string | undefined {
    if (this.text.length <= this.sink.limits.maxChars)
      return index === 0 && this.hasText ? this.text : undefined;
    const texts = splitMarkdown(this.text, this.sink.limits.maxChars);
    return index === texts.length - 1 ? texts[index] : undefined;
  }
}

/** True when `p` resolved, false when it was aborted. */
async function settle(p: Promise<void>): Promise<boolean> {
  try {
    await p;
    return true;
  } catch {
    return false;
  }
}
