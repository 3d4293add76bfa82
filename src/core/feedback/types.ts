/**
 * What a rating is about: one answered turn, as the asker saw it, plus the rating itself.
 * Stored as JSON (see record-schema.ts) and exported as JSON Lines (docs/feedback.md).
 */
import type { ConversationRef, Platform } from "../types.js";

export type Rating = "up" | "down";

/** One tool the model ran during the turn, with what the tool answered (as the model read it). */
export interface RatedToolCall {
  name: string;
  /** The raw JSON arguments the model wrote. */
  arguments: string;
  /** The tool's result; null when the turn ended before it came back. */
  result: string | null;
}

/** An answered turn that its asker may rate. */
export interface RateableTurn {
  /** `platform:messageId` of the question (see `turnIdOf`). */
  turnId: string;
  platform: Platform;
  conversation: ConversationRef;
  /** The asker (`userKeyOf`): only they can rate, and `/forget` finds the record by it. */
  userKey: string;
  question: string;
  /** The final text shown, notices and source lists included. */
  answer: string;
  toolCalls: RatedToolCall[];
  model: string;
  tokens: { input: number; output: number };
  /** Epoch ms when the answer finished. */
  answeredAt: number;
}

export interface FeedbackRecord extends RateableTurn {
  rating: Rating;
  /** Optional words the asker gave with a thumbs-down. */
  reason?: string | undefined;
  /** Epoch ms of the latest click (a second click changes the rating and this time). */
  ratedAt: number;
}

/** Longest reason kept: a modal's text input is capped the same (Slack and Discord allow 4000). */
export const MAX_REASON_CHARS = 1000;
