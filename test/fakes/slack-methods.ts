/**
 * The fake Slack's Web API methods. Each returns Slack's JSON answer: `{ok: true, ...}` or
 * `{ok: false, error}` with the error code real Slack uses for that situation.
 */
import {
  FAKE_APP_TOKEN,
  FAKE_BOT_ID,
  FAKE_BOT_USER_ID,
  type FakeMessage,
  type FakeSlack,
} from "./slack-api.js";
import { openView } from "./slack-views.js";

export type ApiArgs = Record<string, unknown>;
type Result = Record<string, unknown> & { ok: boolean };

/** Slack's limits: a section's text, blocks per message, markdown per message and stream call. */
const SECTION_TEXT_MAX = 3000;
const MARKDOWN_BLOCK_MAX = 12_000;
const BLOCKS_MAX = 50;
const STREAM_MARKDOWN_MAX = 12_000;
const BUTTON_VALUE_MAX = 2000;
const HISTORY_PAGE_MAX = 999;

const fail = (error: string, extra: Record<string, unknown> = {}): Result => ({ ok: false, error, ...extra });

export function handleMethod(fake: FakeSlack, method: string, args: ApiArgs, token: string): Result {
  if (method === "apps.connections.open") {
    if (token !== FAKE_APP_TOKEN) return fail(token ? "invalid_auth" : "not_authed");
    return { ok: true, url: `${fake.url.replace(/^http/, "ws")}/socket` };
  }
  if (method === "oauth.v2.access") return fake.oauth.access(args);
  if (!token) return fail("not_authed");
  const workspace = fake.oauth.workspaces.get(token);
  if (!workspace) return fail("invalid_auth");
  if (method === "auth.test") return fake.oauth.authTest(workspace);
  const handler = METHODS[method];
  if (!handler) return fail("unknown_method");
  if (method.startsWith("chat.") && method.endsWith("Stream") && !fake.options.nativeStreaming) {
    return fail("unknown_method");
  }
  return handler(fake, args);
}

const METHODS: Record<string, (fake: FakeSlack, args: ApiArgs) => Result> = {
  "chat.postMessage": (fake, args) => {
    const denied = canWrite(fake, args.channel);
    if (denied) return denied;
    const invalid = validateContent(fake, args);
    if (invalid) return invalid;
    const msg: FakeMessage = {
      channel: String(args.channel),
      ts: fake.nextTs(),
      ...(typeof args.thread_ts === "string" ? { threadTs: args.thread_ts } : {}),
      user: FAKE_BOT_USER_ID,
      botId: FAKE_BOT_ID,
      text: String(args.text ?? ""),
      ...(Array.isArray(args.blocks) ? { blocks: args.blocks } : {}),
      timeline: [],
    };
    msg.timeline.push({ at: Date.now(), text: renderVisible(msg), method: "chat.postMessage" });
    fake.messages.push(msg);
    return { ok: true, channel: msg.channel, ts: msg.ts, message: { ts: msg.ts, text: msg.text } };
  },

  "chat.update": (fake, args) => {
    const denied = canWrite(fake, args.channel);
    if (denied) return denied;
    const msg = fake.messages.find((m) => m.channel === args.channel && m.ts === args.ts);
    if (!msg) return fail("message_not_found");
    if (msg.botId !== FAKE_BOT_ID) return fail("cant_update_message");
    const invalid = validateContent(fake, args);
    if (invalid) return invalid;
    msg.text = String(args.text ?? "");
    msg.blocks = Array.isArray(args.blocks) ? args.blocks : [];
    if (msg.stream) msg.stream.state = "stopped";
    msg.stream = undefined;
    msg.timeline.push({ at: Date.now(), text: renderVisible(msg), method: "chat.update" });
    return { ok: true, channel: msg.channel, ts: msg.ts, text: msg.text };
  },

  "chat.getPermalink": (fake, args) => {
    const denied = canRead(fake, args.channel);
    if (denied) return denied;
    const msg = fake.messages.find((m) => m.channel === args.channel && m.ts === args.message_ts);
    if (!msg) return fail("message_not_found");
    return {
      ok: true,
      channel: msg.channel,
      permalink: `https://fake.slack.com/archives/${msg.channel}/p${msg.ts.replace(".", "")}`,
    };
  },

  "chat.postEphemeral": (fake, args) => {
    const denied = canWrite(fake, args.channel);
    if (denied) return denied;
    if (!fake.users.has(String(args.user))) return fail("user_not_found");
    const invalid = validateContent(fake, args);
    if (invalid) return invalid;
    const blocks = Array.isArray(args.blocks) ? args.blocks : undefined;
    fake.ephemerals.push({
      channel: String(args.channel),
      user: String(args.user),
      text: String(args.text ?? ""),
      ...(blocks ? { blocks } : {}),
      ...(typeof args.thread_ts === "string" ? { threadTs: args.thread_ts } : {}),
      at: Date.now(),
    });
    return { ok: true, message_ts: fake.nextTs() };
  },

  "chat.startStream": (fake, args) => {
    const denied = canWrite(fake, args.channel);
    if (denied) return denied;
    const channel = fake.channels.get(String(args.channel));
    if (typeof args.thread_ts !== "string") return fail("invalid_arguments");
    // Streams outside a DM need to know who reads them.
    if (channel?.type !== "im" && (!args.recipient_user_id || !args.recipient_team_id)) {
      return fail(args.recipient_user_id ? "missing_recipient_team_id" : "missing_recipient_user_id");
    }
    const markdown = String(args.markdown_text ?? "");
    if (markdown.length > STREAM_MARKDOWN_MAX) return fail("msg_too_long");
    const msg: FakeMessage = {
      channel: String(args.channel),
      ts: fake.nextTs(),
      threadTs: args.thread_ts,
      user: FAKE_BOT_USER_ID,
      botId: FAKE_BOT_ID,
      text: "",
      stream: { state: "open", startedAt: Date.now(), markdown, stoppedByUser: false },
      timeline: [],
    };
    msg.timeline.push({ at: Date.now(), text: markdown, method: "chat.startStream" });
    fake.messages.push(msg);
    return { ok: true, channel: msg.channel, ts: msg.ts };
  },

  "chat.appendStream": (fake, args) => streamStep(fake, args, false),
  "chat.stopStream": (fake, args) => streamStep(fake, args, true),

  // Opens (or finds) the bot's DM with one user: `users` is a comma-separated list of ids.
  "conversations.open": (fake, args) => {
    if (!fake.scopes.has("im:write")) return fail("missing_scope", { needed: "im:write" });
    if (typeof args.users !== "string" || args.users === "") return fail("users_list_not_supplied");
    const users = args.users.split(",");
    if (users.length > 1) return fail("method_not_supported_for_channel_type");
    const user = fake.users.get(users[0] ?? "");
    if (!user) return fail("user_not_found");
    const id = `D${user.id}`;
    const existing = fake.channels.get(id);
    if (!existing) fake.addChannel({ id, name: id.toLowerCase(), type: "im", botMember: true });
    return {
      ok: true,
      channel: { id },
      ...(existing ? { no_op: true, already_open: true } : {}),
    };
  },

  "files.info": (fake, args) => {
    if (!fake.scopes.has("files:read")) return fail("missing_scope", { needed: "files:read" });
    const file = fake.files.info(String(args.file ?? ""));
    return file ? { ok: true, file } : fail("file_not_found");
  },

  "conversations.history": (fake, args) => {
    const denied = canRead(fake, args.channel);
    if (denied) return denied;
    const oldest = Number(args.oldest ?? 0);
    const latest = args.latest === undefined ? Number.POSITIVE_INFINITY : Number(args.latest);
    const all = fake.messages
      .filter((m) => m.channel === args.channel && (m.threadTs === undefined || m.threadTs === m.ts))
      .filter((m) => Number(m.ts) > oldest && Number(m.ts) < latest)
      .sort((a, b) => Number(b.ts) - Number(a.ts));
    return page(all, args);
  },

  "conversations.replies": (fake, args) => {
    const denied = canRead(fake, args.channel);
    if (denied) return denied;
    const parent = fake.messages.find((m) => m.channel === args.channel && m.ts === args.ts);
    if (!parent) return fail("thread_not_found");
    const thread = fake.messages
      .filter((m) => m.channel === args.channel && (m.ts === args.ts || m.threadTs === args.ts))
      .sort((a, b) => Number(a.ts) - Number(b.ts));
    return page(thread, args);
  },

  "conversations.members": (fake, args) => {
    const channel = fake.channels.get(String(args.channel));
    // Private conversations the bot is not in do not exist as far as the bot can tell.
    if (!channel || (channel.type !== "public" && !channel.botMember)) return fail("channel_not_found");
    const needed =
      channel.type === "public" ? "channels:read" : channel.type === "private" ? "groups:read" : "im:read";
    if (!fake.scopes.has(needed))
      return fail("missing_scope", { needed, provided: [...fake.scopes].join(",") });
    const humans = channel.members ?? [...fake.users.values()].filter((u) => !u.isBot).map((u) => u.id);
    const ids = [...humans, ...(channel.botMember ? [FAKE_BOT_USER_ID] : [])];
    const limit = Number(args.limit ?? 100);
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) return fail("invalid_limit");
    const start = args.cursor ? Number(String(args.cursor).replace("members:", "")) : 0;
    if (!Number.isInteger(start) || start < 0) return fail("invalid_cursor");
    const next = start + limit < ids.length ? `members:${start + limit}` : "";
    return { ok: true, members: ids.slice(start, start + limit), response_metadata: { next_cursor: next } };
  },

  "users.info": (fake, args) => {
    if (!fake.scopes.has("users:read")) return fail("missing_scope", { needed: "users:read" });
    const user = fake.users.get(String(args.user));
    if (!user) return fail("user_not_found");
    return {
      ok: true,
      user: {
        id: user.id,
        name: user.name,
        real_name: user.realName,
        is_bot: user.isBot ?? false,
        profile: { display_name: user.name, real_name: user.realName },
      },
    };
  },

  "views.open": (fake, args) => openView(fake.views, args),

  "assistant.threads.setStatus": (fake, args) => assistantCall(fake, "assistant.threads.setStatus", args),
  "assistant.threads.setSuggestedPrompts": (fake, args) =>
    assistantCall(fake, "assistant.threads.setSuggestedPrompts", args),
  "assistant.threads.setTitle": (fake, args) => assistantCall(fake, "assistant.threads.setTitle", args),
};

function streamStep(fake: FakeSlack, args: ApiArgs, stop: boolean): Result {
  const msg = fake.messages.find((m) => m.channel === args.channel && m.ts === args.ts);
  if (!msg) return fail("message_not_found");
  const stream = msg.stream;
  if (stream?.state !== "open") return fail("message_not_in_streaming_state");
  if (stream.stoppedByUser) {
    stream.state = "stopped";
    return fail("stopped_by_user");
  }
  if (Date.now() - stream.startedAt > fake.options.streamLifetimeMs) {
    stream.state = "stopped";
    return fail("message_not_in_streaming_state");
  }
  const markdown = String(args.markdown_text ?? "");
  if (!stop && markdown === "" && !Array.isArray(args.chunks)) return fail("invalid_arguments");
  if (markdown.length > STREAM_MARKDOWN_MAX) return fail("msg_too_long");
  stream.markdown += markdown;
  if (stop) {
    stream.state = "stopped";
    if (Array.isArray(args.blocks)) msg.blocks = args.blocks;
  }
  msg.timeline.push({
    at: Date.now(),
    text: stream.markdown,
    method: stop ? "chat.stopStream" : "chat.appendStream",
  });
  return { ok: true, channel: msg.channel, ts: msg.ts };
}

function assistantCall(fake: FakeSlack, method: string, args: ApiArgs): Result {
  if (!fake.scopes.has("assistant:write")) return fail("missing_scope", { needed: "assistant:write" });
  const channel = fake.channels.get(String(args.channel_id));
  if (channel?.type !== "im") return fail("channel_not_found");
  if (typeof args.thread_ts !== "string") return fail("invalid_arguments");
  fake.assistantCalls.push({ method, args, at: Date.now() });
  return { ok: true };
}

function canWrite(fake: FakeSlack, channelId: unknown): Result | null {
  if (!fake.scopes.has("chat:write")) return fail("missing_scope", { needed: "chat:write" });
  const channel = fake.channels.get(String(channelId));
  if (!channel) return fail("channel_not_found");
  if (!channel.botMember) return fail(channel.type === "public" ? "not_in_channel" : "channel_not_found");
  return null;
}

function canRead(fake: FakeSlack, channelId: unknown): Result | null {
  const channel = fake.channels.get(String(channelId));
  if (!channel) return fail("channel_not_found");
  // Private channels the bot is not in do not exist as far as the bot can tell.
  if (!channel.botMember) return fail(channel.type === "public" ? "not_in_channel" : "channel_not_found");
  const needed =
    channel.type === "public"
      ? "channels:history"
      : channel.type === "private"
        ? "groups:history"
        : "im:history";
  if (!fake.scopes.has(needed))
    return fail("missing_scope", { needed, provided: [...fake.scopes].join(",") });
  return null;
}

function validateContent(fake: FakeSlack, args: ApiArgs): Result | null {
  const text = typeof args.text === "string" ? args.text : "";
  const blocks = Array.isArray(args.blocks) ? (args.blocks as Record<string, unknown>[]) : [];
  if (text === "" && blocks.length === 0) return fail("no_text");
  if (text.length > fake.options.maxTextChars) return fail("msg_too_long");
  if (blocks.length > BLOCKS_MAX) return fail("invalid_blocks");
  let markdownChars = 0;
  for (const block of blocks) {
    const sectionText = (block.text as { text?: string } | undefined)?.text ?? "";
    if (block.type === "section" && (sectionText.length === 0 || sectionText.length > SECTION_TEXT_MAX)) {
      return fail("invalid_blocks");
    }
    if (block.type === "markdown") {
      // Slack: text is required, standard markdown, at most 12,000 characters.
      if (typeof block.text !== "string" || block.text.length === 0) return fail("invalid_blocks");
      if (block.text.length > MARKDOWN_BLOCK_MAX) {
        return fail("invalid_blocks", { errors: [`must be less than ${MARKDOWN_BLOCK_MAX + 1} characters`] });
      }
      markdownChars += block.text.length;
    }
    for (const el of (block.elements ?? []) as { value?: string }[]) {
      if ((el.value ?? "").length > BUTTON_VALUE_MAX) return fail("invalid_blocks");
    }
    if (block.type === "context_actions" && !validContextActions(block.elements))
      return fail("invalid_blocks");
  }
  // The 12,000 characters are for all markdown blocks of one message together.
  if (markdownChars > MARKDOWN_BLOCK_MAX) return fail("msg_blocks_too_long");
  return null;
}

/** Slack: 1-5 elements, feedback buttons (two plain_text buttons, values up to 2000) or icon buttons. */
function validContextActions(elements: unknown): boolean {
  if (!Array.isArray(elements) || elements.length === 0 || elements.length > 5) return false;
  return elements.every((el: Record<string, unknown>) => {
    if (el.type === "icon_button") return true;
    if (el.type !== "feedback_buttons") return false;
    return [el.positive_button, el.negative_button].every((b) => {
      const button = b as { text?: { type?: string; text?: string }; value?: unknown } | undefined;
      return (
        button?.text?.type === "plain_text" &&
        (button.text.text ?? "").length > 0 &&
        (button.text.text ?? "").length <= 75 &&
        typeof button.value === "string" &&
        button.value.length <= BUTTON_VALUE_MAX
      );
    });
  });
}

/** What the user reads: the section and markdown blocks in order, else the plain text. */
function renderVisible(msg: FakeMessage): string {
  const parts: string[] = [];
  for (const block of (msg.blocks ?? []) as { type?: string; text?: { text?: string } | string }[]) {
    if (block.type === "section" && typeof block.text === "object") parts.push(block.text.text ?? "");
    if (block.type === "markdown" && typeof block.text === "string") parts.push(block.text);
  }
  return parts.length > 0 ? parts.join("") : msg.text;
}

function page(all: FakeMessage[], args: ApiArgs): Result {
  const limit = Math.min(Number(args.limit ?? 100) || 100, HISTORY_PAGE_MAX);
  const start = args.cursor ? Number(String(args.cursor).replace("next:", "")) : 0;
  const slice = all.slice(start, start + limit);
  const next = start + limit < all.length ? `next:${start + limit}` : "";
  return {
    ok: true,
    messages: slice.map((m) => ({
      type: "message",
      ts: m.ts,
      text: m.stream ? m.stream.markdown : m.text,
      ...(m.user ? { user: m.user } : {}),
      ...(m.botId ? { bot_id: m.botId } : {}),
      ...(m.subtype ? { subtype: m.subtype } : {}),
      ...(m.threadTs ? { thread_ts: m.threadTs } : {}),
      ...(m.blocks ? { blocks: m.blocks } : {}),
      ...(m.files ? { files: m.files } : {}),
    })),
    has_more: next !== "",
    response_metadata: { next_cursor: next },
  };
}
