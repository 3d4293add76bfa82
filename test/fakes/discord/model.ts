/**
 * The fake Discord's world: users, guilds, channels, threads, messages (with every version of
 * their text, for tests and the benchmark), and the JSON shapes the real API sends for them.
 */
import { SnowflakeFactory, shardOf, timestampOf } from "./snowflake.js";

export type { AllowedMentions } from "./mentions.js";

export interface FakeUser {
  id: string;
  username: string;
  globalName: string | null;
  bot: boolean;
  /** The user allows no DMs from server members: the bot's DMs fail with 50007. */
  dmsClosed?: boolean;
}

export interface FakeGuild {
  id: string;
  name: string;
  ownerId: string;
  /** The bot's managed role (what users mention when they pick the bot's role by mistake). */
  botRoleId: string;
}

export interface FakeChannel {
  id: string;
  /** 0 text, 1 DM, 11 public thread. */
  type: 0 | 1 | 11;
  guildId: string | null;
  name: string;
  parentId: string | null;
  ownerId: string | null;
  /** DM channels: the other user. */
  recipientId: string | null;
  /** Missing permissions the fake enforces (to test fallbacks). */
  deny: { createThreads?: boolean; readHistory?: boolean };
  /** Member permission overwrites: user id -> permission bits denied to that member here. */
  memberDeny: Map<string, bigint>;
}

/** Permission bits (docs, "Permissions"); the ones the fake's tests deny. */
export const PERMISSION = {
  viewChannel: 1n << 10n,
  sendMessages: 1n << 11n,
  readMessageHistory: 1n << 16n,
  sendMessagesInThreads: 1n << 38n,
} as const;

/** What @everyone may do in the fake's guilds (a typical community server), before overwrites. */
export const MEMBER_BASE_PERMISSIONS = 2248473465835073n;

export interface MessageVersion {
  /** performance.now() when the fake stored this version. */
  at: number;
  content: string;
  components: unknown[];
}

export interface FakeMessage {
  id: string;
  channelId: string;
  guildId: string | null;
  authorId: string;
  content: string;
  /** 0 default, 19 reply. */
  type: number;
  flags: number;
  components: unknown[];
  referenceId: string | null;
  mentionIds: string[];
  mentionRoleIds: string[];
  mentionEveryone: boolean;
  /** Users the message notified (what `allowed_mentions` let through, plus a pinged reply author). */
  pinged: string[];
  ephemeral: boolean;
  /** Set when created through an interaction or webhook. */
  interactionId: string | null;
  editedAt: number | null;
  versions: MessageVersion[];
  threadId: string | null;
  /** Files attached by a user (objects from the fake CDN). */
  attachments?: Record<string, unknown>[];
}

export class World {
  readonly ids = new SnowflakeFactory();
  readonly users = new Map<string, FakeUser>();
  readonly guilds = new Map<string, FakeGuild>();
  readonly channels = new Map<string, FakeChannel>();
  readonly messages = new Map<string, FakeMessage>();
  readonly bot: FakeUser;

  constructor(botName: string) {
    this.bot = this.addUser(botName, true);
  }

  addUser(username: string, bot = false): FakeUser {
    const user: FakeUser = { id: this.ids.next(), username, globalName: bot ? null : username, bot };
    this.users.set(user.id, user);
    return user;
  }

  /** A guild; with `shard`, its id is chosen so its events go to that shard. */
  addGuild(name: string, shard?: { id: number; count: number }): FakeGuild {
    let id = this.ids.next();
    while (shard && shardOf(id, shard.count) !== shard.id)
      id = this.ids.next(Date.now() + Math.floor(Math.random() * 50));
    const guild: FakeGuild = { id, name, ownerId: this.bot.id, botRoleId: this.ids.next() };
    this.guilds.set(id, guild);
    return guild;
  }

  addChannel(guildId: string, name: string): FakeChannel {
    const channel: FakeChannel = {
      id: this.ids.next(),
      type: 0,
      guildId,
      name,
      parentId: null,
      ownerId: null,
      recipientId: null,
      deny: {},
      memberDeny: new Map(),
    };
    this.channels.set(channel.id, channel);
    return channel;
  }

  /**
   * A member's permissions in a channel as Discord computes them for an interaction: the base
   * role permissions minus the member's overwrites (a thread uses its parent's).
   */
  memberPermissions(userId: string, channelId: string): bigint {
    const channel = this.channels.get(channelId);
    const source = channel?.parentId ? this.channels.get(channel.parentId) : channel;
    return MEMBER_BASE_PERMISSIONS & ~(source?.memberDeny.get(userId) ?? 0n);
  }

  dmChannelWith(userId: string): FakeChannel {
    for (const c of this.channels.values()) if (c.type === 1 && c.recipientId === userId) return c;
    const channel: FakeChannel = {
      id: this.ids.next(),
      type: 1,
      guildId: null,
      name: "",
      parentId: null,
      ownerId: null,
      recipientId: userId,
      deny: {},
      memberDeny: new Map(),
    };
    this.channels.set(channel.id, channel);
    return channel;
  }

  /** A thread started from `message` takes the message's id, as on Discord. */
  addThreadFromMessage(message: FakeMessage, name: string, ownerId: string): FakeChannel {
    const parent = this.channels.get(message.channelId)!;
    const thread: FakeChannel = {
      id: message.id,
      type: 11,
      guildId: parent.guildId,
      name,
      parentId: parent.id,
      ownerId,
      recipientId: null,
      deny: {},
      memberDeny: new Map(),
    };
    this.channels.set(thread.id, thread);
    message.threadId = thread.id;
    message.flags |= 1 << 5; // HAS_THREAD
    return thread;
  }

  storeMessage(
    init: Partial<FakeMessage> & Pick<FakeMessage, "channelId" | "authorId" | "content">,
  ): FakeMessage {
    const channel = this.channels.get(init.channelId);
    const message: FakeMessage = {
      id: this.ids.next(),
      guildId: channel?.guildId ?? null,
      type: init.referenceId ? 19 : 0,
      flags: 0,
      components: [],
      referenceId: null,
      mentionIds: [],
      mentionRoleIds: [],
      mentionEveryone: false,
      pinged: [],
      ephemeral: false,
      interactionId: null,
      editedAt: null,
      versions: [],
      threadId: null,
      ...init,
    };
    message.versions.push({
      at: performance.now(),
      content: message.content,
      components: message.components,
    });
    this.messages.set(message.id, message);
    return message;
  }

  /** Messages of a channel, oldest first (ephemeral ones are not part of a channel's history). */
  channelMessages(channelId: string): FakeMessage[] {
    return [...this.messages.values()]
      .filter((m) => m.channelId === channelId && !m.ephemeral)
      .sort((a, b) => (BigInt(a.id) < BigInt(b.id) ? -1 : 1));
  }

  // --- JSON shapes ---------------------------------------------------------------------------

  userJson(user: FakeUser): Record<string, unknown> {
    return {
      id: user.id,
      username: user.username,
      global_name: user.globalName,
      discriminator: "0",
      avatar: null,
      ...(user.bot ? { bot: true } : {}),
      public_flags: 0,
    };
  }

  memberJson(user: FakeUser, guildId: string, withUser = true): Record<string, unknown> {
    const guild = this.guilds.get(guildId);
    return {
      ...(withUser ? { user: this.userJson(user) } : {}),
      nick: null,
      avatar: null,
      roles: user.id === this.bot.id && guild ? [guild.botRoleId] : [],
      joined_at: new Date(timestampOf(guildId)).toISOString(),
      deaf: false,
      mute: false,
      flags: 0,
      pending: false,
    };
  }

  channelJson(channel: FakeChannel): Record<string, unknown> {
    if (channel.type === 1) {
      const recipient = this.users.get(channel.recipientId ?? "");
      return {
        id: channel.id,
        type: 1,
        last_message_id: null,
        recipients: recipient ? [this.userJson(recipient)] : [],
      };
    }
    const base = {
      id: channel.id,
      type: channel.type,
      guild_id: channel.guildId,
      name: channel.name,
      parent_id: channel.parentId,
      last_message_id: null,
      rate_limit_per_user: 0,
      nsfw: false,
    };
    if (channel.type === 11) {
      return {
        ...base,
        owner_id: channel.ownerId,
        message_count: 0,
        member_count: 1,
        total_message_sent: 0,
        flags: 0,
        thread_metadata: {
          archived: false,
          auto_archive_duration: 1440,
          archive_timestamp: new Date(timestampOf(channel.id)).toISOString(),
          locked: false,
        },
      };
    }
    const overwrites = [...channel.memberDeny].map(([id, bits]) => ({
      id,
      type: 1,
      allow: "0",
      deny: String(bits),
    }));
    return { ...base, position: 0, permission_overwrites: overwrites, topic: null };
  }

  guildJson(guild: FakeGuild): Record<string, unknown> {
    const channels = [...this.channels.values()].filter((c) => c.guildId === guild.id);
    return {
      id: guild.id,
      name: guild.name,
      icon: null,
      splash: null,
      discovery_splash: null,
      owner_id: guild.ownerId,
      afk_channel_id: null,
      afk_timeout: 300,
      verification_level: 0,
      default_message_notifications: 0,
      explicit_content_filter: 0,
      roles: [
        role(guild.id, "@everyone", false),
        { ...role(guild.botRoleId, this.bot.username, true), tags: { bot_id: this.bot.id } },
      ],
      emojis: [],
      stickers: [],
      features: [],
      mfa_level: 0,
      application_id: null,
      system_channel_id: null,
      system_channel_flags: 0,
      rules_channel_id: null,
      vanity_url_code: null,
      description: null,
      banner: null,
      premium_tier: 0,
      preferred_locale: "en-US",
      public_updates_channel_id: null,
      nsfw_level: 0,
      premium_progress_bar_enabled: false,
      joined_at: new Date(timestampOf(guild.id)).toISOString(),
      large: false,
      unavailable: false,
      member_count: this.users.size,
      voice_states: [],
      members: [this.memberJson(this.bot, guild.id)],
      channels: channels.filter((c) => c.type !== 11).map((c) => this.channelJson(c)),
      threads: channels.filter((c) => c.type === 11).map((c) => this.channelJson(c)),
      presences: [],
      stage_instances: [],
      guild_scheduled_events: [],
      soundboard_sounds: [],
    };
  }

  /** A message as REST returns it; `gateway` adds what MESSAGE_CREATE carries on top (channel_type). */
  messageJson(
    message: FakeMessage,
    opts: { withReferenced?: boolean; gateway?: boolean } = {},
  ): Record<string, unknown> {
    const author = this.users.get(message.authorId)!;
    const mentions = message.mentionIds
      .map((id) => this.users.get(id))
      .filter((u): u is FakeUser => u !== undefined)
      .map((u) => ({
        ...this.userJson(u),
        ...(message.guildId ? { member: this.memberJson(u, message.guildId, false) } : {}),
      }));
    const referenced = message.referenceId ? this.messages.get(message.referenceId) : undefined;
    const thread = message.threadId ? this.channels.get(message.threadId) : undefined;
    return {
      id: message.id,
      channel_id: message.channelId,
      ...(message.guildId ? { guild_id: message.guildId } : {}),
      author: this.userJson(author),
      ...(message.guildId && !author.bot ? { member: this.memberJson(author, message.guildId, false) } : {}),
      content: message.content,
      timestamp: new Date(timestampOf(message.id)).toISOString(),
      edited_timestamp: message.editedAt ? new Date(message.editedAt).toISOString() : null,
      tts: false,
      mention_everyone: message.mentionEveryone,
      mentions,
      mention_roles: message.mentionRoleIds,
      attachments: message.attachments ?? [],
      embeds: [],
      pinned: false,
      type: message.type,
      flags: message.flags,
      components: message.components,
      ...(message.interactionId ? { webhook_id: this.bot.id, application_id: this.bot.id } : {}),
      ...(message.referenceId
        ? {
            message_reference: {
              type: 0,
              message_id: message.referenceId,
              channel_id: message.channelId,
              ...(message.guildId ? { guild_id: message.guildId } : {}),
            },
          }
        : {}),
      ...(opts.withReferenced && message.referenceId
        ? { referenced_message: referenced ? this.messageJson(referenced) : null }
        : {}),
      ...(thread ? { thread: this.channelJson(thread) } : {}),
      ...(opts.gateway ? { channel_type: this.channels.get(message.channelId)?.type ?? 0 } : {}),
    };
  }
}

function role(id: string, name: string, managed: boolean): Record<string, unknown> {
  return {
    id,
    name,
    color: 0,
    colors: { primary_color: 0, secondary_color: null, tertiary_color: null },
    hoist: false,
    icon: null,
    unicode_emoji: null,
    position: managed ? 1 : 0,
    permissions: "1024",
    managed,
    mentionable: false,
    flags: 0,
  };
}
