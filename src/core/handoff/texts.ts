/** What the customer and the team read about a hand-off. Kept together so they read as prose. */
import type { HandoffRecord } from "./record.js";

export const HANDOFF_TEXT = {
  requested:
    "I've asked a person from our support team to take over. They will answer right here; until " +
    "then I'll pass on everything you write.",
  alreadyOpen: "A person from our support team already has this conversation and will answer right here.",
  claimed: (name: string) => `${name} from the support team has joined and will answer you here.`,
  returned: (name: string) =>
    `${name} from the support team handed the conversation back to me. Ask me anything!`,
  /** The team channel could not be posted to while a person had the conversation. */
  teamUnreachable:
    "I couldn't reach our support team just now, so I'll answer you myself. You can ask for a " +
    "person again later.",
  /** In the team thread when a message could not be posted into the customer's conversation. */
  undelivered:
    "_Could not deliver that to the customer: their conversation no longer takes the bot's " +
    "messages (they left, or the bot was removed). They have not seen it._",
  tooSoon:
    "You asked for a person from our support team a moment ago. If nobody has answered you " +
    "there yet, please ask again in a minute.",
  /** To the customer when a hand-off reached HANDOFF_TTL_S without being returned. */
  expired:
    "Nobody from our support team picked this up in time, so I'm back to help. Ask me anything, " +
    "or ask for a person again later.",
  /** In the team thread when the hand-off expired. */
  expiredTeam:
    "_This hand-off expired and went back to the assistant: replies here no longer reach the customer._",
  /** In the team thread when someone replies after the hand-off was returned. */
  replyAfterReturn:
    "_This hand-off was returned to the assistant: replies here no longer reach the customer._",
  /** A team member's reply as the customer sees it. */
  teamReply: (name: string, text: string) => `**${name}** (support team): ${text}`,
  /** In the team thread when the customer asked before saying anything else. */
  noSummary: "_No earlier conversation: the customer asked for a person straight away._",
  /** The command a team member can reply with to hand the conversation back. */
  doneCommand: "done",
};

/** Where the conversation is, for the team ("Slack DM", "Discord #help", "web chat"). */
export function placeOf(rec: Pick<HandoffRecord, "conversation">): string {
  const c = rec.conversation;
  if (c.platform === "web") return "web chat";
  const where = c.platform === "slack" ? "Slack" : "Discord";
  return `${where} ${c.channelId}${c.threadId !== c.channelId ? ` (thread ${c.threadId})` : ""}`;
}

export function statusLine(rec: HandoffRecord): string {
  if (rec.status === "claimed") return `Claimed by ${rec.claimedBy ?? "someone"}.`;
  if (rec.status === "closed") return `Returned to the assistant by ${rec.closedBy ?? "someone"}.`;
  return `Waiting for a person: press Claim, or reply in this thread. Reply \`${HANDOFF_TEXT.doneCommand}\` or press Return to hand it back.`;
}
