/** What a hand-off reads and writes as conversation: the summary's transcript, and the history a Return saves. */
import type { HistoryEntry, TranscriptLine } from "../types.js";
import type { HandoffRecord, RelayedLine } from "./record.js";

/** The conversation as the summary reads it: what the customer and the assistant said. */
export function transcriptOf(entries: HistoryEntry[], rec: HandoffRecord, botName: string): TranscriptLine[] {
  const lines: TranscriptLine[] = [];
  for (const e of entries) {
    if (e.role === "user")
      lines.push({ author: e.name ?? rec.userName ?? "Customer", text: e.content, at: rec.openedAt });
    else if (e.role === "assistant" && e.content)
      lines.push({ author: botName, text: e.content, at: rec.openedAt });
  }
  return lines;
}

/** What was said while the team had it, as history: customer lines as the user, team lines as the assistant's side. */
export function historyOf(lines: RelayedLine[]): HistoryEntry[] {
  return lines.map((l) =>
    l.from === "customer"
      ? { role: "user", content: l.text }
      : {
          role: "assistant",
          content: `[${l.name ?? "Support team"}, a person from the support team, wrote:] ${l.text}`,
        },
  );
}
