/**
 * The discord.js gateway client: intents, partials, shards, REST base URL, and start-up errors
 * turned into sentences that say what to fix.
 *
 * Intents (what each is for):
 * - Guilds: channels, threads and roles of the servers (thread ownership, the bot's role).
 * - GuildMessages: messages in server channels and threads.
 * - DirectMessages: DMs (with `Partials.Channel`: DM channels are not cached before their
 *   first message, and discord.js drops messages of unknown channels otherwise).
 * - MessageContent (privileged): the text of messages that do not @mention the bot: follow-ups
 *   in the bot's threads, replies to the bot, and channel history for /summarize. Without it
 *   Discord sends those messages with empty content.
 */
import { Client, GatewayIntentBits, Options, Partials, PermissionFlagsBits } from "discord.js";
import type { Env } from "../../config.js";
import type { Logger } from "../../log.js";
import type { Metrics } from "../../metrics.js";
import { instrumentRest } from "./rest.js";

export const DISCORD_INTENTS = [
  GatewayIntentBits.Guilds,
  GatewayIntentBits.GuildMessages,
  GatewayIntentBits.DirectMessages,
  GatewayIntentBits.MessageContent,
];

/**
 * Exactly the permissions the bot uses: see channels, send (typing included) and read history
 * (/summarize, reply lookups), open public threads on a message and post in them.
 */
export const DISCORD_PERMISSIONS =
  PermissionFlagsBits.ViewChannel |
  PermissionFlagsBits.SendMessages |
  PermissionFlagsBits.ReadMessageHistory |
  PermissionFlagsBits.CreatePublicThreads |
  PermissionFlagsBits.SendMessagesInThreads;

/** The OAuth2 URL that adds the bot to a server with those permissions and its slash commands. */
export function inviteUrl(applicationId: string): string {
  const params = new URLSearchParams({
    client_id: applicationId,
    scope: "bot applications.commands",
    permissions: DISCORD_PERMISSIONS.toString(),
  });
  return `https://discord.com/oauth2/authorize?${params.toString()}`;
}

/** Gateway close codes we explain (docs, "Gateway Close Event Codes"). */
export const CLOSE_CODE = {
  authenticationFailed: 4004,
  invalidShard: 4010,
  shardingRequired: 4011,
  disallowedIntents: 4014,
} as const;

/** Messages kept per channel: enough for reply lookups, small enough for many channels. */
const MESSAGE_CACHE_PER_CHANNEL = 50;

export function shardOptions(env: Pick<Env, "DISCORD_SHARD_IDS" | "DISCORD_SHARD_COUNT">): {
  shards: number[] | "auto";
  shardCount?: number;
} {
  const count = env.DISCORD_SHARD_COUNT;
  if (env.DISCORD_SHARD_IDS && count)
    return { shards: env.DISCORD_SHARD_IDS.split(",").map(Number), shardCount: count };
  if (count) return { shards: Array.from({ length: count }, (_, i) => i), shardCount: count };
  // One process, as many shards as Discord recommends (GET /gateway/bot).
  return { shards: "auto" };
}

export function createGatewayClient(opts: { env: Env; metrics: Metrics; log: Logger }): Client {
  const { env } = opts;
  const client = new Client({
    intents: DISCORD_INTENTS,
    partials: [Partials.Channel],
    rest: { api: env.DISCORD_API_URL.replace(/\/+$/, "") },
    ...shardOptions(env),
    makeCache: Options.cacheWithLimits({
      ...Options.DefaultMakeCacheSettings,
      MessageManager: MESSAGE_CACHE_PER_CHANNEL,
    }),
    // Nothing the bot sends through discord.js itself may ping anyone either.
    allowedMentions: { parse: [], repliedUser: false },
  });
  instrumentRest(client.rest, opts.metrics, opts.log);
  return client;
}

const portal = (applicationId: string | undefined) =>
  `https://discord.com/developers/applications/${applicationId ?? "<your application>"}/bot`;

/** A start-up failure as a sentence naming what to change. */
export function explainStartupError(
  err: unknown,
  ctx: { closeCode: number | undefined; applicationId: string | undefined; apiUrl: string },
): Error {
  const message = err instanceof Error ? err.message : String(err);
  if (ctx.closeCode === CLOSE_CODE.disallowedIntents || /disallowed intents/i.test(message)) {
    return new Error(
      "Discord refused the gateway connection (close code 4014: disallowed intents). The bot needs the " +
        'privileged "Message Content Intent" to read follow-ups in its threads, replies and channel history. ' +
        `Turn on "MESSAGE CONTENT INTENT" under Bot -> Privileged Gateway Intents in the Discord Developer Portal (${portal(ctx.applicationId)}), save, and restart.`,
      { cause: err },
    );
  }
  if (
    ctx.closeCode === CLOSE_CODE.authenticationFailed ||
    /invalid token|authentication failed|401/i.test(message)
  ) {
    return new Error(
      `Discord rejected DISCORD_TOKEN. Copy the bot token from ${portal(ctx.applicationId)} ("Reset Token") into DISCORD_TOKEN.`,
      { cause: err },
    );
  }
  if (ctx.closeCode === CLOSE_CODE.invalidShard || ctx.closeCode === CLOSE_CODE.shardingRequired) {
    return new Error(
      `Discord refused the shard configuration (close code ${ctx.closeCode}). Check DISCORD_SHARD_IDS and DISCORD_SHARD_COUNT: every id must be below the count, and the count at least what Discord recommends.`,
      { cause: err },
    );
  }
  if (/ECONNREFUSED|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|fetch failed/i.test(message)) {
    return new Error(`Cannot reach Discord at DISCORD_API_URL (${ctx.apiUrl}): ${message}`, { cause: err });
  }
  return new Error(`Discord gateway failed to start: ${message}`, { cause: err });
}
