/**
 * Acknowledgements first, then the work the events start. Slack redelivers an event that is not
 * acknowledged within 3 s, and starting a turn (admission, history, the first Slack and model
 * requests) is a couple of milliseconds of CPU: 300 mentions arriving together would have their
 * starts run between the acks still to be written.
 *
 * So the receiver counts the requests it is acknowledging, and started work waits until none has
 * been pending for QUIET_MS (the burst is over), or MAX_START_DELAY_MS at most (a steady stream
 * of events cannot starve it). Waiting starts are bounded: beyond MAX_WAITING_STARTS the caller
 * is told to refuse with a notice. bench/slack-ack.ts measures the effect.
 */
import type { SlackApi } from "./api.js";

/**
 * Longest a start waits for the acks. A burst of 300 events is acked in well under a second on
 * an idle replica; a start held longer only makes the answer later.
 */
export const MAX_START_DELAY_MS = 1000;
/** A burst is over when no request has arrived for this long. */
export const QUIET_MS = 20;
/**
 * Starts let go per event-loop turn once the acks are out. A start is a millisecond or two of
 * CPU before its first store call: eight keep a new request's ack from waiting more than ~15 ms
 * behind them, and still start hundreds per second.
 */
export const START_SLICE = 8;
/** Starts waiting at most (a few seconds of start-up CPU): more would start after people gave up. */
export const MAX_WAITING_STARTS = 2000;

/** What someone hears when their message cannot even wait for a start. */
export const BUSY_NOTICE =
  "I'm answering a lot of questions right now and couldn't take yours. Please ask again in a minute.";

/** The person an event's work is for, and where to tell them. */
export interface Asker {
  channel: string;
  user: string;
  threadTs?: string | undefined;
  /**
   * A slash command's response_url: it reaches the asker in any conversation, also one the bot
   * is not a member of (where an ephemeral message cannot be posted).
   */
  responseUrl?: string | undefined;
}

/** How long the busy notice may take over a response_url. */
const RESPONSE_URL_TIMEOUT_MS = 10_000;

interface Waiter {
  go: () => void;
  counted: boolean;
}

export class AckFirst {
  private acking = 0;
  private waiting: Waiter[] = [];
  /** Released, and going START_SLICE per event-loop turn. */
  private releasing: Waiter[] = [];
  /** Waiting or releasing work that counts towards the limit (starts, not deferred events). */
  private counted = 0;
  private sliceQueued = false;
  private timer: NodeJS.Timeout | null = null;
  private quiet: NodeJS.Timeout | null = null;
  private readonly maxDelayMs: number;
  private readonly maxWaitingStarts: number;

  constructor(opts: { maxDelayMs?: number; maxWaitingStarts?: number } = {}) {
    this.maxDelayMs = opts.maxDelayMs ?? MAX_START_DELAY_MS;
    this.maxWaitingStarts = opts.maxWaitingStarts ?? MAX_WAITING_STARTS;
  }

  /** Starts waiting now (for the acks, or for their slice). */
  get size(): number {
    return this.counted;
  }

  /** A request is being read, verified and acknowledged. */
  enter(): void {
    this.acking++;
    if (this.quiet) clearTimeout(this.quiet);
    this.quiet = null;
  }

  /** Its ack is written (or it was refused). */
  leave(): void {
    this.acking = Math.max(0, this.acking - 1);
    if (this.acking === 0) this.releaseSoon();
  }

  /**
   * Resolves once no ack has been pending for QUIET_MS, or after the maximum delay; null when
   * too many starts are waiting already. `uncounted` work (an acknowledged event on its way to
   * its listener, which decides whether it starts anything) waits too but takes no start slot.
   */
  afterAcks(opts: { uncounted?: boolean } = {}): Promise<void> | null {
    const counted = !opts.uncounted;
    if (counted && this.counted >= this.maxWaitingStarts) return null;
    if (counted) this.counted++;
    const started = new Promise<void>((resolve) => this.waiting.push({ go: resolve, counted }));
    if (!this.timer) {
      this.timer = setTimeout(() => this.release(), this.maxDelayMs);
      this.timer.unref();
    }
    if (this.acking === 0) this.releaseSoon();
    return started;
  }

  /** Release once no request has come in for QUIET_MS: the burst is over. */
  private releaseSoon(): void {
    if (this.waiting.length === 0 || this.quiet) return;
    this.quiet = setTimeout(() => {
      this.quiet = null;
      if (this.acking === 0) this.release();
    }, QUIET_MS);
    this.quiet.unref();
  }

  /**
   * Let the waiting work go, START_SLICE at a time: between two slices the event loop reads the
   * sockets, so requests arriving meanwhile are acknowledged between slices, not after all of
   * the starts' CPU.
   */
  private release(): void {
    if (this.timer) clearTimeout(this.timer);
    if (this.quiet) clearTimeout(this.quiet);
    this.timer = null;
    this.quiet = null;
    this.releasing.push(...this.waiting);
    this.waiting = [];
    if (!this.sliceQueued) this.nextSlice();
  }

  private nextSlice(): void {
    this.sliceQueued = false;
    for (const waiter of this.releasing.splice(0, START_SLICE)) {
      if (waiter.counted) this.counted--;
      waiter.go();
    }
    if (this.releasing.length === 0) return;
    this.sliceQueued = true;
    setImmediate(() => this.nextSlice());
  }
}

/** Tell `asker`, privately, that their message was not taken. */
export async function tellBusy(api: SlackApi, asker: Asker): Promise<void> {
  if (asker.responseUrl) {
    const body = { response_type: "ephemeral", text: BUSY_NOTICE };
    if (await api.respond(asker.responseUrl, body, { timeoutMs: RESPONSE_URL_TIMEOUT_MS })) return;
  }
  await api.call("chat.postEphemeral", {
    channel: asker.channel,
    user: asker.user,
    ...(asker.threadTs ? { thread_ts: asker.threadTs } : {}),
    text: BUSY_NOTICE,
  });
}
