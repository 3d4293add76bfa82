/**
 * Feedback on answers, as the adapters use it: the core remembers each finished answer
 * (`rememberTurn`), and a click on thumbs up / down or a submitted reason comes here (`rate`),
 * whatever the platform. Only the asker may rate; a second click changes the rating.
 *
 * How a turn's details reach its rating: a per-turn record written when the answer finishes,
 * not a read-back of the history at click time. The history cannot say which stored turn a
 * button belongs to (its turns carry no ids, and a capped history may have dropped it), and in
 * a shared thread other people's turns sit between. The record is written without waiting, so
 * the turn keeps its Redis round trips; it lives as long as the history does (HISTORY_TTL_S:
 * no copy of the conversation outlives the conversation unless it is rated), and a rating is
 * kept for FEEDBACK_TTL_DAYS.
 */
import type { Logger } from "../../log.js";
import type { Metrics } from "../../metrics.js";
import type { HistoryEntry, Platform } from "../types.js";
import type { FeedbackStore } from "./store.js";
import {
  type FeedbackRecord,
  MAX_REASON_CHARS,
  type RateableTurn,
  type RatedToolCall,
  type Rating,
} from "./types.js";

export interface FeedbackSettings {
  /** How long a rating is kept (FEEDBACK_TTL_DAYS). */
  ratingTtlMs: number;
  /** How long an unrated answer can still be rated: the history's lifetime (HISTORY_TTL_S), unless a policy sets another. */
  turnTtlMs: number;
}

export type RateOutcome =
  /** Someone other than the asker clicked. */
  | { kind: "not_asker" }
  /** Nothing to rate: the answer is older than the history's lifetime (or was never remembered). */
  | { kind: "unknown" }
  | { kind: "rated"; rating: Rating; changed: boolean };

export interface RateClick {
  platform: Platform;
  turnId: string;
  /** The asker's user key, as the button names them (`userKeyOf`). */
  askerKey: string;
  /** The user key of whoever clicked. */
  clickerKey: string;
  rating: Rating;
  /** A reason from the thumbs-down form; absent for a plain click. */
  reason?: string | undefined;
  /** Only a turn of this conversation thread may be rated (`RateRequest.threadId`). */
  threadId?: string | undefined;
}

export class Feedback {
  private readonly now: () => number;

  constructor(
    private readonly deps: {
      store: FeedbackStore;
      metrics: Metrics;
      log: Logger;
      settings: FeedbackSettings;
      now?: () => number;
    },
  ) {
    this.now = deps.now ?? Date.now;
  }

  /**
   * Remember a finished answer so its asker can rate it, for as long as its conversation's history
   * is kept (`ttlMs`: the place's retention; default `turnTtlMs`). Never throws, never waits.
   */
  rememberTurn(turn: RateableTurn, ttlMs = this.deps.settings.turnTtlMs): void {
    this.deps.store.rememberTurn(turn, ttlMs).catch((err: unknown) => {
      // The answer stands; only its buttons will say it can no longer be rated.
      this.deps.log.warn({ err, turnId: turn.turnId }, "could not remember the answer for feedback");
    });
  }

  async rate(click: RateClick): Promise<RateOutcome> {
    const log = this.deps.log.child({ turnId: click.turnId, platform: click.platform });
    if (click.askerKey !== click.clickerKey) {
      log.info({ rating: click.rating }, "feedback refused: not the asker");
      return { kind: "not_asker" };
    }
    const reason = click.reason?.slice(0, MAX_REASON_CHARS);
    const result = await this.deps.store.rate({
      userKey: click.askerKey,
      turnId: click.turnId,
      rating: click.rating,
      ...(reason !== undefined ? { reason } : {}),
      ...(click.threadId !== undefined ? { threadId: click.threadId } : {}),
      now: this.now(),
      ttlMs: this.deps.settings.ratingTtlMs,
    });
    if (!result) {
      log.info({ rating: click.rating }, "feedback for an answer no longer kept");
      return { kind: "unknown" };
    }
    const changed = result.previous !== click.rating;
    // Counted once per rating given: a repeated click or a reason for the same thumbs-down is not
    // a new rating, a changed one counts under its new value.
    if (changed) this.deps.metrics.feedback.inc({ platform: click.platform, rating: click.rating });
    log.info(
      { rating: click.rating, previous: result.previous, reasonChars: result.record.reason?.length ?? 0 },
      "feedback recorded",
    );
    log.debug({ reason: result.record.reason }, "feedback reason");
    return { kind: "rated", rating: click.rating, changed };
  }

  /** The person's rating of a turn (for "Talk to a person": which conversation, and why). */
  find(userKey: string, turnId: string): Promise<FeedbackRecord | null> {
    return this.deps.store.get(userKey, turnId);
  }
}

/** The tool calls of a turn's history entries, each with its result. */
export function toolCallsOf(entries: HistoryEntry[]): RatedToolCall[] {
  const results = new Map<string, string>();
  for (const e of entries) if (e.role === "tool") results.set(e.toolCallId, e.content);
  const calls: RatedToolCall[] = [];
  for (const e of entries) {
    if (e.role !== "assistant" || !e.toolCalls) continue;
    for (const c of e.toolCalls) {
      calls.push({ name: c.name, arguments: c.arguments, result: results.get(c.id) ?? null });
    }
  }
  return calls;
}
