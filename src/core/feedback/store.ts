/**
 * The feedback port: where answered turns wait to be rated and where ratings are kept. The memory
 * and Redis stores implement it (store/memory/feedback.ts, store/redis/feedback.ts); the shared
 * store contract suite runs on both.
 *
 * Every record of one person sits under their user key with a per-user index, so `forgetUser`
 * deletes them without scanning the store (PersonalRecords, docs/privacy.md).
 */
import type { PersonalRecords } from "../ports.js";
import type { WorkspaceRecords } from "../workspace-records.js";
import type { FeedbackRecord, RateableTurn, Rating } from "./types.js";

export interface RateRequest {
  userKey: string;
  turnId: string;
  rating: Rating;
  /**
   * Set: the reason given (an empty string clears it). Absent: a reason given earlier is kept
   * while the rating stays the same and dropped when the rating changes.
   */
  reason?: string | undefined;
  /**
   * Set: rate only a turn of this conversation thread (the web chat's session), else nothing to
   * rate. Where one person key covers several conversations (every web chat session from one
   * address), a turn id from another conversation is not this one's to rate.
   */
  threadId?: string | undefined;
  /** Epoch ms of the click. */
  now: number;
  /** How long the rating is kept from now (FEEDBACK_TTL_DAYS). */
  ttlMs: number;
}

export interface RateResult {
  record: FeedbackRecord;
  /** The rating before this click, null for the first one. */
  previous: FeedbackRecord["rating"] | null;
}

/**
 * Records are also indexed by their conversation's workspace (`workspaceKeyOf`), written in the
 * same round trip as the record, so an uninstall deletes them without a scan.
 */
export interface FeedbackStore extends PersonalRecords, WorkspaceRecords {
  /**
   * Keep an answered turn for `ttlMs` so its asker can rate it. One round trip; the turn does
   * not wait for it.
   */
  rememberTurn(turn: RateableTurn, ttlMs: number): Promise<void>;
  /**
   * Rate (or re-rate) a remembered turn of `userKey`. Null when there is no such turn (never
   * answered for this person, or older than the history's lifetime and never rated).
   */
  rate(req: RateRequest): Promise<RateResult | null>;
  /** The person's rating of a turn, if any. */
  get(userKey: string, turnId: string): Promise<FeedbackRecord | null>;
  /** Every rating still kept, oldest rating first (for `npm run feedback:export`). */
  all(): AsyncIterable<FeedbackRecord>;
}
