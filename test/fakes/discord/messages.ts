/**
 * Creating and editing the bot's messages, with the checks Discord applies: 2,000 characters,
 * no empty messages, valid replies and components, and mentions resolved by `allowed_mentions`
 * (absent means "parse everything", which is how bots end up pinging @everyone).
 */
import type { FakeGateway } from "./gateway.js";
import { INTENT } from "./gateway.js";
import { ApiError, invalidForm, isRecord, unknownMessage } from "./http.js";
import { type AllowedMentions, resolveMentions } from "./mentions.js";
import type { FakeMessage, World } from "./model.js";

/** Discord's content limit for bots (docs, "Create Message"). */
export const MAX_CONTENT_CHARS = 2000;
/** Message flags a bot may set (docs, "Message Flags"). */
const FLAG_SUPPRESS_EMBEDS = 1 << 2;
export const FLAG_EPHEMERAL = 1 << 6;
export const FLAG_LOADING = 1 << 7;
const FLAG_SUPPRESS_NOTIFICATIONS = 1 << 12;
/** custom_id length limit (docs, "Button Object"). */
const MAX_CUSTOM_ID_CHARS = 100;

export interface MessageBody {
  content: string | undefined;
  components: unknown[] | undefined;
  flags: number | undefined;
  allowed: AllowedMentions | undefined;
  reference: { messageId: string; failIfNotExists: boolean } | undefined;
}

export function parseMessageBody(body: unknown, opts: { allowEphemeral: boolean }): MessageBody {
  if (!isRecord(body))
    throw invalidForm("_root", "DICT_TYPE_CONVERT", "Only dictionaries may be used in a DictType");
  const content = body.content;
  if (content !== undefined && content !== null && typeof content !== "string") {
    throw invalidForm("content", "BASE_TYPE_STRING", "Must be a string.");
  }
  if (typeof content === "string" && [...content].length > MAX_CONTENT_CHARS) {
    throw invalidForm("content", "BASE_TYPE_MAX_LENGTH", `Must be ${MAX_CONTENT_CHARS} or fewer in length.`);
  }
  const components = body.components;
  if (components !== undefined && !Array.isArray(components)) {
    throw invalidForm("components", "BASE_TYPE_LIST", "Must be an array.");
  }
  for (const row of components ?? []) checkRow(row);
  const flags = body.flags;
  if (flags !== undefined && typeof flags !== "number")
    throw invalidForm("flags", "NUMBER_TYPE_COERCE", "Not an int.");
  const allowedFlags =
    FLAG_SUPPRESS_EMBEDS | FLAG_SUPPRESS_NOTIFICATIONS | (opts.allowEphemeral ? FLAG_EPHEMERAL : 0);
  if (flags !== undefined && (flags & ~allowedFlags) !== 0) {
    throw invalidForm("flags", "MESSAGE_FLAGS_INVALID", "Invalid flags.");
  }
  const allowed = body.allowed_mentions;
  if (allowed !== undefined && !isRecord(allowed))
    throw invalidForm("allowed_mentions", "DICT_TYPE_CONVERT", "Bad.");
  const ref = body.message_reference;
  let reference: MessageBody["reference"];
  if (isRecord(ref) && typeof ref.message_id === "string") {
    reference = { messageId: ref.message_id, failIfNotExists: ref.fail_if_not_exists !== false };
  }
  return {
    content: typeof content === "string" ? content : undefined,
    components: components as unknown[] | undefined,
    flags: flags as number | undefined,
    allowed: allowed as AllowedMentions | undefined,
    reference,
  };
}

function checkRow(row: unknown): void {
  if (!isRecord(row) || row.type !== 1 || !Array.isArray(row.components)) {
    throw invalidForm("components.0", "UNION_TYPE_CHOICES", 'Value of field "type" must be one of (1,).');
  }
  for (const c of row.components) {
    if (!isRecord(c) || c.type !== 2)
      throw invalidForm("components.0.components.0", "UNION_TYPE_CHOICES", "Bad.");
    if (typeof c.custom_id === "string" && c.custom_id.length > MAX_CUSTOM_ID_CHARS) {
      throw invalidForm(
        "components.0.components.0.custom_id",
        "BASE_TYPE_MAX_LENGTH",
        "Must be 100 or fewer in length.",
      );
    }
    if (typeof c.label === "string" && c.label.length > 80) {
      throw invalidForm(
        "components.0.components.0.label",
        "BASE_TYPE_MAX_LENGTH",
        "Must be 80 or fewer in length.",
      );
    }
  }
}

export class BotMessages {
  constructor(
    private readonly world: World,
    private readonly gateway: FakeGateway,
  ) {}

  create(
    channelId: string,
    body: MessageBody,
    extra: { interactionId?: string; ephemeral?: boolean; loading?: boolean } = {},
  ): FakeMessage {
    const content = body.content ?? "";
    if (content === "" && (body.components ?? []).length === 0 && !extra.loading) {
      throw new ApiError(400, 50006, "Cannot send an empty message");
    }
    let referenceId: string | null = null;
    let repliedAuthor: string | null = null;
    if (body.reference) {
      const ref = this.world.messages.get(body.reference.messageId);
      if (ref && ref.channelId === channelId) {
        referenceId = ref.id;
        repliedAuthor = ref.authorId;
      } else if (body.reference.failIfNotExists) {
        throw invalidForm("message_reference", "MESSAGE_REFERENCE_UNKNOWN_MESSAGE", "Unknown message");
      }
    }
    const m = resolveMentions(content, body.allowed, repliedAuthor);
    const flags =
      (body.flags ?? 0) | (extra.ephemeral ? FLAG_EPHEMERAL : 0) | (extra.loading ? FLAG_LOADING : 0);
    const message = this.world.storeMessage({
      channelId,
      authorId: this.world.bot.id,
      content,
      components: body.components ?? [],
      flags,
      referenceId,
      type: referenceId ? 19 : extra.interactionId ? 20 : 0,
      mentionIds: unique([...m.users, ...(m.pinged.includes(repliedAuthor ?? "") ? [repliedAuthor!] : [])]),
      mentionRoleIds: m.roles,
      mentionEveryone: m.everyone,
      pinged: m.pinged,
      ephemeral: extra.ephemeral ?? false,
      interactionId: extra.interactionId ?? null,
    });
    if (!message.ephemeral) this.dispatch("MESSAGE_CREATE", message);
    return message;
  }

  edit(message: FakeMessage, body: MessageBody): FakeMessage {
    if (message.authorId !== this.world.bot.id) {
      throw new ApiError(403, 50005, "Cannot edit a message authored by another user");
    }
    if (body.content !== undefined) message.content = body.content;
    if (body.components !== undefined) message.components = body.components;
    if (body.flags !== undefined) message.flags = (message.flags & (FLAG_EPHEMERAL | (1 << 5))) | body.flags;
    message.flags &= ~FLAG_LOADING;
    if (message.content === "" && message.components.length === 0) {
      throw new ApiError(400, 50006, "Cannot send an empty message");
    }
    const m = resolveMentions(message.content, body.allowed, null);
    message.mentionIds = m.users;
    message.mentionRoleIds = m.roles;
    message.mentionEveryone = m.everyone;
    message.editedAt = Date.now();
    message.versions.push({
      at: performance.now(),
      content: message.content,
      components: message.components,
    });
    if (!message.ephemeral) this.dispatch("MESSAGE_UPDATE", message);
    return message;
  }

  get(channelId: string, messageId: string): FakeMessage {
    const message = this.world.messages.get(messageId);
    if (!message || message.channelId !== channelId) throw unknownMessage();
    return message;
  }

  private dispatch(event: string, message: FakeMessage): void {
    this.gateway.dispatch(event, this.world.messageJson(message, { withReferenced: true, gateway: true }), {
      guildId: message.guildId,
      intent: message.guildId ? INTENT.guildMessages : INTENT.directMessages,
    });
  }
}

function unique<T>(xs: T[]): T[] {
  return [...new Set(xs)];
}
