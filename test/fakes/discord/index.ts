/**
 * A local fake Discord for tests and the benchmark: REST (v10) and a gateway WebSocket on one
 * loopback port. A real discord.js Client pointed at `apiUrl` reads the gateway URL from
 * GET /gateway/bot and connects. Tests act as users (messages, DMs, slash commands, button
 * clicks) and read back what the bot did (messages with every edit, requests, 429s).
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { type BucketRule, Buckets } from "./buckets.js";
import { type FakeAttachmentInit, FakeCdn } from "./cdn.js";
import { FakeGateway, INTENT } from "./gateway.js";
import { type FakeInteraction, Interactions } from "./interactions.js";
import { resolveMentions } from "./mentions.js";
import { BotMessages } from "./messages.js";
import {
  type FakeChannel,
  type FakeGuild,
  type FakeMessage,
  type FakeUser,
  PERMISSION,
  World,
} from "./model.js";
import { FakeRest, type RestLogEntry } from "./rest.js";

export type { FakeChannel, FakeGuild, FakeInteraction, FakeMessage, FakeUser, RestLogEntry };
export { INTENT, PERMISSION };

/**
 * Per-route buckets. Discord does not publish most numbers; these follow what its headers show
 * for a bot: 5 messages per 5 s per channel for sends and for edits, typing 5/5 s, webhook
 * (interaction) edits 5/5 s per token, history reads generous. Tests scale the windows down.
 */
export const DEFAULT_RULES: Record<string, BucketRule> = {
  createMessage: { limit: 5, windowMs: 5000 },
  editMessage: { limit: 5, windowMs: 5000 },
  createThread: { limit: 10, windowMs: 10_000 },
  typing: { limit: 5, windowMs: 5000 },
  webhook: { limit: 5, windowMs: 5000 },
  readMessages: { limit: 50, windowMs: 1000 },
  channel: { limit: 5, windowMs: 5000 },
};

export interface FakeDiscordOptions {
  token?: string;
  botName?: string;
  /** Privileged intents switched on in the fake "developer portal". Default: Message Content only. */
  privilegedIntents?: number;
  /** Recommended shard count in GET /gateway/bot. */
  shards?: number;
  heartbeatIntervalMs?: number;
  /** Multiplies every bucket window (0.1 = ten times faster). */
  windowScale?: number;
  rules?: Partial<Record<string, BucketRule>>;
  globalPerSecond?: number;
  latencyMs?: number;
  ackDeadlineMs?: number;
  tokenLifetimeMs?: number;
}

export class FakeDiscord {
  readonly world: World;
  readonly gateway: FakeGateway;
  readonly rest: FakeRest;
  readonly interactions: Interactions;
  /** Attachments of users' messages, served like Discord's CDN on the same port. */
  readonly cdn: FakeCdn;
  readonly token: string;
  readonly rules: Record<string, BucketRule>;
  apiUrl = "";
  private readonly server: Server;

  constructor(opts: FakeDiscordOptions = {}) {
    this.token = opts.token ?? "fake-bot-token.for-tests-only";
    this.world = new World(opts.botName ?? "Support Assistant");
    const scale = opts.windowScale ?? 1;
    this.rules = Object.fromEntries(
      Object.entries({ ...DEFAULT_RULES, ...opts.rules }).map(([k, r]) => [
        k,
        { limit: r!.limit, windowMs: Math.max(1, Math.round(r!.windowMs * scale)) },
      ]),
    );
    this.gateway = new FakeGateway(this.world, {
      token: this.token,
      applicationId: this.world.bot.id,
      privilegedIntents: opts.privilegedIntents ?? INTENT.messageContent,
      heartbeatIntervalMs: opts.heartbeatIntervalMs ?? 41_250,
    });
    const messages = new BotMessages(this.world, this.gateway);
    this.interactions = new Interactions(this.world, this.gateway, messages, {
      ackDeadlineMs: opts.ackDeadlineMs ?? 3000,
      tokenLifetimeMs: opts.tokenLifetimeMs ?? 15 * 60_000,
    });
    this.rest = new FakeRest(
      this.world,
      this.gateway,
      new Buckets(opts.globalPerSecond ?? 50),
      messages,
      this.interactions,
      {
        token: this.token,
        applicationId: this.world.bot.id,
        rules: this.rules,
        latencyMs: opts.latencyMs ?? 0,
        shards: opts.shards ?? 1,
      },
    );
    this.cdn = new FakeCdn(
      () => this.apiUrl.replace(/\/api$/, ""),
      () => this.world.ids.next(),
    );
    this.server = createServer((req, res) => {
      if (this.cdn.handle(req, res)) return;
      this.rest.handle(req, res).catch((err: unknown) => {
        res.writeHead(500);
        res.end(String(err));
      });
    });
  }

  async listen(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, "127.0.0.1", resolve));
    const { port } = this.server.address() as AddressInfo;
    this.apiUrl = `http://127.0.0.1:${port}/api`;
    this.gateway.attach(this.server, `ws://127.0.0.1:${port}/gateway`);
    return this;
  }

  async close(): Promise<void> {
    this.gateway.close();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  get bot(): FakeUser {
    return this.world.bot;
  }

  get applicationId(): string {
    return this.world.bot.id;
  }

  /** `<@bot>`: what a user's @mention of the bot looks like in message content. */
  get mention(): string {
    return `<@${this.world.bot.id}>`;
  }

  // --- setting the scene --------------------------------------------------------------------

  addUser(name: string, bot = false): FakeUser {
    return this.world.addUser(name, bot);
  }

  addGuild(name: string, shard?: { id: number; count: number }): FakeGuild {
    return this.world.addGuild(name, shard);
  }

  addChannel(guild: FakeGuild, name: string): FakeChannel {
    return this.world.addChannel(guild.id, name);
  }

  /** A member permission overwrite: deny `bits` (see PERMISSION) to `user` in `channel`. */
  denyMember(channel: FakeChannel, user: FakeUser, bits: bigint): void {
    channel.memberDeny.set(user.id, (channel.memberDeny.get(user.id) ?? 0n) | bits);
  }

  /** Old messages the bot never saw on the gateway (for /summarize). */
  seedHistory(
    channel: FakeChannel,
    lines: { author: FakeUser; content: string; attachments?: FakeAttachmentInit[] }[],
  ): FakeMessage[] {
    return lines.map((l) =>
      this.world.storeMessage({
        channelId: channel.id,
        authorId: l.author.id,
        content: l.content,
        ...(l.attachments ? { attachments: l.attachments.map((a) => this.cdn.add(channel.id, a)) } : {}),
      }),
    );
  }

  // --- acting as users ------------------------------------------------------------------------

  /** A user posts in a channel or thread; `replyTo` makes it a reply (pinging its author, as the client does by default). */
  say(
    author: FakeUser,
    channel: FakeChannel | string,
    content: string,
    opts: { replyTo?: string; attachments?: FakeAttachmentInit[] } = {},
  ): FakeMessage {
    const channelId = typeof channel === "string" ? channel : channel.id;
    const replied = opts.replyTo ? this.world.messages.get(opts.replyTo) : undefined;
    const m = resolveMentions(content, undefined, replied?.authorId ?? null);
    const message = this.world.storeMessage({
      channelId,
      authorId: author.id,
      content,
      referenceId: replied?.id ?? null,
      mentionIds: m.pinged,
      mentionRoleIds: m.roles,
      mentionEveryone: m.everyone,
      pinged: m.pinged,
      ...(opts.attachments ? { attachments: opts.attachments.map((a) => this.cdn.add(channelId, a)) } : {}),
    });
    this.deliver(message);
    return message;
  }

  /** A user writes to the bot in a direct message. */
  dm(author: FakeUser, content: string, opts: { attachments?: FakeAttachmentInit[] } = {}): FakeMessage {
    return this.say(author, this.world.dmChannelWith(author.id), content, opts);
  }

  /** Dispatch MESSAGE_CREATE for a stored message (again): a gateway redelivery. */
  deliver(message: FakeMessage): number {
    return this.gateway.dispatch(
      "MESSAGE_CREATE",
      this.world.messageJson(message, { withReferenced: true, gateway: true }),
      {
        guildId: message.guildId,
        intent: message.guildId ? INTENT.guildMessages : INTENT.directMessages,
      },
    );
  }

  slashCommand(
    user: FakeUser,
    channel: FakeChannel | string,
    name: string,
    options: { name: string; type: number; value: unknown }[] = [],
  ): FakeInteraction {
    const channelId = typeof channel === "string" ? channel : channel.id;
    return this.interactions.slashCommand({ channelId, userId: user.id, name, options });
  }

  clickButton(user: FakeUser, message: FakeMessage, customId: string): FakeInteraction {
    return this.interactions.clickButton({ messageId: message.id, customId, userId: user.id });
  }

  // --- observing the bot ----------------------------------------------------------------------

  channel(id: string): FakeChannel | undefined {
    return this.world.channels.get(id);
  }

  message(id: string): FakeMessage | undefined {
    return this.world.messages.get(id);
  }

  /** The bot's messages in a channel or thread (ephemeral ones included), oldest first. */
  botMessages(channelId: string): FakeMessage[] {
    return [...this.world.messages.values()]
      .filter((m) => m.channelId === channelId && m.authorId === this.world.bot.id)
      .sort((a, b) => (BigInt(a.id) < BigInt(b.id) ? -1 : 1));
  }

  get requests(): RestLogEntry[] {
    return this.rest.log;
  }

  get rateLimitedCount(): number {
    return this.rest.log.filter((e) => e.status === 429).length;
  }

  /** Resolve when `check` returns a value (not undefined/false), polling every 10 ms. */
  async waitFor<T>(check: () => T | undefined | false, what: string, timeoutMs = 30_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = check();
      if (value !== undefined && value !== false) return value;
      if (Date.now() > deadline) throw new Error(`fake Discord: timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }
}

export async function startFakeDiscord(opts: FakeDiscordOptions = {}): Promise<FakeDiscord> {
  return new FakeDiscord(opts).listen();
}
