/**
 * The MessageSink for answers in a Discord channel, thread or DM. The core's edit scheduler
 * decides when to post and edit; this turns each call into one REST request with our rendering
 * (no pings, Stop button while streaming) and opens the answer's thread when the first thing
 * is shown (thread mode).
 */
import { type APIMessage, type REST, Routes } from "discord.js";
import { PlatformError } from "../../core/errors.js";
import type {
  DeliveryExtras,
  KeyValueStore,
  MessageSink,
  MessageState,
  PrivateDelivery,
  SinkLimits,
} from "../../core/ports.js";
import type { Logger } from "../../log.js";
import { type FeedbackIds, feedbackIds, feedbackRow } from "./feedback.js";
import {
  DISCORD_EDIT_BUDGET,
  discordLimits,
  type EditBudgetShape,
  messageBody,
  noticeBody,
} from "./render.js";
import { call, DISCORD_CODE, discordCode } from "./rest.js";
import { stopCustomId } from "./stop-button.js";

export type DiscordRest = REST;

/** Where an answer goes. */
export interface ChannelTarget {
  /** `new-thread`: open a thread on the source message first (thread mode); `channel`: post in `channelId`. */
  kind: "new-thread" | "channel";
  /** The channel to post in, or the parent channel of the thread to open. */
  channelId: string;
  /** The user's message being answered. */
  sourceMessageId: string;
  /** Inline answers reply to the user's message (its first part). */
  replyToSource: boolean;
  /** Inline conversations: the root each bot message is remembered under, so replies to it continue. */
  rootId: string | null;
  threadName?: string;
}

/** Typing shows for 10 s on Discord (docs, "Trigger Typing Indicator"); refresh a bit before. */
const TYPING_REFRESH_MS = 9000;
/** Auto-archive a bot thread after a day without messages (the Discord client's default choice). */
const THREAD_AUTO_ARCHIVE_MINUTES = 1440;
/**
 * Longest wait for the channel's message-create bucket taken inside the sink: one Discord
 * window (5 s) plus margin. Beyond that the core decides.
 */
const POST_MAX_WAIT_MS = 6000;

/** Threads cannot be opened here: answer inline instead of not at all. */
const THREAD_FALLBACK_CODES = new Set<number>([
  DISCORD_CODE.missingPermissions,
  DISCORD_CODE.missingAccess,
  DISCORD_CODE.wrongChannelType,
]);

export function rootKey(botMessageId: string): string {
  return `discord:root:${botMessageId}`;
}

export interface ChannelSinkDeps {
  rest: DiscordRest;
  kv: KeyValueStore;
  log: Logger;
  /** How long a bot message's conversation root is remembered (the history's lifetime). */
  rootTtlMs: number;
  budget?: EditBudgetShape;
  /** Thumbs up / down under a rateable answer's final text (feedback.ts). */
  feedback?: boolean;
}

export class ChannelSink implements MessageSink {
  readonly limits: SinkLimits;
  private readonly stopId: string;
  private readonly feedbackIds: FeedbackIds | null;
  private readonly userId: string;
  private thread: Promise<string> | null = null;
  /** The typing request in flight, if any. */
  private typing: Promise<unknown> | null = null;
  /** Resolved channel to post in (the new thread, or the parent when threads are not allowed). */
  private postChannelId: string | null;
  private replyToSource: boolean;
  private rootId: string | null;
  private posted = 0;
  private lastTypingAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly deps: ChannelSinkDeps,
    private readonly target: ChannelTarget,
    turn: { userId: string; messageId: string },
  ) {
    // A thread started from a message has that message's id, so its bucket scope is known now.
    const scope = target.kind === "new-thread" ? target.sourceMessageId : target.channelId;
    this.limits = discordLimits(scope, deps.budget ?? DISCORD_EDIT_BUDGET);
    this.stopId = stopCustomId(turn.userId, turn.messageId);
    this.feedbackIds = deps.feedback ? feedbackIds(turn.userId, turn.messageId) : null;
    this.userId = turn.userId;
    this.postChannelId = target.kind === "channel" ? target.channelId : null;
    this.replyToSource = target.replyToSource;
    this.rootId = target.rootId;
  }

  async post(text: string, state: MessageState, extras?: DeliveryExtras): Promise<string> {
    const channelId = await this.channel();
    // A typing request that lands after the message would show "typing..." under the finished
    // answer for 10 s: let one still in flight arrive first.
    if (this.typing) await this.typing.catch(() => {});
    const body = {
      ...messageBody(text, state, this.stopId, this.finalRow(extras)),
      ...(this.replyToSource && this.posted === 0 ? this.reference() : {}),
    };
    const message = await this.createMessage(channelId, body);
    this.posted++;
    await this.rememberRoot(message.id);
    return message.id;
  }

  async edit(ref: string, text: string, state: MessageState, extras?: DeliveryExtras): Promise<void> {
    const channelId = await this.channel();
    await call("edit message", () =>
      this.deps.rest.patch(Routes.channelMessage(channelId, ref), {
        body: messageBody(text, state, this.stopId, this.finalRow(extras)),
      }),
    );
  }

  /** The feedback buttons, with the final text of a rateable answer only. */
  private finalRow(extras: DeliveryExtras | undefined): Record<string, unknown> | undefined {
    return extras?.rateable && this.feedbackIds ? feedbackRow(this.feedbackIds) : undefined;
  }

  /** Refusals (throttled, busy) go under the user's message; no thread is opened just for them. */
  async notice(text: string): Promise<void> {
    const unopened = this.target.kind === "new-thread" && this.thread === null;
    const channelId = unopened ? this.target.channelId : await this.channel();
    const reply = unopened || this.replyToSource;
    const body = { ...noticeBody(text), ...(reply ? this.reference() : {}) };
    const message = await this.createMessage(channelId, body);
    await this.rememberRoot(message.id, unopened ? this.target.sourceMessageId : this.rootId);
  }

  /**
   * Personal details for the asker alone: a DM (Create DM, then a message in it). A user who
   * allows no DMs from server members makes Discord answer 50007; that error goes back to the
   * core, which says so in the public answer. Discord has no ephemeral channel messages outside
   * interactions, so there is no other private way here.
   */
  async sendPrivately(text: string): Promise<PrivateDelivery> {
    const dm = await call<{ id: string }>("open DM", () =>
      this.deps.rest.post(Routes.userChannels(), { body: { recipient_id: this.userId } }),
    );
    await this.createMessage(dm.id, noticeBody(text));
    return "dm";
  }

  /**
   * The typing indicator, until the first text is posted (posting clears it on Discord). After
   * that it is not refreshed: it would linger up to 10 s past the final answer.
   */
  async status(text: string): Promise<void> {
    if (text === "" || this.posted > 0) return;
    const now = Date.now();
    if (now - this.lastTypingAt < TYPING_REFRESH_MS) return;
    this.lastTypingAt = now;
    const typing = this.channel().then((channelId) =>
      call("typing", () => this.deps.rest.post(Routes.channelTyping(channelId))),
    );
    this.typing = typing;
    await typing;
  }

  /**
   * Create a message, waiting out the channel's message-create bucket here: Discord limits
   * sends and edits in separate buckets, so a wait for a send must not pause the core's edit
   * budget for the channel (which it does for a rate-limit error it sees). Longer waits go back
   * to the core.
   */
  private async createMessage(channelId: string, body: object): Promise<APIMessage> {
    let waitedMs = 0;
    for (;;) {
      try {
        return await call<APIMessage>("post message", () =>
          this.deps.rest.post(Routes.channelMessages(channelId), { body }),
        );
      } catch (err) {
        const waitMs = err instanceof PlatformError ? err.retryAfterMs : undefined;
        if (waitMs === undefined || waitedMs + waitMs > POST_MAX_WAIT_MS) throw err;
        waitedMs += waitMs;
        await new Promise((resolve) => setTimeout(resolve, waitMs));
      }
    }
  }

  /** The channel to post in; in thread mode, opens the thread (once). */
  private channel(): Promise<string> {
    if (this.postChannelId) return Promise.resolve(this.postChannelId);
    if (!this.thread) {
      this.thread = this.openThread().catch((err: unknown) => {
        this.thread = null; // a transient failure may be retried by the next call
        throw err;
      });
    }
    return this.thread;
  }

  private async openThread(): Promise<string> {
    const { channelId, sourceMessageId, threadName } = this.target;
    try {
      const thread = await call<{ id: string }>("start thread", () =>
        this.deps.rest.post(Routes.threads(channelId, sourceMessageId), {
          body: { name: threadName ?? "Conversation", auto_archive_duration: THREAD_AUTO_ARCHIVE_MINUTES },
        }),
      );
      this.postChannelId = thread.id;
    } catch (err) {
      const code = discordCode(err);
      if (code === DISCORD_CODE.threadAlreadyCreated) {
        // Opened before (another replica, or a retry after a crash): same id as the message.
        this.postChannelId = sourceMessageId;
      } else if (code !== undefined && THREAD_FALLBACK_CODES.has(code)) {
        this.deps.log.warn({ channelId, code }, "cannot open a thread here; answering inline");
        this.postChannelId = channelId;
        this.replyToSource = true;
        this.rootId = sourceMessageId;
      } else {
        throw err;
      }
    }
    return this.postChannelId;
  }

  private reference(): Record<string, unknown> {
    return { message_reference: { message_id: this.target.sourceMessageId, fail_if_not_exists: false } };
  }

  private async rememberRoot(botMessageId: string, root: string | null = this.rootId): Promise<void> {
    if (!root) return;
    try {
      await this.deps.kv.set(rootKey(botMessageId), root, this.deps.rootTtlMs);
    } catch (err) {
      // Replies to this message will start a new conversation; the answer itself is fine.
      this.deps.log.warn({ err, botMessageId }, "could not remember the conversation of a bot message");
    }
  }
}
