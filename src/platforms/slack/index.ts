/**
 * The Slack adapter: Bolt over the service's HTTP server (`POST /slack/events`) or Socket Mode
 * (SLACK_APP_TOKEN). Listeners stay thin: they translate an event into the core's terms, pick the
 * sink the answer is shown in, and hand over. Everything Slack-specific (rendering, streams,
 * limits, permalinks, response_url) lives in this folder.
 */
import { App, SocketModeReceiver } from "@slack/bolt";
import { turnIdOf } from "../../core/conversation.js";
import { EditBudgets } from "../../core/edit-budget.js";
import { PlatformError } from "../../core/errors.js";
import { ORPHAN_NOTICE } from "../../core/orphans.js";
import type { SinkLimits } from "../../core/ports.js";
import type { AdapterDeps, PlatformAdapter } from "../adapter.js";
import { AckFirst, type Asker, tellBusy } from "./ack-first.js";
import { type AnswerTarget, SlackAnswerSink, type StreamingSupport } from "./answer-sink.js";
import { boltLogger, SlackApi } from "./api.js";
import { AssistantThreads } from "./assistant.js";
import { JITTER_MARGIN, SlackBudgets } from "./budgets.js";
import {
  assistantThreadSchema,
  type BotIdentity,
  botThreadKey,
  messageEventSchema,
  routeMessage,
} from "./events.js";
import { SlackHttpReceiver } from "./http-receiver.js";
import { UserNames } from "./names.js";
import { finalizeOrphan } from "./orphans.js";
import { outgoing } from "./outgoing.js";
import { ChannelPacer } from "./rate-gates.js";
import { SHARE_ACTION_ID, STOP_ACTION_ID } from "./render.js";
import { handleStopClick, stopButtonValue, stopRequestKey } from "./stop-button.js";
import { parseSummarizeArgs } from "./summarize-args.js";
import { ackText, runSummarize, shareSummary } from "./summarize-command.js";

/** chat.update is Tier 3; SLACK_CHAT_UPDATE_PER_MINUTE is its budget per this window. */
const UPDATE_WINDOW_MS = 60_000;
/** Slack's guidance: about one update per second per message is plenty for a reader. */
const MIN_EDIT_INTERVAL_MS = 1000;
/**
 * A native stream only sends the new words, so it can be fed faster than a message is rewritten:
 * every quarter second keeps a reader's lag near 150 ms while the workspace's Tier 4 budget
 * (shared, burst-aware) decides how many appends there really are.
 */
const STREAM_MIN_APPEND_INTERVAL_MS = 250;
/** Edits of a private summary are buffered (no API calls); this budget only paces the buffer. */
const PRIVATE_SUMMARY_EDITS = 1000;

export interface SlackAdapterOptions {
  /** Real rate-limit windows are divided by this (tests and the benchmark run a scaled fake). */
  timeScale?: number;
  /** How long /summarize waits out history rate limits before summarizing what it read. */
  historyMaxWaitMs?: number;
  /** Starts that may wait for the acks (default MAX_WAITING_STARTS); tests make it small. */
  maxWaitingStarts?: number;
  /** Longest a start waits for the acks (default MAX_START_DELAY_MS); tests make it long. */
  maxStartDelayMs?: number;
}

export interface SlackAdapter extends PlatformAdapter {
  /** The bot as Slack knows it (after start). */
  readonly identity: BotIdentity | null;
  /** Resolves when every answer, summary and greeting started so far has finished. */
  idle(): Promise<void>;
}

export function createSlackAdapter(deps: AdapterDeps, options: SlackAdapterOptions = {}): SlackAdapter {
  return new SlackAdapterImpl(deps, options);
}

class SlackAdapterImpl implements SlackAdapter {
  readonly platform = "slack" as const;
  identity: BotIdentity | null = null;
  private readonly api: SlackApi;
  private readonly app: App;
  private readonly httpReceiver: SlackHttpReceiver | null = null;
  private readonly socketReceiver: SocketModeReceiver | null = null;
  private readonly pacer: ChannelPacer;
  private readonly budgets: SlackBudgets;
  private readonly streaming = new Map<string, StreamingSupport>();
  private readonly names: UserNames;
  private readonly assistant: AssistantThreads;
  private readonly inflight = new Set<Promise<unknown>>();
  private readonly acks: AckFirst;
  private readonly timeScale: number;
  private socketConnected = false;
  private started = false;

  constructor(
    private readonly deps: AdapterDeps,
    private readonly options: SlackAdapterOptions,
  ) {
    const { env, log, metrics } = deps;
    const token = env.SLACK_BOT_TOKEN;
    if (!token) throw new Error("SLACK_BOT_TOKEN is required for the Slack adapter");
    this.timeScale = options.timeScale ?? 1;
    this.acks = new AckFirst({
      ...(options.maxWaitingStarts !== undefined ? { maxWaitingStarts: options.maxWaitingStarts } : {}),
      ...(options.maxStartDelayMs !== undefined ? { maxDelayMs: options.maxStartDelayMs } : {}),
    });
    this.api = new SlackApi({ token, apiUrl: env.SLACK_API_URL, metrics, log });
    const logger = boltLogger(log);
    let receiver: SlackHttpReceiver | SocketModeReceiver;
    if (env.SLACK_APP_TOKEN) {
      this.socketReceiver = new SocketModeReceiver({
        appToken: env.SLACK_APP_TOKEN,
        logger,
        installerOptions: { clientOptions: { ...this.api.clientOptions } },
      });
      this.socketReceiver.client.on("connected", () => (this.socketConnected = true));
      this.socketReceiver.client.on("disconnected", () => (this.socketConnected = false));
      this.socketReceiver.client.on("reconnecting", () => (this.socketConnected = false));
      receiver = this.socketReceiver;
    } else {
      if (!env.SLACK_SIGNING_SECRET) throw new Error("SLACK_SIGNING_SECRET is required for Slack over HTTP");
      this.httpReceiver = new SlackHttpReceiver({
        http: deps.http,
        signingSecret: env.SLACK_SIGNING_SECRET,
        log,
        boltLogger: logger,
        acks: this.acks,
      });
      receiver = this.httpReceiver;
    }
    this.app = new App({
      receiver,
      logger,
      clientOptions: { ...this.api.clientOptions },
      // Identity comes from our own auth.test in start(): Bolt makes no API calls of its own.
      authorize: async () => {
        if (!this.identity) throw new Error("Slack adapter not started");
        return {
          botToken: token,
          botUserId: this.identity.botUserId,
          botId: this.identity.botId,
          teamId: this.identity.teamId,
        };
      },
      ignoreSelf: true,
      convoStore: false,
    });
    this.pacer = new ChannelPacer(env.SLACK_POST_INTERVAL_MS / this.timeScale, Date.now, {
      store: deps.store.budgets,
      scope: () => `slack:${this.identity?.teamId ?? "unknown"}`,
      log,
    });
    this.budgets = new SlackBudgets(
      deps.store.budgets,
      {
        perMinute: {
          "chat.update": env.SLACK_CHAT_UPDATE_PER_MINUTE,
          "chat.appendStream": env.SLACK_APPEND_STREAM_PER_MINUTE,
          "chat.startStream": env.SLACK_START_STREAM_PER_MINUTE,
          "chat.stopStream": env.SLACK_STOP_STREAM_PER_MINUTE,
        },
      },
      log,
      this.timeScale,
    );
    const lookups = new EditBudgets(deps.store.budgets, log);
    const teamId = () => this.identity?.teamId ?? "unknown";
    this.names = new UserNames(this.api, deps.store.kv, teamId, log, () =>
      lookups.get(this.budgets.window(teamId(), "users.info")),
    );
    this.assistant = new AssistantThreads({
      api: this.api,
      kv: deps.store.kv,
      pacer: this.pacer,
      log,
      botName: env.BOT_NAME,
      ttlMs: env.HISTORY_TTL_S * 1000,
    });
    this.registerListeners();
    // Any replica finalizes the message of an answer whose process died (core/orphans.ts).
    deps.conversation.orphans.register("slack", (orphan) =>
      finalizeOrphan(orphan, { api: this.api, botId: this.identity?.botId, notice: ORPHAN_NOTICE }),
    );
  }

  async start(): Promise<void> {
    const { env, log } = this.deps;
    try {
      const auth = await this.api.call<{ team_id?: string; user_id?: string; bot_id?: string }>("auth.test");
      if (!auth.team_id || !auth.user_id)
        throw new PlatformError("slack", "invalid_response", "auth.test returned no ids");
      this.identity = { teamId: auth.team_id, botUserId: auth.user_id, botId: auth.bot_id };
    } catch (err) {
      const code = err instanceof PlatformError ? err.code : "unknown";
      throw new Error(
        ["invalid_auth", "not_authed", "account_inactive", "token_revoked", "token_expired"].includes(code)
          ? `Slack rejected SLACK_BOT_TOKEN (${code}): use the Bot User OAuth Token (xoxb-...) of the installed app`
          : `Slack API at ${env.SLACK_API_URL} did not answer auth.test (${code})`,
        { cause: err },
      );
    }
    try {
      await this.app.start();
    } catch (err) {
      const code =
        err instanceof PlatformError
          ? err.code
          : ((err as { data?: { error?: string } }).data?.error ?? "unknown");
      throw new Error(
        `Slack Socket Mode did not connect (${code}): check SLACK_APP_TOKEN (xapp-..., scope connections:write)`,
        {
          cause: err,
        },
      );
    }
    this.started = true;
    log.info(
      {
        team: this.identity.teamId,
        bot: this.identity.botUserId,
        mode: this.socketReceiver ? "socket" : "http",
      },
      "slack adapter started",
    );
  }

  async stop(): Promise<void> {
    this.started = false;
    await this.app.stop().catch((err: unknown) => this.deps.log.warn({ err }, "slack receiver stop failed"));
  }

  isReady(): boolean {
    if (!this.started) return false;
    return this.socketReceiver ? this.socketConnected : (this.httpReceiver?.ready ?? false);
  }

  async idle(): Promise<void> {
    // Acknowledged events reach their listeners (and so `inflight`) a little after their ack.
    await this.httpReceiver?.settled();
    while (this.inflight.size > 0) await Promise.allSettled([...this.inflight]);
  }

  // -------------------------------------------------------------------------------------------

  private registerListeners(): void {
    const onMessage = async ({ event, body }: { event: unknown; body: unknown }) => {
      const parsed = messageEventSchema.safeParse(event);
      if (!parsed.success) return;
      const team = teamOf(body);
      if (!this.identity) return;
      const route = routeMessage(parsed.data, this.identity, team);
      // Channel chatter the bot ignores takes no start slot: a busy channel must not crowd out
      // the questions arriving with it (the route depends on the event alone, not on the store).
      if (route.action === "ignore") {
        this.deps.log.trace({ reason: route.reason, channel: parsed.data.channel }, "slack message ignored");
        return;
      }
      // Only someone the bot would answer hears that it is too busy.
      const asker = !route.needsFollowupCheck
        ? { channel: route.reply.channel, user: route.msg.userId, threadTs: route.reply.threadTs }
        : undefined;
      this.track(() => this.onMessage(parsed.data, team, enterpriseOf(body)), asker);
    };
    this.app.event("app_mention", onMessage);
    this.app.event("message", onMessage);
    this.app.event("assistant_thread_started", async ({ event, body }) => {
      const parsed = assistantThreadSchema.safeParse(event);
      if (!parsed.success || !this.identity) return;
      const t = parsed.data.assistant_thread;
      const team = teamOf(body) ?? this.identity.teamId;
      this.track(() => this.assistant.started(team, t.channel_id, t.thread_ts));
    });
    this.app.command("/summarize", async ({ command, ack }) => {
      const parsed = parseSummarizeArgs(command.text ?? "");
      if (!parsed.ok) {
        await ack(outgoing({ response_type: "ephemeral" as const, text: parsed.help }));
        return;
      }
      await ack(outgoing({ response_type: "ephemeral" as const, text: ackText(command, parsed.args) }));
      const asker = { channel: command.channel_id, user: command.user_id, responseUrl: command.response_url };
      this.track(
        () =>
          runSummarize(command, parsed.args, {
            api: this.api,
            conversation: this.deps.conversation,
            kv: this.deps.store.kv,
            names: this.names,
            log: this.deps.log,
            botName: this.deps.env.BOT_NAME,
            privateLimits: (requestId) => ({
              ...this.limits(command.team_id),
              scope: `slack:${command.team_id}:private:${requestId}`,
              scopeEdits: PRIVATE_SUMMARY_EDITS,
            }),
            answerSink: (target, requestId) => this.answerSink(target, turnIdOf("slack", requestId)),
            ...(this.options.historyMaxWaitMs !== undefined
              ? { historyMaxWaitMs: this.options.historyMaxWaitMs }
              : {}),
          }),
        asker,
      );
    });
    this.app.action(STOP_ACTION_ID, async ({ ack, body, action }) => {
      await ack();
      const value = "value" in action && typeof action.value === "string" ? action.value : "";
      const channel = "channel" in body ? body.channel?.id : undefined;
      const click = { value, clicker: body.user.id, channel };
      this.track(
        () =>
          handleStopClick(click, {
            api: this.api,
            conversation: this.deps.conversation,
            kv: this.deps.store.kv,
          }),
        CLICK,
      );
    });
    this.app.action(SHARE_ACTION_ID, async ({ ack, body, action }) => {
      await ack();
      const key = "value" in action && typeof action.value === "string" ? action.value : "";
      const responseUrl =
        "response_url" in body && typeof body.response_url === "string" ? body.response_url : undefined;
      const userId = body.user.id;
      this.track(
        () =>
          shareSummary(
            { key, userId, responseUrl },
            { api: this.api, kv: this.deps.store.kv, log: this.deps.log },
          ),
        CLICK,
      );
    });
  }

  private async onMessage(
    event: Parameters<typeof routeMessage>[0],
    teamId: string | undefined,
    enterpriseId: string | undefined,
  ): Promise<void> {
    const { env, store, conversation, log } = this.deps;
    if (!this.identity) return;
    const route = routeMessage(event, this.identity, teamId, enterpriseId);
    if (route.action === "ignore") {
      log.trace({ reason: route.reason, channel: event.channel }, "slack message ignored");
      return;
    }
    const { msg, reply } = route;
    const threadKey = botThreadKey(msg.workspaceId, msg.channelId, msg.threadId);
    if (route.needsFollowupCheck) {
      if (env.SLACK_THREAD_FOLLOWUPS === "mention") return;
      // Unknown (store down) counts as "not ours": answering every thread in the channel is worse.
      if ((await store.kv.get(threadKey).catch(() => null)) === null) return;
    }
    if (msg.kind === "mention") {
      // Replies in this thread continue the conversation (SLACK_THREAD_FOLLOWUPS=any) for as long
      // as its history lives. A store failure here is the core's to report; the answer still runs.
      await store.kv
        .set(threadKey, "1", env.HISTORY_TTL_S * 1000)
        .catch((err: unknown) => log.warn({ err }, "could not remember the bot's thread"));
    }
    const assistantThread =
      msg.kind === "dm" &&
      (await this.assistant.isAssistantThread(msg.workspaceId, msg.channelId, reply.threadTs));
    if (assistantThread && reply.threadTs) {
      const threadTs = reply.threadTs;
      this.track(() =>
        this.assistant.titleFromFirstMessage(msg.workspaceId, msg.channelId, threadTs, msg.text),
      );
    }
    const userName = await this.names.cached(msg.userId);
    const sink = this.answerSink(
      {
        teamId: msg.workspaceId,
        channel: reply.channel,
        threadTs: reply.threadTs,
        userId: msg.userId,
        assistantThread,
      },
      turnIdOf("slack", msg.messageId),
    );
    await conversation.handle(userName ? { ...msg, userName } : msg, sink);
  }

  private answerSink(target: AnswerTarget, turnId: string): SlackAnswerSink {
    const { conversation, store, log } = this.deps;
    return new SlackAnswerSink(target, {
      api: this.api,
      pacer: this.pacer,
      streaming: this.streamingFor(target.teamId),
      budgets: this.budgets,
      limits: this.limits(target.teamId),
      streamMinAppendIntervalMs: STREAM_MIN_APPEND_INTERVAL_MS / this.timeScale,
      log: log.child({ turnId }),
      stopValue: stopButtonValue(turnId, target.userId),
      onUserStop: () => conversation.cancel(turnId),
      stopRequested: async () => (await store.kv.get(stopRequestKey(turnId)).catch(() => null)) !== null,
    });
  }

  private limits(teamId: string): SinkLimits {
    const env = this.deps.env;
    return {
      maxChars: env.SLACK_MAX_MESSAGE_CHARS,
      scope: `slack:${teamId}`,
      scopeEdits: env.SLACK_CHAT_UPDATE_PER_MINUTE,
      // A little wider than Slack's window: Slack counts arrivals, we count sends.
      windowMs: (UPDATE_WINDOW_MS * JITTER_MARGIN) / this.timeScale,
      minEditIntervalMs: MIN_EDIT_INTERVAL_MS / this.timeScale,
    };
  }

  private streamingFor(teamId: string): StreamingSupport {
    let support = this.streaming.get(teamId);
    if (!support) {
      support = { enabled: this.deps.env.SLACK_NATIVE_STREAMING, available: true };
      this.streaming.set(teamId, support);
    }
    return support;
  }

  /**
   * Run a handler's work once the acks being written are out (ack-first.ts): the work may start
   * with synchronous CPU (the tokenizer's first use takes a second or two), and Slack redelivers
   * events not acknowledged within 3 seconds. When too many starts wait already, the person the
   * work was for (`asker`) is told to ask again.
   */
  private track(work: () => Promise<unknown>, asker?: Asker | typeof CLICK): void {
    // A click on the bot's own button (Stop, Share) is one person's and cheap: it neither waits
    // nor is refused, so Stop stops an answer at once, also while a burst is being acknowledged.
    let start = asker === CLICK ? Promise.resolve() : this.acks.afterAcks();
    if (!start) {
      this.deps.log.warn(
        { waiting: this.acks.size, channel: asker === CLICK ? undefined : asker?.channel },
        "too many starts waiting: event refused",
      );
      if (!asker || asker === CLICK) return;
      start = Promise.resolve();
      work = () => tellBusy(this.api, asker);
    }
    const p = start.then(work).catch((err: unknown) => this.deps.log.error({ err }, "slack handler failed"));
    this.inflight.add(p);
    void p.finally(() => this.inflight.delete(p));
  }
}

/** `track`'s asker for a click on one of the bot's buttons. */
const CLICK = "click";

/** The Enterprise Grid org of an event envelope (`enterprise_id`, or `enterprise.id` in interactions). */
function enterpriseOf(body: unknown): string | undefined {
  const b = body as { enterprise_id?: unknown; enterprise?: { id?: unknown } | null };
  if (typeof b.enterprise_id === "string" && b.enterprise_id !== "") return b.enterprise_id;
  if (typeof b.enterprise?.id === "string" && b.enterprise.id !== "") return b.enterprise.id;
  return undefined;
}

function teamOf(body: unknown): string | undefined {
  const b = body as { team_id?: unknown; team?: { id?: unknown } };
  if (typeof b.team_id === "string") return b.team_id;
  if (typeof b.team?.id === "string") return b.team.id;
  return undefined;
}
