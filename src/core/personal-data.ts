/**
 * The privacy rule for tool results: personal data is only shown in private.
 *
 * In a private conversation (DM, assistant thread, web chat session) a result is used as is.
 * In a shared one (channel, channel thread) anyone may have written the instructions the model
 * follows, and anyone may later ask it to repeat what it saw. So a result holding personal data
 * (1) goes to the asker alone through the sink's private channel, (2) reaches the model only as
 * a placeholder that says it was sent privately, so injected instructions have nothing to echo,
 * and (3) is stored in the thread's history only as that placeholder. Results that older turns
 * stored before this rule existed are redacted the same way before a shared thread's history
 * reaches the model.
 */
import type { Logger } from "../log.js";
import type { MessageSink, PrivateDelivery, ToolResult, ToolRunner } from "./ports.js";
import type { Audience, HistoryEntry, StoredTurn, ToolCall } from "./types.js";

/** What happened to the personal results of one turn. */
export interface PrivateDeliveries {
  sent: PrivateDelivery[];
  failed: number;
}

const SENT_PRIVATELY = JSON.stringify({
  sent_privately: true,
  message:
    "This result holds personal data, so it was sent privately to the person who asked and is not shown in this shared conversation. Tell them it was sent to them privately. Do not guess, repeat or summarize any of its details, and do not look it up for anyone else here.",
});

const NOT_DELIVERED = JSON.stringify({
  error: "private_delivery_failed",
  message:
    "This result holds personal data and could not be sent privately to the person who asked, so it is not shown in this shared conversation. Tell them to ask again in a direct message with the assistant. Do not guess any details.",
});

/** Stored results of personal-data tools, as a shared thread's history shows them to the model. */
export const REDACTED_RESULT = JSON.stringify({
  redacted: true,
  message:
    "Personal data is not kept in a shared conversation. It was shown only to the person who asked. Do not guess or repeat it.",
});

/**
 * The content the model (and the history) gets for each result of a round. In a shared place,
 * personal results are delivered privately first, one after another in call order.
 */
export async function shieldPersonalResults(
  calls: ToolCall[],
  results: ToolResult[],
  place: { audience: Audience; sink: MessageSink; log: Logger },
  deliveries: PrivateDeliveries,
): Promise<string[]> {
  const contents: string[] = [];
  for (const [i, result] of results.entries()) {
    if (place.audience === "private" || !result.personal) {
      contents.push(result.content);
      continue;
    }
    const tool = calls[i]?.name ?? "unknown";
    const via = await deliverPrivately(place.sink, result.personal.text, tool, place.log);
    if (via) deliveries.sent.push(via);
    else deliveries.failed++;
    contents.push(via ? SENT_PRIVATELY : NOT_DELIVERED);
  }
  return contents;
}

async function deliverPrivately(
  sink: MessageSink,
  text: string,
  tool: string,
  log: Logger,
): Promise<PrivateDelivery | null> {
  if (!sink.sendPrivately) {
    log.warn({ tool }, "personal data withheld: this place has no private channel");
    return null;
  }
  try {
    const via = await sink.sendPrivately(text);
    log.info({ tool, via }, "personal data sent privately");
    return via;
  } catch (err) {
    log.warn({ err, tool }, "personal data withheld: private delivery failed");
    return null;
  }
}

/** A shared thread's history with every stored result of a personal-data tool replaced. */
export function redactPersonalHistory(history: StoredTurn[], tools: ToolRunner): StoredTurn[] {
  const personal = (e: HistoryEntry) => e.role === "tool" && (tools.holdsPersonalData?.(e.name) ?? false);
  return history.map((turn) => {
    if (!turn.entries.some(personal)) return turn;
    return {
      ...turn,
      entries: turn.entries.map((e) => (personal(e) ? { ...e, content: REDACTED_RESULT } : e)),
    };
  });
}
