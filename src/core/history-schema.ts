import { z } from "zod";
import type { StoredTurn } from "./types.js";

/** Stored turns come back from Redis as text: every one is checked before the model sees it. */
const toolCall = z.object({ id: z.string().min(1), name: z.string().min(1), arguments: z.string() });

const entry = z.discriminatedUnion("role", [
  z.object({ role: z.literal("user"), content: z.string(), name: z.string().optional() }),
  z.object({
    role: z.literal("assistant"),
    content: z.string().nullable(),
    toolCalls: z.array(toolCall).optional(),
  }),
  z.object({ role: z.literal("tool"), toolCallId: z.string().min(1), name: z.string(), content: z.string() }),
]);

export const storedTurnSchema = z.object({
  at: z.number().int().nonnegative(),
  entries: z.array(entry).min(1),
  tokens: z.number().int().nonnegative().optional(),
  author: z.string().min(1).optional(),
});

export type ParsedTurn = { ok: true; turn: StoredTurn } | { ok: false; error: string };

/** Parse one stored turn; a corrupt one is reported, never thrown. */
export function parseStoredTurn(raw: string): ParsedTurn {
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    return { ok: false, error: "not JSON" };
  }
  const result = storedTurnSchema.safeParse(json);
  if (!result.success) return { ok: false, error: z.prettifyError(result.error) };
  return { ok: true, turn: result.data };
}
