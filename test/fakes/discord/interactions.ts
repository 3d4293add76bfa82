/**
 * Interactions in the fake: slash commands and button clicks dispatched as INTERACTION_CREATE,
 * the callback endpoint (3-second deadline, acknowledge once), and the interaction webhook
 * (edit original, follow-ups, 15-minute token lifetime).
 */
import { randomBytes } from "node:crypto";
import type { FakeGateway } from "./gateway.js";
import { ApiError, isRecord, unknownInteraction, unknownMessage } from "./http.js";
import { type BotMessages, FLAG_EPHEMERAL, parseMessageBody } from "./messages.js";
import type { FakeMessage, World } from "./model.js";

/** Interaction callback types (docs, "Interaction Response Type"). */
const CALLBACK = { message: 4, deferredMessage: 5, deferredUpdate: 6, updateMessage: 7, modal: 9 } as const;
/** Discord: a modal's title is at most 45 characters, its custom_id at most 100; 1-5 components. */
const MODAL_TITLE_MAX = 45;
const CUSTOM_ID_MAX = 100;

export interface FakeInteraction {
  id: string;
  token: string;
  /** 2 application command, 3 message component, 5 modal submit. */
  type: 2 | 3 | 5;
  channelId: string;
  guildId: string | null;
  userId: string;
  createdAt: number;
  /** Callback types received, in order (more than one means the fake answered 40060). */
  callbacks: { type: number; data: unknown }[];
  originalMessageId: string | null;
  followupIds: string[];
  /** Component interactions: the message whose button was clicked. */
  messageId: string | null;
  /** The modal this interaction was answered with (callback type 9), as sent. */
  modal?: { custom_id: string; title: string; components: unknown[] };
}

export interface InteractionTiming {
  /** Discord's deadline for the first callback. */
  ackDeadlineMs: number;
  /** Lifetime of the interaction token for webhook calls. */
  tokenLifetimeMs: number;
}

export class Interactions {
  readonly all = new Map<string, FakeInteraction>();

  constructor(
    private readonly world: World,
    private readonly gateway: FakeGateway,
    private readonly messages: BotMessages,
    private readonly timing: InteractionTiming,
  ) {}

  slashCommand(opts: {
    channelId: string;
    userId: string;
    name: string;
    options?: { name: string; type: number; value: unknown }[];
  }): FakeInteraction {
    const interaction = this.add(2, opts.channelId, opts.userId, null);
    this.dispatch(interaction, {
      data: { id: this.world.ids.next(), name: opts.name, type: 1, options: opts.options ?? [] },
    });
    return interaction;
  }

  clickButton(opts: { messageId: string; customId: string; userId: string }): FakeInteraction {
    const message = this.world.messages.get(opts.messageId);
    if (!message) throw new Error(`no message ${opts.messageId}`);
    const interaction = this.add(3, message.channelId, opts.userId, message.id);
    this.dispatch(interaction, {
      data: { custom_id: opts.customId, component_type: 2 },
      message: this.world.messageJson(message),
    });
    return interaction;
  }

  /**
   * The user fills in and sends the modal `opened` answered with: a MODAL_SUBMIT interaction with
   * each text input's value (`values`: custom id -> text), components as they were sent.
   */
  submitModal(opened: FakeInteraction, values: Record<string, string>): FakeInteraction {
    if (!opened.modal) throw new Error("that interaction opened no modal");
    const interaction = this.add(5, opened.channelId, opened.userId, opened.messageId);
    const fill = (c: Record<string, unknown>): Record<string, unknown> =>
      c.type === 4 ? { type: 4, custom_id: c.custom_id, value: values[String(c.custom_id)] ?? "" } : c;
    const components = (opened.modal.components as Record<string, unknown>[]).map((row) =>
      row.type === 18
        ? { type: 18, component: fill(row.component as Record<string, unknown>) }
        : { type: 1, components: ((row.components ?? []) as Record<string, unknown>[]).map(fill) },
    );
    const message = opened.messageId ? this.world.messages.get(opened.messageId) : undefined;
    this.dispatch(interaction, {
      data: { custom_id: opened.modal.custom_id, components },
      ...(message ? { message: this.world.messageJson(message) } : {}),
    });
    return interaction;
  }

  /** POST /interactions/:id/:token/callback */
  callback(id: string, token: string, body: unknown): void {
    const interaction = this.all.get(id);
    if (!interaction || interaction.token !== token) throw unknownInteraction();
    if (Date.now() - interaction.createdAt > this.timing.ackDeadlineMs) throw unknownInteraction();
    if (!isRecord(body) || typeof body.type !== "number") throw new ApiError(400, 50035, "Invalid Form Body");
    interaction.callbacks.push({ type: body.type, data: body.data });
    if (interaction.callbacks.length > 1) {
      throw new ApiError(400, 40060, "Interaction has already been acknowledged.");
    }
    const data = isRecord(body.data) ? body.data : {};
    const ephemeral = typeof data.flags === "number" && (data.flags & FLAG_EPHEMERAL) !== 0;
    switch (body.type) {
      case CALLBACK.message: {
        const m = this.messages.create(
          interaction.channelId,
          parseMessageBody(data, { allowEphemeral: true }),
          {
            interactionId: interaction.id,
            ephemeral,
          },
        );
        interaction.originalMessageId = m.id;
        return;
      }
      case CALLBACK.deferredMessage: {
        const m = this.messages.create(
          interaction.channelId,
          parseMessageBody({}, { allowEphemeral: true }),
          {
            interactionId: interaction.id,
            ephemeral,
            loading: true,
          },
        );
        interaction.originalMessageId = m.id;
        return;
      }
      case CALLBACK.modal: {
        // A modal cannot answer a modal submit.
        if (interaction.type === 5) throw new ApiError(400, 50035, "Invalid Form Body");
        const customId = typeof data.custom_id === "string" ? data.custom_id : "";
        const title = typeof data.title === "string" ? data.title : "";
        const components = Array.isArray(data.components) ? data.components : [];
        if (
          customId === "" ||
          customId.length > CUSTOM_ID_MAX ||
          title === "" ||
          title.length > MODAL_TITLE_MAX ||
          components.length === 0 ||
          components.length > 5
        ) {
          throw new ApiError(400, 50035, "Invalid Form Body");
        }
        interaction.modal = { custom_id: customId, title, components };
        return;
      }
      case CALLBACK.deferredUpdate:
        if (interaction.type !== 3) throw new ApiError(400, 50035, "Invalid Form Body");
        return;
      case CALLBACK.updateMessage: {
        if (interaction.type !== 3 || !interaction.messageId)
          throw new ApiError(400, 50035, "Invalid Form Body");
        const target = this.world.messages.get(interaction.messageId)!;
        this.messages.edit(target, parseMessageBody(data, { allowEphemeral: false }));
        return;
      }
      default:
        throw new ApiError(400, 50035, "Invalid Form Body");
    }
  }

  /** The interaction a webhook token belongs to, if still valid. */
  byToken(applicationId: string, token: string): FakeInteraction {
    if (applicationId !== this.world.bot.id) throw new ApiError(404, 10015, "Unknown Webhook");
    for (const i of this.all.values()) {
      if (i.token !== token) continue;
      if (Date.now() - i.createdAt > this.timing.tokenLifetimeMs) {
        throw new ApiError(401, 50027, "Invalid Webhook Token");
      }
      return i;
    }
    throw new ApiError(404, 10015, "Unknown Webhook");
  }

  /** The message `ref` ("@original" or an id) of an interaction. */
  webhookMessage(interaction: FakeInteraction, ref: string): FakeMessage {
    const id = ref === "@original" ? interaction.originalMessageId : ref;
    if (!id || (ref !== "@original" && !interaction.followupIds.includes(id))) throw unknownMessage();
    const message = this.world.messages.get(id);
    if (!message) throw unknownMessage();
    return message;
  }

  followup(interaction: FakeInteraction, body: unknown): FakeMessage {
    if (interaction.callbacks.length === 0) throw unknownInteraction();
    const parsed = parseMessageBody(body, { allowEphemeral: true });
    const ephemeral = ((parsed.flags ?? 0) & FLAG_EPHEMERAL) !== 0;
    const message = this.messages.create(
      interaction.channelId,
      { ...parsed, flags: (parsed.flags ?? 0) & ~FLAG_EPHEMERAL },
      { interactionId: interaction.id, ephemeral },
    );
    interaction.followupIds.push(message.id);
    return message;
  }

  private add(type: 2 | 3 | 5, channelId: string, userId: string, messageId: string | null): FakeInteraction {
    const interaction: FakeInteraction = {
      id: this.world.ids.next(),
      token: `aW50ZXJhY3Rpb24${randomBytes(24).toString("base64url")}`,
      type,
      channelId,
      guildId: this.world.channels.get(channelId)?.guildId ?? null,
      userId,
      createdAt: Date.now(),
      callbacks: [],
      originalMessageId: null,
      followupIds: [],
      messageId,
    };
    this.all.set(interaction.id, interaction);
    return interaction;
  }

  private dispatch(interaction: FakeInteraction, extra: Record<string, unknown>): void {
    const channel = this.world.channels.get(interaction.channelId);
    const user = this.world.users.get(interaction.userId);
    if (!channel || !user) throw new Error("unknown channel or user");
    const who = interaction.guildId
      ? {
          member: {
            ...this.world.memberJson(user, interaction.guildId),
            permissions: String(this.world.memberPermissions(user.id, channel.id)),
          },
        }
      : { user: this.world.userJson(user) };
    const payload = {
      id: interaction.id,
      application_id: this.world.bot.id,
      type: interaction.type,
      token: interaction.token,
      version: 1,
      channel_id: channel.id,
      channel: this.world.channelJson(channel),
      ...(interaction.guildId ? { guild_id: interaction.guildId, guild_locale: "en-US" } : {}),
      ...who,
      locale: "en-US",
      app_permissions: "2248473465835073",
      entitlements: [],
      authorizing_integration_owners: { "0": interaction.guildId ?? this.world.bot.id },
      context: interaction.guildId ? 0 : 1,
      attachment_size_limit: 10_485_760,
      ...extra,
    };
    this.gateway.dispatch("INTERACTION_CREATE", payload, { guildId: interaction.guildId });
  }
}
