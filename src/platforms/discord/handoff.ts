/**
 * Discord's side of hand-offs (docs/handoff.md):
 * - the poster: writes into a customer's Discord conversation outside a turn (a DM, a bot
 *   thread, or under the root message of an inline conversation), with a message link;
 * - the team desk: the announcement in HANDOFF_DISCORD_CHANNEL with Claim and Return buttons and
 *   a thread on it, where the summary streams and the customer's messages are copied;
 * - team replies (people writing in a thread of the team channel), the buttons, and `/handoff`.
 * All REST goes through the adapter's client (rate limits, retries).
 */
import { ChannelType, type ChatInputCommandInteraction, type Message, Routes } from "discord.js";
import type { ConversationPoster, TeamDesk } from "../../core/handoff/ports.js";
import type { HandoffRecord, TeamThreadRef } from "../../core/handoff/record.js";
import type { HandoffService } from "../../core/handoff/service.js";
import { HANDOFF_TEXT, placeOf, statusLine } from "../../core/handoff/texts.js";
import type { KeyValueStore, MessageSink } from "../../core/ports.js";
import type { ConversationRef } from "../../core/types.js";
import type { Logger } from "../../log.js";
import { HANDOFF } from "./commands.js";
import { DM_WORKSPACE } from "./receive.js";
import { FLAG_EPHEMERAL, NO_MENTIONS, noticeBody } from "./render.js";
import { call, DISCORD_CODE, discordCode } from "./rest.js";
import { ChannelSink, type DiscordRest } from "./sink.js";
import { CALLBACK } from "./stop-button.js";

const PREFIX = "chatbot:handoff:";
/** A team thread is archived after a day without messages (the Discord client's default). */
const THREAD_AUTO_ARCHIVE_MINUTES = 1440;
/** Discord's limit for a thread name. */
const THREAD_NAME_MAX_CHARS = 100;

export function handoffCustomId(act: "claim" | "return", id: string): string {
  return `${PREFIX}${act}:${id}`;
}

export function parseHandoffCustomId(customId: string): { act: "claim" | "return"; id: string } | null {
  if (!customId.startsWith(PREFIX)) return null;
  const [act, id] = customId.slice(PREFIX.length).split(":");
  return (act === "claim" || act === "return") && id ? { act, id } : null;
}

export class DiscordConversationPoster implements ConversationPoster {
  readonly platform = "discord" as const;

  constructor(private readonly rest: DiscordRest) {}

  async post(conv: ConversationRef, text: string): Promise<void> {
    const body = noticeBody(text);
    if (conv.threadId === conv.channelId) {
      await call("hand-off post", () => this.rest.post(Routes.channelMessages(conv.channelId), { body }));
      return;
    }
    try {
      // Thread mode: the conversation id is the bot thread's id.
      await call("hand-off post", () => this.rest.post(Routes.channelMessages(conv.threadId), { body }));
    } catch (err) {
      if (discordCode(err) !== DISCORD_CODE.unknownChannel) throw err;
      // Inline mode: the conversation id is its root message; answer under it.
      await call("hand-off post", () =>
        this.rest.post(Routes.channelMessages(conv.channelId), {
          body: { ...body, message_reference: { message_id: conv.threadId, fail_if_not_exists: false } },
        }),
      );
    }
  }

  /** Guild conversations only: a DM opens for nobody but the customer. */
  async link(conv: ConversationRef): Promise<string | undefined> {
    if (conv.workspaceId === DM_WORKSPACE) return undefined;
    return `https://discord.com/channels/${conv.workspaceId}/${conv.threadId === conv.channelId ? conv.channelId : conv.threadId}`;
  }
}

function announcement(rec: HandoffRecord): string {
  const text = [
    `**Hand-off: ${rec.userName ?? "a customer"} would like to talk to a person**`,
    `- **Where:** ${rec.link ? `${placeOf(rec)} (${rec.link})` : placeOf(rec)}`,
    `- **Reason:** ${rec.reason}`,
    "",
    statusLine(rec),
  ].join("\n");
  return text.length > 1900 ? `${text.slice(0, 1899)}…` : text;
}

function buttons(rec: HandoffRecord): unknown[] {
  if (rec.status === "closed") return [];
  const ret = {
    type: 2,
    style: 2,
    label: "Return to assistant",
    custom_id: handoffCustomId("return", rec.id),
  };
  const claim = { type: 2, style: 1, label: "Claim", custom_id: handoffCustomId("claim", rec.id) };
  return [{ type: 1, components: rec.status === "open" ? [claim, ret] : [ret] }];
}

export class DiscordTeamDesk implements TeamDesk {
  readonly platform = "discord" as const;

  constructor(
    private readonly deps: {
      rest: DiscordRest;
      channel: string;
      kv: KeyValueStore;
      log: Logger;
      historyTtlMs: number;
    },
  ) {}

  async announce(rec: HandoffRecord): Promise<TeamThreadRef> {
    const { rest, channel } = this.deps;
    const msg = await call<{ id: string }>("hand-off announcement", () =>
      rest.post(Routes.channelMessages(channel), {
        body: { content: announcement(rec), allowed_mentions: NO_MENTIONS, components: buttons(rec) },
      }),
    );
    const name = `Hand-off: ${rec.userName ?? "customer"} (${rec.reason})`.slice(0, THREAD_NAME_MAX_CHARS);
    const thread = await call<{ id: string }>("hand-off thread", () =>
      rest.post(Routes.threads(channel, msg.id), {
        body: { name, auto_archive_duration: THREAD_AUTO_ARCHIVE_MINUTES },
      }),
    );
    return { platform: "discord", channelId: channel, threadId: thread.id, messageId: msg.id };
  }

  summarySink(rec: HandoffRecord, team: TeamThreadRef): MessageSink {
    const { rest, kv, log, historyTtlMs } = this.deps;
    return new ChannelSink(
      { rest, kv, log, rootTtlMs: historyTtlMs },
      {
        kind: "channel",
        channelId: team.threadId,
        sourceMessageId: team.messageId,
        replyToSource: false,
        rootId: null,
      },
      // Nobody's Stop button: the summary is for the whole team.
      { userId: "0", messageId: `handoff-${rec.id}` },
    );
  }

  async note(team: TeamThreadRef, text: string): Promise<void> {
    await call("hand-off note", () =>
      this.deps.rest.post(Routes.channelMessages(team.threadId), { body: noticeBody(text) }),
    );
  }

  async relay(team: TeamThreadRef, author: string, text: string): Promise<void> {
    await call("hand-off relay", () =>
      this.deps.rest.post(Routes.channelMessages(team.threadId), {
        body: noticeBody(`**${author}** (customer): ${text}`),
      }),
    );
  }

  async update(rec: HandoffRecord): Promise<void> {
    if (!rec.team) return;
    const team = rec.team;
    await call("hand-off update", () =>
      this.deps.rest.patch(Routes.channelMessage(team.channelId, team.messageId), {
        body: { content: announcement(rec), allowed_mentions: NO_MENTIONS, components: buttons(rec) },
      }),
    );
  }
}

/** A person writing in a thread of the team channel: true when it was a hand-off's (relayed or not). */
export async function onTeamMessage(
  message: Message,
  teamChannel: string | undefined,
  service: HandoffService,
): Promise<boolean> {
  if (!teamChannel || message.author.bot || message.webhookId) return false;
  const channel = message.channel;
  if (!channel.isThread() || channel.parentId !== teamChannel) return false;
  const author = message.member?.displayName ?? message.author.displayName;
  return service.teamReply({
    team: { platform: "discord", channelId: teamChannel, threadId: channel.id },
    messageId: message.id,
    author,
    text: message.content,
  });
}

/** Claim / Return on an announcement. False when the button is not a hand-off's. */
export async function onHandoffButton(
  click: {
    interactionId: string;
    token: string;
    customId: string;
    userName: string;
    /** Where the button was clicked: a hand-off's buttons act only on its own announcement. */
    channelId: string | null;
    messageId: string | undefined;
  },
  deps: { rest: DiscordRest; service: HandoffService; log: Logger },
): Promise<boolean> {
  const parsed = parseHandoffCustomId(click.customId);
  if (!parsed) return false;
  // Acknowledge without a message: the service edits the announcement to show the new status.
  await call("hand-off click", () =>
    deps.rest.post(Routes.interactionCallback(click.interactionId, click.token), {
      auth: false,
      body: { type: CALLBACK.deferredUpdateMessage },
    }),
  );
  const where =
    click.channelId && click.messageId
      ? { platform: "discord" as const, channelId: click.channelId, messageId: click.messageId }
      : undefined;
  if (!where || !(await deps.service.clickedOnAnnouncement(parsed.id, where))) {
    deps.log.warn(
      { handoffId: parsed.id, act: parsed.act },
      "hand-off button not on its announcement: ignored",
    );
    return true;
  }
  const changed =
    parsed.act === "claim"
      ? await deps.service.claim(parsed.id, click.userName)
      : await deps.service.giveBack(parsed.id, click.userName);
  if (!changed)
    deps.log.info({ handoffId: parsed.id, act: parsed.act }, "hand-off button: nothing to change");
  return true;
}

/**
 * `/handoff [reason]`: in a DM with the bot, or in a thread the bot opened (its conversation). In
 * a text channel the bot opens a thread for it under a short post, as it does for a mention, so
 * the customer and the team's replies meet there. Elsewhere the person is told where it works.
 */
export async function onHandoffCommand(
  interaction: ChatInputCommandInteraction,
  deps: { rest: DiscordRest; service: HandoffService; botId: string },
): Promise<void> {
  const channel = interaction.channel;
  const reason = interaction.options.getString(HANDOFF.reason)?.trim() || "asked for a person (/handoff)";
  const userName =
    interaction.member && "displayName" in interaction.member
      ? interaction.member.displayName
      : interaction.user.displayName;
  let conversation: ConversationRef | undefined;
  if (!interaction.inGuild()) {
    conversation = {
      platform: "discord",
      workspaceId: DM_WORKSPACE,
      channelId: interaction.channelId,
      threadId: interaction.channelId,
    };
  } else if (channel?.isThread() && channel.ownerId === deps.botId) {
    conversation = {
      platform: "discord",
      workspaceId: interaction.guildId,
      channelId: channel.parentId ?? channel.id,
      threadId: channel.id,
    };
  }
  const inTextChannel = !conversation && interaction.inGuild() && channel?.type === ChannelType.GuildText;
  // Checked before the post and thread below: a refused request leaves nothing in the channel.
  const tooSoon =
    inTextChannel &&
    interaction.inGuild() &&
    !(await deps.service.allowNew({
      conversation: {
        platform: "discord",
        workspaceId: interaction.guildId,
        channelId: interaction.channelId,
        threadId: interaction.channelId,
      },
      userId: interaction.user.id,
    }));
  const reply = tooSoon
    ? HANDOFF_TEXT.tooSoon
    : conversation || inTextChannel
      ? "Asking a person from the support team to join..."
      : "Use /handoff in a direct message with me, in a text channel, or in a thread where I answered you.";
  await call("handoff ack", () =>
    deps.rest.post(Routes.interactionCallback(interaction.id, interaction.token), {
      auth: false,
      body: {
        type: CALLBACK.channelMessage,
        data: { content: reply, flags: FLAG_EPHEMERAL, allowed_mentions: NO_MENTIONS },
      },
    }),
  );
  if (tooSoon) return;
  if (inTextChannel && interaction.inGuild()) {
    const post = await call<{ id: string }>("handoff post", () =>
      deps.rest.post(Routes.channelMessages(interaction.channelId), {
        body: noticeBody(
          `**${userName}** asked for a person from the support team. Please continue in this thread.`,
        ),
      }),
    );
    // A thread on the bot's post is the bot's: the customer's messages there reach the core.
    const thread = await call<{ id: string }>("handoff thread", () =>
      deps.rest.post(Routes.threads(interaction.channelId, post.id), {
        body: {
          name: `Help for ${userName}`.slice(0, THREAD_NAME_MAX_CHARS),
          auto_archive_duration: THREAD_AUTO_ARCHIVE_MINUTES,
        },
      }),
    );
    conversation = {
      platform: "discord",
      workspaceId: interaction.guildId,
      channelId: interaction.channelId,
      threadId: thread.id,
    };
  }
  if (!conversation) return;
  await deps.service.request({
    conversation,
    userId: interaction.user.id,
    userName,
    reason,
    trigger: "command",
    allowanceTaken: inTextChannel,
  });
}
