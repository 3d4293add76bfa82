/**
 * The shapes the conversation core speaks. Adapters translate platform events into these;
 * the core never sees a Slack or Discord object.
 */

export type Platform = "slack" | "discord" | "web";

/** How the message reached the bot: an @mention in a channel, a direct message, or a command. */
export type MessageKind = "mention" | "dm" | "command";

/**
 * Who can read a conversation. `private`: only the asker and the bot (a DM, a Slack assistant
 * thread, a web chat session). `shared`: other people too (a channel, a channel thread, a group
 * DM). Personal data is only ever shown in private places (docs/security.md).
 */
export type Audience = "private" | "shared";

export interface IncomingMessage {
  platform: Platform;
  /** Slack team id, Discord guild id (or "@dm"), web: "local". Scope of the edit budget. */
  workspaceId: string;
  channelId: string;
  /** The conversation thread. Slack thread_ts, Discord thread/channel id, web session id. */
  threadId: string;
  userId: string;
  /**
   * Where `userId` is unique, when it is not unique across the whole platform: the Slack
   * enterprise (Grid) id, else the team id. Absent where user ids are global (Discord). Per-user
   * limits key on platform + userScope + userId, so they follow a person across workspaces.
   */
  userScope?: string | undefined;
  /** Platform id of the message; with `platform` it is the dedup key. */
  messageId: string;
  text: string;
  kind: MessageKind;
  /** Display name of the author, if the adapter knows it (shown to the model as the user's name). */
  userName?: string;
  /** Set by the adapter; when absent, a `dm` is private and anything else shared (`audienceOf`). */
  audience?: Audience;
  /** Files attached to the message (screenshots, logs, PDFs): read by the core within limits. */
  attachments?: IncomingAttachment[] | undefined;
  /**
   * The channel a thread belongs to, when `channelId` is the thread's own id (Discord answers in
   * a thread the bot did not open): the policy of that channel applies (docs/policy.md).
   */
  parentChannelId?: string | undefined;
}

/**
 * A file attached to a chat message. The adapter knows where it lives and how to fetch it (Slack:
 * `url_private` with the workspace's token; Discord: the CDN URL; web chat: bytes already
 * uploaded); the core decides whether and how to read it.
 */
export interface IncomingAttachment {
  /** File name as the platform shows it. */
  name: string;
  /** The MIME type the platform declares. A hint only: the content decides. */
  declaredType?: string | undefined;
  /** The size the platform declares. Never trusted for limits: `read` enforces them. */
  declaredBytes?: number | undefined;
  /**
   * The file's bytes: at most `maxBytes` (counted while streaming, whatever was declared), within
   * `timeoutMs`. Rejects with an `AttachmentError` ("too_big", "timeout", "download_failed").
   */
  read(limits: { maxBytes: number; timeoutMs: number; signal: AbortSignal }): Promise<Uint8Array>;
}

/** A conversation wherever it is: the parts of a message that name its thread (see `threadKeyOf`). */
export type ConversationRef = Pick<IncomingMessage, "platform" | "workspaceId" | "channelId" | "threadId">;

/** Who can read the message's conversation; shared unless the adapter or the kind says private. */
export function audienceOf(msg: Pick<IncomingMessage, "audience" | "kind">): Audience {
  return msg.audience ?? (msg.kind === "dm" ? "private" : "shared");
}

/** One line of a channel transcript handed to `summarize`. */
export interface TranscriptLine {
  author: string;
  text: string;
  /** Epoch milliseconds. */
  at: number;
}

/** A tool call the model asked for. `arguments` is the raw JSON string the model produced. */
export interface ToolCall {
  id: string;
  name: string;
  arguments: string;
}

/** What the history remembers of a turn: user message, tool rounds, answer. */
export type HistoryEntry =
  | { role: "user"; content: string; name?: string | undefined }
  | { role: "assistant"; content: string | null; toolCalls?: ToolCall[] | undefined }
  | { role: "tool"; toolCallId: string; name: string; content: string };

/** A whole turn is stored (and trimmed) as a unit, so tool calls never lose their results. */
export interface StoredTurn {
  /** Epoch milliseconds when the turn finished. */
  at: number;
  entries: HistoryEntry[];
  /** Tokens the entries take in a request, counted once when the turn is saved. */
  tokens?: number | undefined;
  /**
   * User key (`userKeyOf`) of the person who asked: `/forget` removes their turns from a shared
   * thread and leaves everyone else's. Absent in turns saved before it was recorded.
   */
  author?: string | undefined;
}

/** Messages in the shape the model port takes (system prompt first). */
export type ModelMessage = { role: "system"; content: string } | HistoryEntry;

export function threadKeyOf(
  msg: Pick<IncomingMessage, "platform" | "workspaceId" | "channelId" | "threadId">,
): string {
  return `${msg.platform}:${msg.workspaceId}:${msg.channelId}:${msg.threadId}`;
}

/**
 * The key of a person's per-user limits (request throttle, daily token budget, order-lookup
 * failures): the same in every guild, workspace and DM where the platform knows them by one id.
 */
export function userKeyOf(msg: Pick<IncomingMessage, "platform" | "userScope" | "userId">): string {
  return msg.userScope ? `${msg.platform}:${msg.userScope}:${msg.userId}` : `${msg.platform}:${msg.userId}`;
}
