/**
 * The Stop button under a growing answer. Its value names the turn and the person who asked;
 * only that person may stop it. The click may reach any replica: if the answer is not running
 * here, the request is left in the shared store and the replica running it sees it at its next
 * edit (SlackAnswerSink's `stopRequested`).
 */
import type { Conversation } from "../../core/conversation.js";
import type { KeyValueStore } from "../../core/ports.js";
import type { SlackApi } from "./api.js";
import { trustedMention } from "./outgoing.js";

/** A Stop pressed on another replica is looked for this long (longer than any answer runs). */
const STOP_REQUEST_TTL_MS = 10 * 60_000;

export function stopButtonValue(turnId: string, askerId: string): string {
  return JSON.stringify({ t: turnId, u: askerId });
}

export function stopRequestKey(turnId: string): string {
  return `slack:stop:${turnId}`;
}

export async function handleStopClick(
  click: { value: string; clicker: string; channel: string | undefined },
  deps: { api: SlackApi; conversation: Conversation; kv: KeyValueStore },
): Promise<void> {
  let target: { t?: unknown; u?: unknown };
  try {
    target = JSON.parse(click.value) as { t?: unknown; u?: unknown };
  } catch {
    return;
  }
  if (typeof target.t !== "string") return;
  if (typeof target.u === "string" && target.u !== click.clicker) {
    if (click.channel) {
      await deps.api
        .call("chat.postEphemeral", {
          channel: click.channel,
          user: click.clicker,
          text: `Only ${trustedMention(target.u)} can stop this answer.`,
        })
        .catch(() => {});
    }
    return;
  }
  if (deps.conversation.cancel(target.t)) return;
  await deps.kv.set(stopRequestKey(target.t), "1", STOP_REQUEST_TTL_MS);
}
