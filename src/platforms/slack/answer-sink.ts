/**
 * Where one answer appears in Slack. The core's scheduler decides when to post and edit; this
 * sink decides how:
 * - native streaming (chat.startStream / appendStream / stopStream) when enabled, the answer is a
 *   thread reply and the workspace's stream budget allows; Slack renders the markdown itself;
 * - otherwise chat.postMessage + chat.update with the markdown in a `markdown` block (Slack
 *   renders it, see render.ts) and a Stop button while the answer grows.
 * A stream that Slack no longer accepts (expired after ~5 minutes, method missing) continues as
 * an ordinary message: the text the user already sees is kept and completed with chat.update.
 */
import { PlatformError } from "../../core/errors.js";
import type {
  DeliveryExtras,
  EditBudgetChoice,
  MessageSink,
  MessageState,
  PrivateDelivery,
  SinkLimits,
} from "../../core/ports.js";
import type { Logger } from "../../log.js";
import type { SlackApi } from "./api.js";
import type { SlackBudgets } from "./budgets.js";
import { defuseMentions, settledLength } from "./outgoing.js";
import type { ChannelPacer } from "./rate-gates.js";
import { FallbackText, renderMessage, renderText, type SlackBlock, STOP_ACTION_ID } from "./render.js";

/** Slack: chat.appendStream's markdown_text is limited to 12,000 characters per call. */
const STREAM_CALL_MAX_CHARS = 12_000;
/** A notice may wait this long for a rate limit before it is given up. */
const NOTICE_MAX_WAIT_MS = 10_000;
/** Errors that mean "this workspace has no native streaming for us": fall back for good. */
const NO_STREAMING_CODES = new Set([
  "unknown_method",
  "not_allowed_token_type",
  "method_deprecated",
  "feature_not_enabled",
]);
/**
 * Errors that may be about this one conversation (a channel or thread kind streams do not
 * support): this answer uses edits, the next one tries streaming again.
 */
const NOT_HERE_CODES = new Set(["not_allowed", "invalid_arguments"]);
/** Errors after which the message itself is gone or frozen: post a new one instead. */
const GONE_CODES = new Set(["message_not_found", "cant_update_message", "edit_window_closed"]);
/**
 * Slack refusing the blocks of a call: the feedback buttons (a newer block type) are then dropped
 * and the call made again, so the answer still gets its final text; a rating is a bonus.
 */
const BLOCKS_REFUSED_CODES = new Set(["invalid_blocks", "invalid_blocks_format"]);

export interface StreamingSupport {
  enabled: boolean;
  /** Set to false for the rest of the process when Slack says the methods do not exist. */
  available: boolean;
}

export interface AnswerTarget {
  teamId: string;
  channel: string;
  /** Reply in this thread (mentions, assistant threads); top level when absent. */
  threadTs?: string | undefined;
  /** The person asking: recipient of notices and of the stream. */
  userId: string;
  /** Set in an assistant thread: status() shows there. */
  assistantThread?: boolean;
}

export interface AnswerSinkDeps {
  api: SlackApi;
  pacer: ChannelPacer;
  streaming: StreamingSupport;
  /** The workspace's per-method budgets, shared by every replica. */
  budgets: SlackBudgets;
  limits: SinkLimits;
  /** Minimum time between two appends to one stream (chat.update has `limits.minEditIntervalMs`). */
  streamMinAppendIntervalMs: number;
  log: Logger;
  /** Value of the Stop button; no button when absent. */
  stopValue?: string | undefined;
  /** Slack's own stop ended the stream: stop the turn. */
  onUserStop?: () => void;
  /** Checked before intermediate edits: a Stop pressed on another replica. */
  stopRequested?: () => Promise<boolean>;
  /** Thumbs up / down (feedback.ts) for a rateable answer's final text; none when absent. */
  feedbackBlock?: SlackBlock | undefined;
}

interface Part {
  ts: string;
  mode: "stream" | "message";
  /** Markdown already appended to a stream. */
  streamed: string;
  /** Id of the stream's booked chat.stopStream, until the stream ends. */
  stopBooking: string | null;
  /** Id of the message's booked final chat.update, until it is used. */
  updateBooking: string | null;
  /** The message's notification text, converted again only while its start changes. */
  fallback: FallbackText;
}

export class SlackAnswerSink implements MessageSink {
  private readonly parts = new Map<string, Part>();

  constructor(
    private readonly target: AnswerTarget,
    private readonly deps: AnswerSinkDeps,
  ) {}

  get limits(): SinkLimits {
    return this.deps.limits;
  }

  /**
   * Show the answer's first text: as a native stream when one can be booked, else as a message
   * whose final edit is booked. Null when neither can be booked now: the answer is then posted
   * whole when it is done (see budgets.ts).
   */
  async post(text: string, state: MessageState, extras?: DeliveryExtras): Promise<string | null> {
    // Every payload is made safe again in SlackApi.call; a stream also needs it on the whole text,
    // so that what its appends add up to is safe (see streamable).
    text = defuseMentions(text);
    const { streaming, budgets } = this.deps;
    const team = this.target.teamId;
    if (state === "streaming" && this.target.threadTs && streaming.enabled && streaming.available) {
      const stopBooking = await budgets.openStream(team);
      if (stopBooking) {
        try {
          const first = streamable(text, state);
          const ts = await this.startStream(first);
          this.parts.set(ts, {
            ts,
            mode: "stream",
            streamed: first,
            stopBooking,
            updateBooking: null,
            fallback: new FallbackText(),
          });
          return ts;
        } catch (err) {
          budgets.closeStream(team, stopBooking, false);
          if (!(err instanceof PlatformError)) throw err;
          if (NO_STREAMING_CODES.has(err.code)) {
            streaming.available = false;
            this.deps.log.warn({ code: err.code }, "slack native streaming unavailable; using message edits");
          } else if (NOT_HERE_CODES.has(err.code)) {
            this.deps.log.info(
              { code: err.code },
              "slack refused a stream here; this answer uses message edits",
            );
          } else if (!err.isRateLimit) {
            throw err;
          }
        }
      }
    }
    let updateBooking: string | null = null;
    if (state === "streaming") {
      const booking = await budgets.bookFinalUpdate(team);
      if (booking.kind === "full") {
        this.deps.log.info("slack workspace budget saturated; this answer is posted when complete");
        return null;
      }
      if (booking.kind === "booked") updateBooking = booking.id;
    }
    try {
      const fallback = new FallbackText();
      const ts = await this.postMessage(text, state, fallback, this.extraBlocks(extras));
      this.parts.set(ts, { ts, mode: "message", streamed: "", stopBooking: null, updateBooking, fallback });
      return ts;
    } catch (err) {
      if (updateBooking) budgets.settleUpdate(team, updateBooking, false);
      throw err;
    }
  }

  /**
   * Stream appends draw on chat.appendStream, message edits on chat.update. A stream's final text
   * (chat.stopStream) and a message's booked final edit need no grant: their slots are booked.
   */
  editBudget(ref: string, final: boolean): EditBudgetChoice | null {
    const part = this.parts.get(ref);
    const { budgets, limits } = this.deps;
    if (part?.mode === "stream") {
      if (final && part.stopBooking) return null;
      return {
        window: budgets.window(this.target.teamId, "chat.appendStream"),
        minEditIntervalMs: this.deps.streamMinAppendIntervalMs,
      };
    }
    if (final && part?.updateBooking) return null;
    return {
      window: budgets.window(this.target.teamId, "chat.update"),
      minEditIntervalMs: limits.minEditIntervalMs,
    };
  }

  async edit(ref: string, text: string, state: MessageState, extras?: DeliveryExtras): Promise<void> {
    text = defuseMentions(text);
    const part = this.parts.get(ref) ?? {
      ts: ref,
      mode: "message" as const,
      streamed: "",
      stopBooking: null,
      updateBooking: null,
      fallback: new FallbackText(),
    };
    this.parts.set(ref, part);
    if (state === "streaming" && this.deps.stopRequested && (await this.deps.stopRequested())) {
      this.deps.onUserStop?.();
    }
    if (part.mode === "stream") {
      const done = await this.editStream(part, text, state, this.extraBlocks(extras));
      if (done) return;
    }
    if (state !== "streaming" && part.updateBooking) {
      // The booked final edit is made now.
      this.deps.budgets.settleUpdate(this.target.teamId, part.updateBooking, true);
      part.updateBooking = null;
    }
    try {
      await this.update(part, text, state, this.extraBlocks(extras));
    } catch (err) {
      if (!(err instanceof PlatformError) || !GONE_CODES.has(err.code)) throw err;
      this.deps.log.warn({ code: err.code }, "slack message cannot be edited; posting the answer again");
      part.ts = await this.postMessage(text, state, part.fallback, this.extraBlocks(extras));
    }
  }

  async notice(text: string): Promise<void> {
    const { api } = this.deps;
    const args = {
      channel: this.target.channel,
      user: this.target.userId,
      text: renderText(text),
      ...(this.target.threadTs ? { thread_ts: this.target.threadTs } : {}),
    };
    try {
      await api.callPatiently("chat.postEphemeral", args, { maxWaitMs: NOTICE_MAX_WAIT_MS });
    } catch (err) {
      // Ephemerals fail where the user cannot get one (e.g. not a channel member): say it openly.
      this.deps.log.info(
        { code: err instanceof PlatformError ? err.code : undefined },
        "ephemeral notice failed",
      );
      await this.postMessage(text, "done");
    }
  }

  /**
   * Personal details for the asker alone: an ephemeral message in the thread; where Slack
   * refuses one (the user left the channel, a rate limit that outlasts the wait), the bot's DM
   * with the user (conversations.open, scope im:write). Never a public post.
   */
  async sendPrivately(text: string): Promise<PrivateDelivery> {
    const { api, log } = this.deps;
    const payload = renderMessage(text);
    try {
      await api.callPatiently(
        "chat.postEphemeral",
        {
          channel: this.target.channel,
          user: this.target.userId,
          ...(this.target.threadTs ? { thread_ts: this.target.threadTs } : {}),
          ...payload,
        },
        { maxWaitMs: NOTICE_MAX_WAIT_MS },
      );
      return "ephemeral";
    } catch (err) {
      if (!(err instanceof PlatformError)) throw err;
      log.info({ code: err.code }, "ephemeral delivery failed; sending the details by DM");
    }
    const opened = await api.callPatiently<{ channel?: { id?: string } }>(
      "conversations.open",
      { users: this.target.userId },
      { maxWaitMs: NOTICE_MAX_WAIT_MS },
    );
    const dm = opened.channel?.id;
    if (!dm) throw new PlatformError("slack", "invalid_response", "conversations.open returned no channel");
    await this.deps.pacer.run(dm, () =>
      api.callPatiently(
        "chat.postMessage",
        { channel: dm, ...payload, unfurl_links: false, unfurl_media: false },
        { maxWaitMs: NOTICE_MAX_WAIT_MS },
      ),
    );
    return "dm";
  }

  async status(text: string): Promise<void> {
    if (!this.target.assistantThread || !this.target.threadTs) return;
    await this.deps.api.call("assistant.threads.setStatus", {
      channel_id: this.target.channel,
      thread_ts: this.target.threadTs,
      status: text,
    });
  }

  // -------------------------------------------------------------------------------------------

  private async startStream(text: string): Promise<string> {
    const first = text.slice(0, STREAM_CALL_MAX_CHARS);
    const res = await this.deps.api.call<{ ts?: string }>("chat.startStream", {
      channel: this.target.channel,
      thread_ts: this.target.threadTs,
      recipient_user_id: this.target.userId,
      recipient_team_id: this.target.teamId,
      markdown_text: first,
    });
    if (!res.ts) throw new PlatformError("slack", "invalid_response", "chat.startStream returned no ts");
    for (let rest = text.slice(first.length); rest !== ""; rest = rest.slice(STREAM_CALL_MAX_CHARS)) {
      await this.deps.api.call("chat.appendStream", {
        channel: this.target.channel,
        ts: res.ts,
        markdown_text: rest.slice(0, STREAM_CALL_MAX_CHARS),
      });
    }
    return res.ts;
  }

  /** Continue a native stream. False when the part fell back to an ordinary message. */
  private async editStream(
    part: Part,
    text: string,
    state: MessageState,
    extra: SlackBlock[] = [],
  ): Promise<boolean> {
    const { api } = this.deps;
    const final = state !== "streaming";
    // A stream only grows. New text that does not extend it (rare) is written as a whole.
    const ready = streamable(text, state);
    const diverged = !ready.startsWith(part.streamed);
    const delta = diverged ? "" : ready.slice(part.streamed.length);
    if (!final && diverged) return this.closeStream(part);
    if (!final && delta === "") return true;
    try {
      const chunks = splitChunks(delta);
      const last = final ? chunks.pop() : undefined;
      for (const chunk of chunks) {
        await api.call("chat.appendStream", {
          channel: this.target.channel,
          ts: part.ts,
          markdown_text: chunk,
        });
        part.streamed += chunk;
      }
      if (!final) return true;
      // The booked stop is made now.
      this.releaseStream(part, true);
      await this.withExtras(extra, (blocks) =>
        api.call("chat.stopStream", {
          channel: this.target.channel,
          ts: part.ts,
          ...(last ? { markdown_text: last } : {}),
          ...(blocks.length > 0 ? { blocks } : {}),
        }),
      );
      part.streamed += last ?? "";
      part.mode = "message";
      return !diverged;
    } catch (err) {
      if (!(err instanceof PlatformError)) throw err;
      if (err.code === "message_not_in_streaming_state") {
        // Slack ended the stream (it lives about 5 minutes): the rest arrives by chat.update.
        this.deps.log.info({ ts: part.ts }, "slack stream expired; continuing with message edits");
        this.releaseStream(part, false);
        part.mode = "message";
        return false;
      }
      if (err.code === "stopped_by_user") {
        // Slack's own stop control: end the turn; its final text then lands by chat.update.
        this.releaseStream(part, false);
        part.mode = "message";
        this.deps.onUserStop?.();
        return !final;
      }
      throw err;
    }
  }

  /** Stop the stream without adding text; the caller then rewrites the message. */
  private async closeStream(part: Part): Promise<boolean> {
    this.releaseStream(part, true);
    part.mode = "message";
    await this.deps.api
      .call("chat.stopStream", { channel: this.target.channel, ts: part.ts })
      .catch(() => {});
    return false;
  }

  private releaseStream(part: Part, stopCalled: boolean): void {
    if (!part.stopBooking) return;
    this.deps.budgets.closeStream(this.target.teamId, part.stopBooking, stopCalled);
    part.stopBooking = null;
  }

  private async postMessage(
    text: string,
    state: MessageState,
    fallback = new FallbackText(),
    extra: SlackBlock[] = [],
  ): Promise<string> {
    const res = await this.withExtras(extra, (blocks) =>
      this.deps.pacer.run(this.target.channel, () =>
        this.deps.api.call<{ ts?: string }>("chat.postMessage", {
          channel: this.target.channel,
          ...(this.target.threadTs ? { thread_ts: this.target.threadTs } : {}),
          ...renderMessage(text, this.buttons(state), fallback, blocks),
          unfurl_links: false,
          unfurl_media: false,
        }),
      ),
    );
    if (!res.ts) throw new PlatformError("slack", "invalid_response", "chat.postMessage returned no ts");
    return res.ts;
  }

  private async update(
    part: Part,
    text: string,
    state: MessageState,
    extra: SlackBlock[] = [],
  ): Promise<void> {
    await this.withExtras(extra, (blocks) =>
      this.deps.api.call("chat.update", {
        channel: this.target.channel,
        ts: part.ts,
        ...renderMessage(text, this.buttons(state), part.fallback, blocks),
      }),
    );
  }

  /** Make a call with the extra blocks; if Slack refuses blocks, once more without them. */
  private async withExtras<T>(extra: SlackBlock[], call: (blocks: SlackBlock[]) => Promise<T>): Promise<T> {
    try {
      return await call(extra);
    } catch (err) {
      if (extra.length === 0 || !(err instanceof PlatformError) || !BLOCKS_REFUSED_CODES.has(err.code))
        throw err;
      this.deps.log.warn(
        { code: err.code },
        "slack refused the feedback buttons; the answer is sent without them",
      );
      return call([]);
    }
  }

  /** The feedback buttons, with the final text of a rateable answer only. */
  private extraBlocks(extras: DeliveryExtras | undefined): SlackBlock[] {
    return extras?.rateable && this.deps.feedbackBlock ? [this.deps.feedbackBlock] : [];
  }

  private buttons(state: MessageState) {
    if (state !== "streaming" || !this.deps.stopValue) return [];
    return [
      { actionId: STOP_ACTION_ID, label: "Stop", value: this.deps.stopValue, style: "danger" as const },
    ];
  }
}

function splitChunks(text: string): string[] {
  const chunks: string[] = [];
  for (let i = 0; i < text.length; i += STREAM_CALL_MAX_CHARS)
    chunks.push(text.slice(i, i + STREAM_CALL_MAX_CHARS));
  return chunks.length > 0 ? chunks : [""];
}

/**
 * The part of a (defused) answer a stream may show now: all of it when final, else only what no
 * later text can turn into a ping. Appends only add up, so a `<` must not go out before we know
 * whether `!here>` follows.
 */
function streamable(text: string, state: MessageState): string {
  return state === "streaming" ? text.slice(0, settledLength(text)) : text;
}
