/**
 * Which Discord messages the bot answers, and as which conversation. One function, read top to
 * bottom: drop bots and system messages; DMs are always answered; in servers the bot answers an
 * @mention, every message in a thread it opened, and a reply to one of its own messages.
 *
 * Conversation ids (`threadId` of IncomingMessage):
 * - thread mode: a mention in a channel opens a thread on that message. Discord gives a thread
 *   started from a message the message's id, so the conversation id is known before the thread
 *   exists (it is only created once the core has accepted the turn: a redelivered duplicate
 *   never opens a second thread). Later messages in the thread carry the thread's id: the same.
 * - inline mode: the bot replies under the mention; the conversation id is the id of the first
 *   message of the reply chain. Every bot message remembers that root in the key-value store, so
 *   replying to any of them continues the conversation.
 * - DMs: the DM channel is the conversation.
 *
 * No `userScope`: Discord user ids are global, so a person's per-user limits (throttle, token
 * budget, order-lookup failures) are the same in every guild and in DMs.
 */
import { ChannelType, type Message, MessageType } from "discord.js";
import type { IncomingMessage } from "../../core/types.js";
import type { ChannelTarget } from "./sink.js";

export type ReplyMode = "thread" | "inline";

export type Decision =
  | { kind: "ignore"; reason: string }
  | { kind: "answer"; incoming: IncomingMessage; target: ChannelTarget };

export interface ReceiveContext {
  botId: string;
  mode: ReplyMode;
  /** The conversation root a bot message belongs to (inline mode), if remembered. */
  rootOf(botMessageId: string): Promise<string | null>;
  /** Owner of a thread the cache does not know (after a restart, an unarchived thread). */
  threadOwner(threadId: string): Promise<string | null>;
}

/** Workspace id of direct messages (they belong to no guild). */
export const DM_WORKSPACE = "@dm";
/** Discord's limit for a thread name (docs, "Start Thread from Message"). */
const THREAD_NAME_MAX_CHARS = 100;

export async function routeMessage(message: Message, ctx: ReceiveContext): Promise<Decision> {
  if (message.author.id === ctx.botId) return ignore("own message");
  if (message.author.bot || message.webhookId) return ignore("bot or webhook");
  if (message.type !== MessageType.Default && message.type !== MessageType.Reply)
    return ignore("system message");

  const base = {
    platform: "discord" as const,
    userId: message.author.id,
    messageId: message.id,
    text: cleanText(message, ctx.botId),
    userName: message.member?.displayName ?? message.author.displayName,
  };

  if (!message.inGuild()) {
    const channelId = message.channelId;
    return answer(
      { ...base, workspaceId: DM_WORKSPACE, channelId, threadId: channelId, kind: "dm", audience: "private" },
      { kind: "channel", channelId, sourceMessageId: message.id, replyToSource: false, rootId: null },
    );
  }

  const guild = {
    ...base,
    workspaceId: message.guildId,
    kind: "mention" as const,
    audience: "shared" as const,
  };
  const mentioned = mentionsBot(message, ctx.botId);
  const repliedTo = message.mentions.repliedUser?.id === ctx.botId ? message.reference?.messageId : undefined;
  const channel = message.channel;
  const thread = channel.isThread() ? channel : null;

  // A thread the bot opened: every message in it (replies too) continues that conversation.
  if (thread) {
    const owner = thread.ownerId ?? (await ctx.threadOwner(thread.id));
    if (owner === ctx.botId) {
      return answer(
        { ...guild, channelId: thread.parentId ?? thread.id, threadId: thread.id },
        {
          kind: "channel",
          channelId: thread.id,
          sourceMessageId: message.id,
          replyToSource: false,
          rootId: null,
        },
      );
    }
  }

  // A reply to one of the bot's messages: continue that message's conversation, inline.
  if (repliedTo) {
    const root = (await ctx.rootOf(repliedTo)) ?? fallbackRoot(message, repliedTo);
    return inline(guild, message.channelId, message.id, root);
  }

  if (!mentioned) return ignore("not addressed to the bot");

  if (ctx.mode === "inline" || thread || !canHoldThreads(channel.type)) {
    return inline(guild, message.channelId, message.id, message.id);
  }
  return answer(
    { ...guild, channelId: message.channelId, threadId: message.id },
    {
      kind: "new-thread",
      channelId: message.channelId,
      sourceMessageId: message.id,
      replyToSource: false,
      rootId: null,
      // A question that is only a file is named after the file.
      threadName: threadName(base.text || message.attachments.map((a) => a.name).join(", "), base.userName),
    },
  );
}

function inline(
  guild: Omit<IncomingMessage, "channelId" | "threadId">,
  channelId: string,
  messageId: string,
  root: string,
): Decision {
  return answer(
    { ...guild, channelId, threadId: root },
    { kind: "channel", channelId, sourceMessageId: messageId, replyToSource: true, rootId: root },
  );
}

function answer(incoming: IncomingMessage, target: ChannelTarget): Decision {
  return { kind: "answer", incoming, target };
}

function ignore(reason: string): Decision {
  return { kind: "ignore", reason };
}

/**
 * A typed mention of the bot, or of the bot's managed role (people pick either from the list).
 * Not the implicit ping of a reply: replies to the bot are handled as replies.
 */
export function mentionsBot(message: Message, botId: string): boolean {
  if (new RegExp(`<@!?${botId}>`).test(message.content)) return true;
  return message.mentions.roles.some((role) => role.tags?.botId === botId);
}

/** Without a remembered root, the bot message's own reply target is the best guess. */
function fallbackRoot(message: Message, botMessageId: string): string {
  const replied = message.channel.messages.cache.get(botMessageId);
  return replied?.reference?.messageId ?? botMessageId;
}

/** Threads can be opened in text and announcement channels (not in threads, voice text or DMs). */
function canHoldThreads(type: ChannelType): boolean {
  return type === ChannelType.GuildText || type === ChannelType.GuildAnnouncement;
}

/**
 * The message text as the model should read it: the bot's own mention removed, other mentions
 * shown by name (the model cannot resolve `<@123>`).
 */
export function cleanText(message: Message, botId: string): string {
  return message.content
    .replace(new RegExp(`<@!?${botId}>`, "g"), "")
    .replace(/<@!?(\d+)>/g, (raw, id: string) => {
      const member = message.mentions.members?.get(id);
      const user = message.mentions.users.get(id);
      const name = member?.displayName ?? user?.displayName;
      return name ? `@${name}` : raw;
    })
    .replace(/<@&(\d+)>/g, (raw, id: string) => {
      const role = message.mentions.roles.get(id);
      if (role?.tags?.botId === botId) return "";
      return role ? `@${role.name}` : raw;
    })
    .replace(/<#(\d+)>/g, (raw, id: string) => {
      const channel = message.client.channels.cache.get(id);
      return channel && "name" in channel && channel.name ? `#${channel.name}` : raw;
    })
    .replace(/[ \t]{2,}/g, " ")
    .trim();
}

/** A thread title from the question: its first line, cut at a word, never empty. */
export function threadName(text: string, userName: string): string {
  const firstLine =
    text
      .split("\n")
      .find((l) => l.trim() !== "")
      ?.trim() ?? "";
  if (firstLine === "") return `Question from ${userName}`.slice(0, THREAD_NAME_MAX_CHARS);
  if (firstLine.length <= THREAD_NAME_MAX_CHARS) return firstLine;
  const cut = firstLine.slice(0, THREAD_NAME_MAX_CHARS - 1);
  const space = cut.lastIndexOf(" ");
  return `${space > 40 ? cut.slice(0, space) : cut}…`;
}
