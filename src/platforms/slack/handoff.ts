/**
 * Slack's side of hand-offs (docs/handoff.md):
 * - the poster: writes into a customer's Slack conversation outside a turn (a DM, an assistant
 *   thread, a channel thread), and links to it with chat.getPermalink;
 * - the team desk: the hand-off announcement in HANDOFF_SLACK_CHANNEL (with Claim and Return
 *   buttons), the customer's messages copied into its thread, the status shown on it;
 * - which channel messages are team replies: a person's reply in a thread of the team channel.
 * Every call goes through the adapter's SlackApi (rate limits, retries, errors).
 */
import type { ConversationPoster, TeamDesk } from "../../core/handoff/ports.js";
import type { HandoffRecord, TeamThreadRef } from "../../core/handoff/record.js";
import { placeOf, statusLine } from "../../core/handoff/texts.js";
import type { MessageSink } from "../../core/ports.js";
import type { ConversationRef } from "../../core/types.js";
import type { SlackApi } from "./api.js";
import { DM_MAIN_THREAD, type SlackMessageEvent } from "./events.js";
import { type ButtonSpec, renderMessage } from "./render.js";

export const HANDOFF_CLAIM_ACTION_ID = "handoff_claim";
export const HANDOFF_RETURN_ACTION_ID = "handoff_return";

/**
 * Hand-off messages wait out Slack's rate limits rather than get lost: a relayed message that
 * arrives 20 seconds late is still worth more than none (Slack's posting limit is ~1/s per channel).
 */
const POST_MAX_WAIT_MS = 20_000;

export function patiently<T = Record<string, unknown>>(
  api: SlackApi,
  method: string,
  args: Record<string, unknown>,
): Promise<T> {
  return api.callPatiently<T>(method, args, { maxWaitMs: POST_MAX_WAIT_MS });
}

/** The thread a message to this conversation goes in: none for a DM's top level. */
function threadOf(conv: ConversationRef): string | undefined {
  return conv.threadId === DM_MAIN_THREAD ? undefined : conv.threadId;
}

export class SlackConversationPoster implements ConversationPoster {
  readonly platform = "slack" as const;

  /** The Web API of a conversation's workspace (its own token in OAuth mode). */
  constructor(private readonly apiFor: (workspaceId: string) => Promise<SlackApi>) {}

  async post(conv: ConversationRef, text: string): Promise<void> {
    const thread = threadOf(conv);
    await patiently(await this.apiFor(conv.workspaceId), "chat.postMessage", {
      channel: conv.channelId,
      ...(thread ? { thread_ts: thread } : {}),
      ...renderMessage(text),
    });
  }

  /** Channel threads only: a DM's permalink opens for nobody but the customer. */
  async link(conv: ConversationRef): Promise<string | undefined> {
    const thread = threadOf(conv);
    if (!thread || conv.channelId.startsWith("D")) return undefined;
    const res = await patiently<{ permalink?: string }>(
      await this.apiFor(conv.workspaceId),
      "chat.getPermalink",
      {
        channel: conv.channelId,
        message_ts: thread,
      },
    );
    return res.permalink;
  }
}

/** The announcement's text: who, where, why, the link, and what to do now. */
export function announcementText(rec: HandoffRecord): string {
  const link = rec.link;
  return [
    `**Hand-off: ${rec.userName ?? "a customer"} would like to talk to a person**`,
    `- **Where:** ${link ? `[${placeOf(rec)}](${link})` : placeOf(rec)}`,
    `- **Reason:** ${rec.reason}`,
    `- **Asked by:** ${rec.trigger === "tool" ? "the assistant" : rec.trigger === "button" ? "the customer (button)" : "the customer (/handoff)"}`,
    "",
    statusLine(rec),
  ].join("\n");
}

function buttonsFor(rec: HandoffRecord): ButtonSpec[] {
  if (rec.status === "closed") return [];
  const ret: ButtonSpec = { actionId: HANDOFF_RETURN_ACTION_ID, label: "Return to assistant", value: rec.id };
  return rec.status === "open"
    ? [{ actionId: HANDOFF_CLAIM_ACTION_ID, label: "Claim", value: rec.id, style: "primary" }, ret]
    : [ret];
}

export class SlackTeamDesk implements TeamDesk {
  readonly platform = "slack" as const;
  constructor(
    private readonly deps: {
      /** The Web API of the team channel's workspace. */
      api: () => Promise<SlackApi>;
      channel: string;
      /** A streaming sink replying in a team thread (the adapter's answer sink). */
      threadSink: (rec: HandoffRecord, team: TeamThreadRef) => Promise<MessageSink>;
    },
  ) {}

  async announce(rec: HandoffRecord): Promise<TeamThreadRef> {
    const res = await patiently<{ ts?: string }>(await this.deps.api(), "chat.postMessage", {
      channel: this.deps.channel,
      ...renderMessage(announcementText(rec), buttonsFor(rec)),
      unfurl_links: false,
    });
    if (!res.ts) throw new Error("chat.postMessage returned no ts for the hand-off announcement");
    return { platform: "slack", channelId: this.deps.channel, threadId: res.ts, messageId: res.ts };
  }

  summarySink(rec: HandoffRecord, team: TeamThreadRef): Promise<MessageSink> {
    return this.deps.threadSink(rec, team);
  }

  async note(team: TeamThreadRef, text: string): Promise<void> {
    await patiently(await this.deps.api(), "chat.postMessage", {
      channel: team.channelId,
      thread_ts: team.threadId,
      ...renderMessage(text),
    });
  }

  async relay(team: TeamThreadRef, author: string, text: string): Promise<void> {
    await patiently(await this.deps.api(), "chat.postMessage", {
      channel: team.channelId,
      thread_ts: team.threadId,
      ...renderMessage(`**${author}** (customer): ${text}`),
    });
  }

  async update(rec: HandoffRecord): Promise<void> {
    if (!rec.team) return;
    await patiently(await this.deps.api(), "chat.update", {
      channel: rec.team.channelId,
      ts: rec.team.messageId,
      ...renderMessage(announcementText(rec), buttonsFor(rec)),
    });
  }
}

/** A person's reply in a thread of the team channel (not the bot's own posts, edits or joins). */
export function isTeamReply(ev: SlackMessageEvent, teamChannel: string | undefined): boolean {
  return (
    teamChannel !== undefined &&
    ev.type === "message" &&
    ev.channel === teamChannel &&
    ev.thread_ts !== undefined &&
    ev.thread_ts !== ev.ts &&
    !ev.bot_id &&
    ev.user !== undefined &&
    (ev.subtype === undefined || ev.subtype === "thread_broadcast")
  );
}
