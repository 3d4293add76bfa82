/**
 * The MessageSink for a slash command's answer (/summarize). The command was deferred ("Bot is
 * thinking..."); the first post fills that deferred reply, further parts are follow-ups, and
 * every edit goes through the interaction webhook, which works for 15 minutes after the
 * command. Ephemeral replies stay ephemeral in their follow-ups.
 */
import { type APIMessage, Routes } from "discord.js";
import type { MessageSink, MessageState, SinkLimits } from "../../core/ports.js";
import {
  DISCORD_EDIT_BUDGET,
  discordLimits,
  type EditBudgetShape,
  FLAG_EPHEMERAL,
  FLAG_SUPPRESS_EMBEDS,
  messageBody,
  noticeBody,
} from "./render.js";
import { call } from "./rest.js";
import type { DiscordRest } from "./sink.js";
import { stopCustomId } from "./stop-button.js";

/** The deferred reply, in webhook paths. */
const ORIGINAL = "@original";

export interface InteractionRef {
  id: string;
  token: string;
  applicationId: string;
  userId: string;
  ephemeral: boolean;
}

export class InteractionSink implements MessageSink {
  readonly limits: SinkLimits;
  private readonly stopId: string;
  private posted = 0;

  constructor(
    private readonly rest: DiscordRest,
    private readonly interaction: InteractionRef,
    budget: EditBudgetShape = DISCORD_EDIT_BUDGET,
  ) {
    // Interaction webhooks have their own bucket per token, not the channel's.
    this.limits = discordLimits(`interaction:${interaction.id}`, budget);
    this.stopId = stopCustomId(interaction.userId, interaction.id);
  }

  async post(text: string, state: MessageState): Promise<string> {
    return this.send(messageBody(text, state, this.stopId));
  }

  async edit(ref: string, text: string, state: MessageState): Promise<void> {
    const { applicationId, token } = this.interaction;
    await call("edit interaction reply", () =>
      this.rest.patch(Routes.webhookMessage(applicationId, token, ref), {
        auth: false,
        body: messageBody(text, state, this.stopId),
      }),
    );
  }

  async notice(text: string): Promise<void> {
    await this.send(noticeBody(text));
  }

  /** The deferred reply already shows "thinking"; there is nothing better to show. */
  async status(_text: string): Promise<void> {}

  private async send(body: ReturnType<typeof messageBody>): Promise<string> {
    const { applicationId, token, ephemeral } = this.interaction;
    if (this.posted === 0) {
      await call("fill deferred reply", () =>
        this.rest.patch(Routes.webhookMessage(applicationId, token, ORIGINAL), { auth: false, body }),
      );
      this.posted++;
      return ORIGINAL;
    }
    const flags = FLAG_SUPPRESS_EMBEDS | (ephemeral ? FLAG_EPHEMERAL : 0);
    const message = await call<APIMessage>("post follow-up", () =>
      this.rest.post(Routes.webhook(applicationId, token), { auth: false, body: { ...body, flags } }),
    );
    this.posted++;
    return message.id;
  }
}
