/**
 * `/summarize` under the policy file (docs/policy.md): a summary sends a conversation's messages
 * to the model, so it is allowed only where the bot may answer. A channel the file denies (or an
 * admin switched off) is often one whose messages must not leave the chat (HR, legal, incidents);
 * "the bot answers there at all" covers reading it for a summary. The DM and follow-up modes do
 * not apply: the person ran the command on purpose. `/assistant` and `/forget` stay available.
 */
import type { ReplyPlace, ReplyRules } from "../core/policy/replies.js";
import type { Logger } from "../log.js";

export const SUMMARIZE_OFF =
  "The assistant is switched off in this conversation, so it does not read or summarize it.";

/** Whether `/summarize` may read this conversation; true without a policy (no ReplyRules). */
export async function maySummarize(
  replies: ReplyRules | undefined,
  place: ReplyPlace,
  log: Logger,
): Promise<boolean> {
  if (!replies) return true;
  // As an explicit request to the bot: a mention, not a follow-up. DMs stay under `dms`.
  const decision = await replies.decide(place, { mentioned: true, followup: false });
  if (decision.answer) return true;
  log.info(
    { platform: place.platform, channelId: place.channelId, userId: place.userId, reason: decision.reason },
    "/summarize refused by the policy",
  );
  return false;
}
