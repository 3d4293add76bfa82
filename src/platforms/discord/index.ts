/**
 * The Discord adapter: a discord.js gateway client that turns messages and interactions into
 * calls to the conversation core. Handlers stay thin: decide (receive.ts), build a sink
 * (sink.ts), hand over. All REST goes to DISCORD_API_URL through one rate-limit-aware client.
 */
import { type Client, Events, type Interaction, type Message, Routes, Status } from "discord.js";
import type { Env } from "../../config.js";
import type { TurnResult } from "../../core/conversation.js";
import { ORPHAN_NOTICE } from "../../core/orphans.js";
import type { Logger } from "../../log.js";
import type { AdapterDeps, PlatformAdapter } from "../adapter.js";
import { maySummarize } from "../summarize-policy.js";
import { handleAssistant } from "./assistant-command.js";
import { createGatewayClient, explainStartupError, inviteUrl } from "./client.js";
import { ASSISTANT, FORGET, HANDOFF, SUMMARIZE } from "./commands.js";
import { handleFeedbackButton, handleReasonSubmit } from "./feedback.js";
import { discordAttachments } from "./files.js";
import { type ForgetDeps, handleForget, handleForgetClick } from "./forget-command.js";
import {
  DiscordConversationPoster,
  DiscordTeamDesk,
  onHandoffButton,
  onHandoffCommand,
  onTeamMessage,
} from "./handoff.js";
import { finalizeOrphan } from "./orphans.js";
import { mentionsBot, type ReceiveContext, routeMessage } from "./receive.js";
import type { EditBudgetShape } from "./render.js";
import { call, createRest } from "./rest.js";
import { ChannelSink, type DiscordRest, rootKey } from "./sink.js";
import { handleStopClick } from "./stop-button.js";
import { handleSummarize, handleUnknownCommand } from "./summarize-command.js";

export interface DiscordAdapterOptions {
  /**
   * Edit budget per channel. Default: Discord's 5 edits per 5 s (with margin). Tests and the
   * benchmark scale it down together with the fake's bucket windows.
   */
  editBudget?: EditBudgetShape;
  /** Requests per second this process may send to Discord (default 45: Discord's global 50, less jitter). */
  globalRequestsPerSecond?: number;
  /** How long start() waits for every shard to be ready. */
  readyTimeoutMs?: number;
}

/** Discord sends READY and the guilds within seconds; a minute means something is wrong. */
const DEFAULT_READY_TIMEOUT_MS = 60_000;

export function createDiscordAdapter(
  deps: AdapterDeps,
  options: DiscordAdapterOptions = {},
): PlatformAdapter {
  return new DiscordAdapter(deps, options);
}

class DiscordAdapter implements PlatformAdapter {
  readonly platform = "discord" as const;
  private client: Client | null = null;
  private rest: DiscordRest | null = null;
  private accepting = false;
  private readonly log: Logger;
  private readonly env: Env;

  constructor(
    private readonly deps: AdapterDeps,
    private readonly options: DiscordAdapterOptions,
  ) {
    this.log = deps.log.child({ platform: "discord" });
    this.env = deps.env;
  }

  async start(): Promise<void> {
    const { env } = this;
    if (!env.DISCORD_TOKEN || !env.DISCORD_APPLICATION_ID) {
      throw new Error("Discord needs DISCORD_TOKEN and DISCORD_APPLICATION_ID");
    }
    // Our own REST client outlives the gateway: answers still streaming at shutdown finish.
    this.rest = createRest({
      apiUrl: env.DISCORD_API_URL,
      token: env.DISCORD_TOKEN,
      metrics: this.deps.metrics,
      log: this.log,
      globalRequestsPerSecond: this.options.globalRequestsPerSecond ?? env.DISCORD_GLOBAL_REQUESTS_PER_SECOND,
      shared: { budgets: this.deps.store.budgets, scope: `discord:${env.DISCORD_APPLICATION_ID}` },
    });
    this.registerHandoffs(this.rest);
    const client = createGatewayClient({ env, metrics: this.deps.metrics, log: this.log });
    this.client = client;

    let closeCode: number | undefined;
    client.on(Events.ShardDisconnect, (event, shardId) => {
      closeCode = event.code;
      this.log.warn({ shardId, code: event.code }, "discord shard disconnected for good");
    });
    client.on(Events.ShardReady, (shardId) => this.log.info({ shardId }, "discord shard ready"));
    client.on(Events.ShardResume, (shardId) => this.log.info({ shardId }, "discord shard resumed"));
    client.on(Events.ShardReconnecting, (shardId) =>
      this.log.warn({ shardId }, "discord shard reconnecting"),
    );
    client.on(Events.Error, (err) => this.log.error({ err }, "discord client error"));
    client.on(Events.MessageCreate, (message) => this.onMessage(message));
    client.on(Events.InteractionCreate, (interaction) => this.onInteraction(interaction));

    const ready = new Promise<void>((resolve) => client.once(Events.ClientReady, () => resolve()));
    const timeoutMs = this.options.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS;
    let timer: NodeJS.Timeout | undefined;
    // Take events from the first one on: a message right after READY must not be dropped.
    this.accepting = true;
    try {
      await client.login(env.DISCORD_TOKEN);
      await Promise.race([
        ready,
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`not ready after ${timeoutMs} ms`)), timeoutMs);
        }),
      ]);
    } catch (err) {
      this.accepting = false;
      await client.destroy().catch(() => {});
      this.client = null;
      throw explainStartupError(err, {
        closeCode,
        applicationId: env.DISCORD_APPLICATION_ID,
        apiUrl: env.DISCORD_API_URL,
      });
    } finally {
      clearTimeout(timer);
    }
    if (client.application && client.application.id !== env.DISCORD_APPLICATION_ID) {
      this.log.warn(
        { tokenApplication: client.application.id, configured: env.DISCORD_APPLICATION_ID },
        "DISCORD_APPLICATION_ID is not the token's application: slash commands registered for it will not reach this bot",
      );
    }
    this.log.info(
      { user: client.user?.tag, shards: [...client.ws.shards.keys()], guilds: client.guilds.cache.size },
      "discord connected",
    );
    const rest = this.rest;
    const botId = client.user?.id;
    if (botId) {
      this.deps.conversation.orphans.register("discord", async (orphan) => {
        await finalizeOrphan(orphan, { rest, botId, notice: ORPHAN_NOTICE });
      });
    }
    if (client.guilds.cache.size === 0 && !env.DISCORD_SHARD_IDS) {
      this.log.info(
        { invite: inviteUrl(env.DISCORD_APPLICATION_ID) },
        "the bot is in no server yet; invite it with this URL",
      );
    }
  }

  /** Closes the gateway (no new events); the REST client stays for answers the core is draining. */
  async stop(): Promise<void> {
    this.accepting = false;
    const client = this.client;
    this.client = null;
    if (client) await client.destroy();
  }

  isReady(): boolean {
    const client = this.client;
    if (!this.accepting || !client?.isReady()) return false;
    return client.ws.shards.every((shard) => shard.status === Status.Ready);
  }

  // --- events -------------------------------------------------------------------------------

  private onMessage(message: Message): void {
    if (!this.accepting || !this.rest || !this.client?.user) return;
    const rest = this.rest;
    const botId = this.client.user.id;
    void (async () => {
      // A person writing in a hand-off's team thread talks to the customer, not to the bot.
      const service = this.deps.handoffService;
      if (service && (await onTeamMessage(message, this.env.HANDOFF_DISCORD_CHANNEL, service))) return;
      const decision = await routeMessage(message, this.receiveContext(rest, botId));
      if (decision.kind === "ignore") {
        this.log.trace({ messageId: message.id, reason: decision.reason }, "message ignored");
        return;
      }
      // A conversation keyed by a thread the bot did not open follows the thread's channel's policy.
      const channel = message.channel;
      if (channel.isThread() && channel.parentId && decision.incoming.channelId === channel.id)
        decision.incoming.parentChannelId = channel.parentId;
      // The policy (POLICY_FILE, an admin's /assistant on|off) may keep the bot out of here.
      const mentioned = mentionsBot(message, botId);
      const allowed = await this.deps.replies?.decide(decision.incoming, {
        mentioned,
        followup: decision.incoming.kind !== "dm" && !mentioned,
      });
      if (allowed && !allowed.answer) {
        this.log.debug({ messageId: message.id, reason: allowed.reason }, "message not answered (policy)");
        return;
      }
      decision.incoming.attachments = discordAttachments(
        message.attachments.values(),
        this.env.DISCORD_API_URL,
        this.log,
      );
      const sink = new ChannelSink(
        {
          rest,
          kv: this.deps.store.kv,
          log: this.log,
          // Reply chains are remembered as long as the conversation's history (the policy's retention).
          rootTtlMs:
            this.deps.replies?.policies.forTurn(decision.incoming)?.historyTtlMs ??
            this.env.HISTORY_TTL_S * 1000,
          ...(this.options.editBudget ? { budget: this.options.editBudget } : {}),
          feedback: this.deps.feedback !== undefined,
        },
        decision.target,
        { userId: decision.incoming.userId, messageId: decision.incoming.messageId },
      );
      const result: TurnResult = await this.deps.conversation.handle(decision.incoming, sink);
      this.log.debug({ messageId: message.id, outcome: result.outcome }, "message handled");
    })().catch((err: unknown) =>
      this.log.error({ err, messageId: message.id }, "discord message handler failed"),
    );
  }

  private onInteraction(interaction: Interaction): void {
    if (!this.accepting || !this.rest) return;
    const rest = this.rest;
    const forget: ForgetDeps = {
      rest,
      personalData: this.deps.conversation.personalData,
      admins: this.deps.admins,
      log: this.log,
    };
    void (async () => {
      const feedback = this.deps.feedback
        ? { rest, feedback: this.deps.feedback, handoffs: this.deps.handoffs, log: this.log }
        : null;
      const ids = {
        interactionId: interaction.id,
        token: interaction.token,
        userId: interaction.user.id,
      };
      if (interaction.isModalSubmit()) {
        const reason = interaction.fields.fields.has("reason")
          ? interaction.fields.getTextInputValue("reason")
          : "";
        if (feedback) await handleReasonSubmit({ ...ids, customId: interaction.customId, reason }, feedback);
        return;
      }
      if (interaction.isButton() && feedback) {
        if (await handleFeedbackButton({ ...ids, customId: interaction.customId }, feedback)) return;
      }
      if (interaction.isButton()) {
        const service = this.deps.handoffService;
        const click = {
          interactionId: interaction.id,
          token: interaction.token,
          customId: interaction.customId,
          userId: interaction.user.id,
        };
        const userName =
          interaction.member && "displayName" in interaction.member
            ? interaction.member.displayName
            : interaction.user.displayName;
        const clickedOn = { channelId: interaction.channelId, messageId: interaction.message.id };
        if (
          service &&
          (await onHandoffButton({ ...click, ...clickedOn, userName }, { rest, service, log: this.log }))
        )
          return;
        if (await handleForgetClick({ ...click, guildId: interaction.guildId }, forget)) return;
        const handled = await handleStopClick(click, {
          rest,
          conversation: this.deps.conversation,
          log: this.log,
        });
        if (!handled) this.log.debug({ customId: interaction.customId }, "unknown button");
      } else if (interaction.isChatInputCommand()) {
        if (interaction.commandName === SUMMARIZE.name) {
          await handleSummarize(interaction, {
            rest,
            conversation: this.deps.conversation,
            log: this.log,
            applicationId: interaction.applicationId,
            ...(this.options.editBudget ? { budget: this.options.editBudget } : {}),
            maySummarize: (place) => maySummarize(this.deps.replies, place, this.log),
          });
        } else if (interaction.commandName === FORGET.name) {
          await handleForget(interaction, forget);
        } else if (interaction.commandName === ASSISTANT.name) {
          await handleAssistant(interaction, { rest, deps: this.deps });
        } else if (
          interaction.commandName === HANDOFF.name &&
          this.deps.handoffService &&
          this.client?.user
        ) {
          await onHandoffCommand(interaction, {
            rest,
            service: this.deps.handoffService,
            botId: this.client.user.id,
          });
        } else {
          await handleUnknownCommand(interaction, rest);
        }
      }
    })().catch((err: unknown) =>
      this.log.error({ err, interactionId: interaction.id }, "discord interaction failed"),
    );
  }

  /** Hand-offs (docs/handoff.md): posting into Discord conversations, and the team channel. */
  private registerHandoffs(rest: DiscordRest): void {
    const service = this.deps.handoffService;
    if (!service) return;
    service.registerPoster(new DiscordConversationPoster(rest));
    const channel = this.env.HANDOFF_DISCORD_CHANNEL;
    if (channel) {
      service.registerDesk(
        new DiscordTeamDesk({
          rest,
          channel,
          kv: this.deps.store.kv,
          log: this.log,
          historyTtlMs: this.env.HISTORY_TTL_S * 1000,
        }),
      );
    }
  }

  private receiveContext(rest: DiscordRest, botId: string): ReceiveContext {
    return {
      botId,
      mode: this.env.DISCORD_REPLY_MODE,
      rootOf: async (botMessageId) => {
        try {
          return await this.deps.store.kv.get(rootKey(botMessageId));
        } catch (err) {
          this.log.warn({ err }, "could not look up a reply's conversation");
          return null;
        }
      },
      threadOwner: async (threadId) => {
        try {
          const channel = await call<{ owner_id?: string }>("get channel", () =>
            rest.get(Routes.channel(threadId)),
          );
          return channel.owner_id ?? null;
        } catch (err) {
          this.log.warn({ err, threadId }, "could not look up a thread's owner");
          return null;
        }
      },
    };
  }
}
