/** The record of a finished answer that its asker may rate, built from the turn's parts. */
import { type HistoryEntry, type IncomingMessage, userKeyOf } from "../types.js";
import { toolCallsOf } from "./feedback.js";
import type { RateableTurn } from "./types.js";

export function rateableTurn(t: {
  turnId: string;
  msg: IncomingMessage;
  question: string;
  /** The final text shown. */
  answer: string;
  /** The turn's history entries: tool results here are what the model read (placeholders for personal data in shared threads). */
  entries: HistoryEntry[];
  usage: { inputTokens: number; outputTokens: number };
  model: string;
  at: number;
}): RateableTurn {
  const { msg } = t;
  return {
    turnId: t.turnId,
    platform: msg.platform,
    conversation: {
      platform: msg.platform,
      workspaceId: msg.workspaceId,
      channelId: msg.channelId,
      threadId: msg.threadId,
    },
    userKey: userKeyOf(msg),
    question: t.question,
    answer: t.answer,
    toolCalls: toolCallsOf(t.entries),
    model: t.model,
    tokens: { input: t.usage.inputTokens, output: t.usage.outputTokens },
    answeredAt: t.at,
  };
}
