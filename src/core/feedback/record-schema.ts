/**
 * Stored feedback JSON is checked on read, like history entries: a corrupt or foreign value is
 * dropped (and logged by the store), never a crash.
 */
import { z } from "zod";
import type { FeedbackRecord, RateableTurn } from "./types.js";

const turnShape = {
  turnId: z.string(),
  platform: z.enum(["slack", "discord", "web"]),
  conversation: z.object({
    platform: z.enum(["slack", "discord", "web"]),
    workspaceId: z.string(),
    channelId: z.string(),
    threadId: z.string(),
  }),
  userKey: z.string(),
  question: z.string(),
  answer: z.string(),
  toolCalls: z.array(z.object({ name: z.string(), arguments: z.string(), result: z.string().nullable() })),
  model: z.string(),
  tokens: z.object({ input: z.number(), output: z.number() }),
  answeredAt: z.number(),
};

const turnSchema = z.object(turnShape);
const recordSchema = z.object({
  ...turnShape,
  rating: z.enum(["up", "down"]),
  reason: z.string().optional(),
  ratedAt: z.number(),
});

function parse<T>(schema: z.ZodType<T>, raw: string | null): T | null {
  if (raw === null) return null;
  try {
    const parsed = schema.safeParse(JSON.parse(raw));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

export function parseTurn(raw: string | null): RateableTurn | null {
  return parse(turnSchema, raw);
}

export function parseRecord(raw: string | null): FeedbackRecord | null {
  return parse(recordSchema, raw);
}

/** The rating record a click makes from the remembered turn and any earlier rating. */
export function ratedRecord(
  turn: RateableTurn,
  earlier: FeedbackRecord | null,
  req: { rating: FeedbackRecord["rating"]; reason?: string | undefined; now: number },
): FeedbackRecord {
  const kept = earlier && earlier.rating === req.rating ? earlier.reason : undefined;
  const reason = req.reason !== undefined ? req.reason.trim() : kept;
  return {
    ...turn,
    rating: req.rating,
    ...(reason ? { reason } : {}),
    ratedAt: req.now,
  };
}
