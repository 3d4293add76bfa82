/**
 * Slack events -> the core's IncomingMessage. Pure functions: which posts the bot answers, in
 * which thread, under which ids.
 *
 * - A channel post mentioning the bot arrives twice (`app_mention` and `message`); both map to
 *   the same message (messageId = the post's ts), so the core's dedup answers it once. A redelivery
 *   has the same ts too.
 * - The conversation of a mention is the thread under it: threadId = thread_ts ?? ts.
 * - A thread reply without a mention continues the conversation when follow-ups are "any" and
 *   the bot is already in that thread (the caller checks that).
 * - DMs: one conversation per DM channel for top-level messages, one per thread for threads
 *   (Slack's assistant panel is a thread per conversation).
 */
import { z } from "zod";
import type { IncomingMessage } from "../../core/types.js";
import { slackFileSchema } from "./files.js";

export const messageEventSchema = z.looseObject({
  type: z.enum(["message", "app_mention"]),
  channel: z.string(),
  ts: z.string(),
  user: z.string().optional(),
  text: z.string().optional(),
  thread_ts: z.string().optional(),
  channel_type: z.string().optional(),
  subtype: z.string().optional(),
  bot_id: z.string().optional(),
  team: z.string().optional(),
  /** Files shared with the message (`file_share`, or on an `app_mention`). */
  files: z.array(slackFileSchema).optional(),
});
export type SlackMessageEvent = z.infer<typeof messageEventSchema>;

export const assistantThreadSchema = z.looseObject({
  assistant_thread: z.looseObject({
    user_id: z.string(),
    channel_id: z.string(),
    thread_ts: z.string(),
  }),
});

/** Message subtypes that are a person writing; edits, joins, bot posts and the like are not. */
const ANSWERABLE_SUBTYPES = new Set(["thread_broadcast", "file_share", "me_message"]);
/** threadId of the top-level conversation in a DM channel. */
export const DM_MAIN_THREAD = "dm";

export type Route =
  | {
      action: "answer";
      msg: IncomingMessage;
      /** Where the answer goes. */
      reply: { channel: string; threadTs?: string | undefined };
      /** A thread reply without a mention: answer only if the bot is already in that thread. */
      needsFollowupCheck: boolean;
    }
  | { action: "ignore"; reason: string };

export interface BotIdentity {
  teamId: string;
  botUserId: string;
  botId?: string | undefined;
}

/**
 * `teamId` and `enterpriseId` come from the event envelope. Per-user limits key on the enterprise
 * (Enterprise Grid: one user id in every workspace of the org) or else the team.
 */
export function routeMessage(
  ev: SlackMessageEvent,
  bot: BotIdentity,
  teamId?: string,
  enterpriseId?: string,
): Route {
  if (ev.bot_id || !ev.user) return { action: "ignore", reason: "bot or system message" };
  if (ev.user === bot.botUserId || (bot.botId && ev.bot_id === bot.botId))
    return { action: "ignore", reason: "own message" };
  if (ev.subtype && !ANSWERABLE_SUBTYPES.has(ev.subtype))
    return { action: "ignore", reason: `subtype ${ev.subtype}` };
  const workspaceId = teamId ?? ev.team ?? bot.teamId;
  const text = stripMention(ev.text ?? "", bot.botUserId);
  const base = {
    platform: "slack" as const,
    workspaceId,
    channelId: ev.channel,
    userId: ev.user,
    userScope: enterpriseId ?? workspaceId,
    messageId: ev.ts,
    text,
  };

  const isDm =
    ev.channel_type === "im" || (ev.type === "message" && ev.channel.startsWith("D") && !ev.channel_type);
  if (isDm) {
    return {
      action: "answer",
      // A DM (top level or assistant thread) is read by this user alone.
      msg: { ...base, threadId: ev.thread_ts ?? DM_MAIN_THREAD, kind: "dm", audience: "private" },
      reply: { channel: ev.channel, threadTs: ev.thread_ts },
      needsFollowupCheck: false,
    };
  }
  const mentioned = ev.type === "app_mention" || mentions(ev.text ?? "", bot.botUserId);
  const threadTs = ev.thread_ts ?? ev.ts;
  if (mentioned) {
    return {
      action: "answer",
      msg: { ...base, threadId: threadTs, kind: "mention", audience: "shared" },
      reply: { channel: ev.channel, threadTs },
      needsFollowupCheck: false,
    };
  }
  if (ev.thread_ts && ev.thread_ts !== ev.ts) {
    return {
      action: "answer",
      msg: { ...base, threadId: ev.thread_ts, kind: "mention", audience: "shared" },
      reply: { channel: ev.channel, threadTs: ev.thread_ts },
      needsFollowupCheck: true,
    };
  }
  return { action: "ignore", reason: "channel message without a mention" };
}

export function mentions(text: string, botUserId: string): boolean {
  return new RegExp(`<@${botUserId}(\\|[^>]*)?>`).test(text);
}

/** The bot's own mention is addressing, not content: "<@U0BOT> where is my order" -> "where is my order". */
export function stripMention(text: string, botUserId: string): string {
  return text
    .replace(new RegExp(`<@${botUserId}(\\|[^>]*)?>[,:]?`, "g"), " ")
    .replace(/[ \t]{2,}/g, " ")
    .trim();
}

/** Key under which "the bot takes part in this channel thread" is remembered. */
export function botThreadKey(teamId: string, channel: string, threadTs: string): string {
  return `slack:bot-thread:${teamId}:${channel}:${threadTs}`;
}

/** Key under which an assistant-panel thread is remembered (value: "new" until titled). */
export function assistantThreadKey(teamId: string, channel: string, threadTs: string): string {
  return `slack:assistant-thread:${teamId}:${channel}:${threadTs}`;
}
