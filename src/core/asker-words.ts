/**
 * What the asker of a turn wrote themselves: this message and their own earlier messages in the
 * thread (turns whose `author` is them). In a shared thread anyone may have written the text the
 * model follows; a tool that spends the asker's allowance (order lookups) acts only on details
 * found here, so a message planted by someone else cannot spend another person's allowance.
 */
import type { StoredTurn } from "./types.js";

export function askerWords(history: readonly StoredTurn[], askerKey: string, text: string): string {
  const earlier = history
    .filter((turn) => turn.author === askerKey)
    .flatMap((turn) => turn.entries.flatMap((e) => (e.role === "user" ? [e.content] : [])));
  return [...earlier, text].join("\n");
}
