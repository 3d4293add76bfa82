/**
 * The Slack adapter: Bolt over the service's HTTP server (`POST /slack/events`) or Socket Mode
 * (SLACK_APP_TOKEN). Listeners stay thin: they translate an event into the core's terms, pick the
 * sink the answer is shown in, and hand over. Everything Slack-specific (rendering, streams,
 * limits, permalinks, response_url) lives in this folder.
 */
import { App, type Context, SocketModeReceiver } from "@slack/bolt";
import { turnIdOf } from "../../core/conversation.js";
import { EditBudgets } from "../../core/edit-budget.js";
import { PlatformError } from "../../core/errors.js";
import { ORPHAN_NOTICE } from "../../core/orphans.js";
import type { ReplyPlace } from "../../core/policy/replies.js";
import type { SinkLimits } from "../../core/ports.js";
import { type IncomingMessage, threadKeyOf } from "../../core/types.js";
import type { AdapterDeps, PlatformAdapter } from "../adapter.js";
import { parseAssistantAction } from "../assistant-command.js";
import { maySummarize } from "../summarize-policy.js";
import { AckFirst, type Asker, tellBusy } from "./ack-first.js";
import { type AnswerTarget, SlackAnswerSink, type StreamingSupport } from "./answer-sink.js";
import { boltLogger, type SlackApi, slackClientOptions } from "./api.js";
import { assistantCommand } from "./assistant-command.js";
import { JITTER_MARGIN, SlackBudgets } from "./budgets.js";
import {
  assistantThreadSchema,
  type BotIdentity,
  botThreadKey,
  mentions,
  messageEventSchema,
  routeMessage,
} from "./events.js";
import { feedbackBlock, registerFeedbackListeners } from "./feedback.js";
import { type SlackFileSource, slackAttachments, slackFileNames } from "./files.js";
import {
  FORGET_ACTION_ID,
  FORGET_CANCEL_ACTION_ID,
  type ForgetDeps,
  forgetCommandReply,
  handleForgetCancel,
  handleForgetClick,
} from "./forget-command.js";
import { registerSlackHandoffs } from "./handoff-listeners.js";
import { SlackHttpReceiver } from "./http-receiver.js";
import type { SlackInstallations } from "./installations.js";
import { NoInstallationError, quietAuthorizationErrors, SlackOAuthMode } from "./oauth-mode.js";
import { finalizeOrphan } from "./orphans.js";
import { outgoing } from "./outgoing.js";
import { SHARE_ACTION_ID, STOP_ACTION_ID } from "./render.js";
import { handleStopClick, stopButtonValue, stopRequestKey } from "./stop-button.js";
import { parseSummarizeArgs } from "./summarize-args.js";
import { ackText, runSummarize, shareSummary } from "./summarize-command.js";
import { WorkspaceData, workspaceRecordsOf } from "./uninstall.js";
import { type SlackWorkspace, SlackWorkspaces, workspaceHelpers } from "./workspaces.js";

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
  /** The bot as Slack knows it (after start; single-workspace mode only, null in OAuth mode). */
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
  /** Token, identity and helpers of each workspace (one in single-workspace mode). */
  private readonly workspaces: SlackWorkspaces;
  private readonly workspaceData: WorkspaceData;
  /** OAuth mode only (SLACK_CLIENT_ID): installations, installer, install routes. */
  private readonly oauth: SlackOAuthMode | undefined;
  private readonly installations: SlackInstallations | undefined;
  private readonly app: App;
  private readonly httpReceiver: SlackHttpReceiver | null = null;
  private readonly socketReceiver: SocketModeReceiver | null = null;
  private readonly budgets: SlackBudgets;
  private readonly streaming = new Map<string, StreamingSupport>();
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
    if (!env.SLACK_BOT_TOKEN && !env.SLACK_CLIENT_ID)
      throw new Error("SLACK_BOT_TOKEN or SLACK_CLIENT_ID is required for the Slack adapter");
    this.timeScale = options.timeScale ?? 1;
    this.acks = new AckFirst({
      ...(options.maxWaitingStarts !== undefined ? { maxWaitingStarts: options.maxWaitingStarts } : {}),
      ...(options.maxStartDelayMs !== undefined ? { maxDelayMs: options.maxStartDelayMs } : {}),
    });
    const clientOptions = slackClientOptions({ apiUrl: env.SLACK_API_URL, metrics, log });
    const logger = boltLogger(log);
    this.oauth = SlackOAuthMode.fromEnv(env, { store: deps.store, log, clientOptions, boltLogger: logger });
    this.installations = this.oauth?.installations;
    let receiver: SlackHttpReceiver | SocketModeReceiver;
    if (env.SLACK_APP_TOKEN) {
      this.socketReceiver = new SocketModeReceiver({
        appToken: env.SLACK_APP_TOKEN,
        logger,
        installerOptions: { clientOptions: { ...clientOptions } },
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
        timeScale: this.timeScale,
      });
      receiver = this.httpReceiver;
    }
    this.app = new App({
      receiver,
      logger,
      clientOptions: { ...clientOptions },
      // The event's workspace: the one of SLACK_BOT_TOKEN (identity from our own auth.test in
      // start()), or its installation in OAuth mode. Bolt makes no API calls of its own.
      authorize: async (source) => {
        const ws = await this.workspaces.get(source);
        if (!ws) {
          throw this.installations
            ? new NoInstallationError(source.teamId)
            : new Error("Slack adapter not started");
        }
        return {
          botToken: ws.token,
          botUserId: ws.identity.botUserId,
          botId: ws.identity.botId,
          teamId: this.installations ? source.teamId : ws.identity.teamId,
          ...(source.enterpriseId ? { enterpriseId: source.enterpriseId } : {}),
        };
      },
      ignoreSelf: true,
      convoStore: false,
    });
    if (this.installations) this.app.error(quietAuthorizationErrors(log));
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
    this.workspaces = new SlackWorkspaces({
      apiUrl: env.SLACK_API_URL,
      metrics,
      log,
      installations: this.installations,
      helpers: workspaceHelpers({
        kv: deps.store.kv,
        budgets: deps.store.budgets,
        log,
        postIntervalMs: env.SLACK_POST_INTERVAL_MS / this.timeScale,
        botName: env.BOT_NAME,
        historyTtlMs: env.HISTORY_TTL_S * 1000,
        namesBudget: (teamId) => () => lookups.get(this.budgets.window(teamId, "users.info")),
      }),
    });
    this.workspaceData = new WorkspaceData({
      threads: deps.store.workspaceThreads,
      kv: deps.store.kv,
      records: [...workspaceRecordsOf(deps.store), ...(deps.replies ? [deps.replies.switches] : [])],
      recordsTtlMs: Math.max(env.FEEDBACK_TTL_DAYS * 24 * 3_600_000, env.HANDOFF_TTL_S * 1000),
      workspaces: this.workspaces,
      installations: this.installations,
      historyTtlMs: env.HISTORY_TTL_S * 1000,
      log,
    });
    this.registerListeners();
    this.registerHandoffs();
    // Any replica finalizes the message of an answer whose process died (core/orphans.ts).
    deps.conversation.orphans.register("slack", async (orphan) => {
      const ws = await this.workspaces.get({ teamId: orphan.workspaceId });
      if (!ws) {
        log.info(
          { team: orphan.workspaceId },
          "orphaned slack answer in a workspace without installation: skipped",
        );
        return;
      }
      await finalizeOrphan(orphan, { api: ws.api, botId: ws.identity.botId, notice: ORPHAN_NOTICE });
    });
  }

  async start(): Promise<void> {
    const { env, log } = this.deps;
    if (this.oauth) {
      // Every stored installation must open with SECRETS_KEY (older keys' records are re-sealed).
      const installations = await this.oauth.start(this.deps.http);
      await this.app.start();
      this.started = true;
      log.info({ mode: "oauth", installations }, "slack adapter started (OAuth: install at /slack/install)");
      return;
    }
    const token = env.SLACK_BOT_TOKEN ?? "";
    try {
      const auth = await this.workspaces
        .api(token)
        .call<{ team_id?: string; user_id?: string; bot_id?: string }>("auth.test");
      if (!auth.team_id || !auth.user_id)
        throw new PlatformError("slack", "invalid_response", "auth.test returned no ids");
      this.identity = { teamId: auth.team_id, botUserId: auth.user_id, botId: auth.bot_id };
      this.workspaces.setSingle(token, this.identity);
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
    const onMessage = async ({
      event,
      body,
      context,
    }: {
      event: unknown;
      body: unknown;
      context: Context;
    }) => {
      const parsed = messageEventSchema.safeParse(event);
      if (!parsed.success) return;
      const team = teamOf(body);
      const ws = await this.workspaceOf(context);
      if (!ws) return;
      const route = routeMessage(parsed.data, ws.identity, team);
      // Channel chatter the bot ignores takes no start slot: a busy channel must not crowd out
      // the questions arriving with it (the route depends on the event alone, not on the store).
      if (route.action === "ignore") {
        this.deps.log.trace({ reason: route.reason, channel: parsed.data.channel }, "slack message ignored");
        return;
      }
      // Only someone the bot would answer hears that it is too busy: a thread follow-up is
      // checked first (one store read), and only when it is refused.
      const direct = { channel: route.reply.channel, user: route.msg.userId, threadTs: route.reply.threadTs };
      const asker = route.needsFollowupCheck
        ? async () => ((await this.answersFollowup(ws, route.msg, parsed.data.text)) ? direct : undefined)
        : direct;
      this.track(ws, () => this.onMessage(ws, parsed.data, team, enterpriseOf(body)), asker);
    };
    this.app.event("app_mention", onMessage);
    this.app.event("message", onMessage);
    this.app.event("assistant_thread_started", async ({ event, body, context }) => {
      const parsed = assistantThreadSchema.safeParse(event);
      const ws = await this.workspaceOf(context);
      if (!parsed.success || !ws) return;
      const t = parsed.data.assistant_thread;
      const team = teamOf(body) ?? ws.identity.teamId;
      // No greeting where the bot would not answer: the panel is a DM with the bot, so the DM
      // mode, a denied workspace, `enabled: false` and an admin's switch all apply.
      const greet = await this.deps.replies?.decide(
        { platform: "slack", workspaceId: team, channelId: t.channel_id, userId: t.user_id, kind: "dm" },
        { mentioned: true, followup: false },
      );
      if (greet && !greet.answer) return;
      this.track(ws, () => ws.assistant.started(team, t.channel_id, t.thread_ts));
    });
    // The app left a workspace or org (or its bot token was revoked): delete what it kept there.
    this.app.event("app_uninstalled", async ({ context, body }) => {
      this.trackRemoval(() =>
        this.workspaceData.uninstalled(context, "app_uninstalled", undefined, eventTimeOf(body)),
      );
    });
    this.app.event("tokens_revoked", async ({ event, context, body }) => {
      // A signed body of the wrong shape must not throw here (Bolt does not check the fields).
      const listed: unknown = (event as { tokens?: { bot?: unknown } }).tokens?.bot;
      const bots = Array.isArray(listed) ? listed.filter((b): b is string => typeof b === "string") : [];
      if (bots.length === 0) return;
      this.trackRemoval(() =>
        this.workspaceData.uninstalled(context, "tokens_revoked", bots, eventTimeOf(body)),
      );
    });
    this.app.command("/summarize", async ({ command, ack, context }) => {
      const parsed = parseSummarizeArgs(command.text ?? "");
      if (!parsed.ok) {
        await ack(outgoing({ response_type: "ephemeral" as const, text: parsed.help }));
        return;
      }
      await ack(outgoing({ response_type: "ephemeral" as const, text: ackText(command, parsed.args) }));
      const ws = await this.workspaceOf(context);
      if (!ws) return;
      const asker = { channel: command.channel_id, user: command.user_id, responseUrl: command.response_url };
      this.track(
        ws,
        () =>
          runSummarize(command, parsed.args, {
            api: ws.api,
            conversation: this.deps.conversation,
            kv: this.deps.store.kv,
            names: ws.names,
            log: this.deps.log,
            botName: this.deps.env.BOT_NAME,
            privateLimits: (requestId) => ({
              ...this.limits(command.team_id),
              scope: `slack:${command.team_id}:private:${requestId}`,
              scopeEdits: PRIVATE_SUMMARY_EDITS,
            }),
            answerSink: (target, requestId) => this.answerSink(ws, target, turnIdOf("slack", requestId)),
            maySummarize: (channelId) =>
              maySummarize(this.deps.replies, summarizePlace(command, channelId), this.deps.log),
            ...(this.options.historyMaxWaitMs !== undefined
              ? { historyMaxWaitMs: this.options.historyMaxWaitMs }
              : {}),
          }),
        asker,
      );
    });
    // /forget and its buttons (forget-command.ts): privately, with a confirmation first.
    const forget = (api: SlackApi): ForgetDeps => ({
      personalData: this.deps.conversation.personalData,
      admins: this.deps.admins,
      api,
      log: this.deps.log,
    });
    this.app.command("/forget", async ({ command, ack, context }) => {
      const ws = await this.workspaceOf(context);
      if (!ws) {
        await ack();
        return;
      }
      const who = { userId: command.user_id, teamId: command.team_id, enterpriseId: command.enterprise_id };
      await ack(outgoing(forgetCommandReply(command.text ?? "", who, forget(ws.api))));
    });
    this.app.action(FORGET_ACTION_ID, async ({ ack, body, action, context }) => {
      await ack();
      const ws = await this.workspaceOf(context);
      if (!ws) return;
      const value = "value" in action && typeof action.value === "string" ? action.value : "";
      const who = {
        userId: body.user.id,
        teamId: body.user.team_id ?? teamOf(body) ?? ws.identity.teamId,
        enterpriseId: enterpriseOf(body),
      };
      const responseUrl = "response_url" in body ? body.response_url : undefined;
      this.track(ws, () => handleForgetClick({ value, who, responseUrl }, forget(ws.api)), CLICK);
    });
    this.app.action(FORGET_CANCEL_ACTION_ID, async ({ ack, body, context }) => {
      await ack();
      const ws = await this.workspaceOf(context);
      if (!ws) return;
      const responseUrl = "response_url" in body ? body.response_url : undefined;
      this.track(ws, () => handleForgetCancel(responseUrl, forget(ws.api)), CLICK);
    });
    this.app.command("/assistant", async ({ command, ack }) => {
      const text = await assistantCommand(command, parseAssistantAction(command.text ?? ""), this.deps);
      await ack(outgoing({ response_type: "ephemeral" as const, text }));
    });
    this.app.action(STOP_ACTION_ID, async ({ ack, body, action, context }) => {
      await ack();
      const ws = await this.workspaceOf(context);
      if (!ws) return;
      const value = "value" in action && typeof action.value === "string" ? action.value : "";
      const channel = "channel" in body ? body.channel?.id : undefined;
      const click = { value, clicker: body.user.id, channel };
      this.track(
        ws,
        () =>
          handleStopClick(click, {
            api: ws.api,
            conversation: this.deps.conversation,
            kv: this.deps.store.kv,
          }),
        CLICK,
      );
    });
    this.app.action(SHARE_ACTION_ID, async ({ ack, body, action, context }) => {
      await ack();
      const ws = await this.workspaceOf(context);
      if (!ws) return;
      const key = "value" in action && typeof action.value === "string" ? action.value : "";
      const responseUrl =
        "response_url" in body && typeof body.response_url === "string" ? body.response_url : undefined;
      const userId = body.user.id;
      this.track(
        ws,
        () =>
          shareSummary(
            { key, userId, responseUrl },
            { api: ws.api, kv: this.deps.store.kv, log: this.deps.log },
          ),
        CLICK,
      );
    });
    const feedback = this.deps.feedback;
    if (feedback) {
      registerFeedbackListeners(this.app, {
        workspaceOf: (context) => this.workspaceOf(context),
        feedback,
        handoffs: this.deps.handoffs,
        log: this.deps.log,
        run: (ws, work) => this.track(ws, work, CLICK),
      });
    }
  }

  /** Hand-offs (docs/handoff.md): posting into Slack conversations, the team channel, /handoff. */
  private registerHandoffs(): void {
    const { handoffService: service, env, store, log } = this.deps;
    if (!service) return;
    registerSlackHandoffs({
      app: this.app,
      workspaceOf: (context) => this.workspaceOf(context),
      workspace: (teamId) => this.workspaces.get({ teamId }),
      // Single-workspace mode: the one workspace; OAuth mode: HANDOFF_SLACK_TEAM_ID's installation.
      teamWorkspace: () => this.workspaces.get({ teamId: env.HANDOFF_SLACK_TEAM_ID }),
      service,
      teamChannel: env.HANDOFF_SLACK_CHANNEL,
      // The summary is edited in place (no native stream: its recipient would be the bot).
      threadSink: (ws, channel, threadTs, turnId) =>
        this.answerSink(
          ws,
          { teamId: ws.teamId, channel, threadTs, userId: ws.identity.botUserId },
          turnIdOf("slack", turnId),
          undefined,
          { enabled: false, available: false },
        ),
      rememberThread: (key) => store.kv.set(key, "1", env.HISTORY_TTL_S * 1000),
      log,
      track: (ws, work) => this.track(ws, work, CLICK),
    });
  }

  private async onMessage(
    ws: SlackWorkspace,
    event: Parameters<typeof routeMessage>[0],
    teamId: string | undefined,
    enterpriseId: string | undefined,
  ): Promise<void> {
    const { env, store, conversation, log } = this.deps;
    const route = routeMessage(event, ws.identity, teamId, enterpriseId);
    if (route.action === "ignore") {
      log.trace({ reason: route.reason, channel: event.channel }, "slack message ignored");
      return;
    }
    const { msg, reply } = route;
    const threadKey = botThreadKey(msg.workspaceId, msg.channelId, msg.threadId);
    const addressing = {
      mentioned: mentions(event.text ?? "", ws.identity.botUserId) || event.type === "app_mention",
      followup: route.needsFollowupCheck,
    };
    if (route.needsFollowupCheck && !(await this.answersFollowup(ws, msg, event.text))) return;
    // The policy (POLICY_FILE, an admin's /assistant on|off) may keep the bot out of here.
    const allowed = await this.deps.replies?.decide(msg, addressing);
    if (allowed && !allowed.answer) {
      log.debug({ reason: allowed.reason, channel: event.channel }, "slack message not answered (policy)");
      return;
    }
    if (msg.kind === "mention") {
      // Replies in this thread continue the conversation (SLACK_THREAD_FOLLOWUPS=any) for as long
      // as its history lives. A store failure here is the core's to report; the answer still runs.
      await store.kv
        .set(
          threadKey,
          "1",
          this.deps.replies?.policies.forTurn(msg)?.historyTtlMs ?? env.HISTORY_TTL_S * 1000,
        )
        .catch((err: unknown) => log.warn({ err }, "could not remember the bot's thread"));
    }
    // Uninstalling deletes the histories of the threads noted here (uninstall.ts).
    await this.workspaceData
      .remember(
        ws.installId,
        threadKeyOf(msg),
        this.deps.replies?.policies.forTurn(msg)?.historyTtlMs,
        msg.workspaceId,
      )
      .catch((err: unknown) => log.warn({ err }, "could not note the thread for its workspace"));
    const assistantThread =
      msg.kind === "dm" &&
      (await ws.assistant.isAssistantThread(msg.workspaceId, msg.channelId, reply.threadTs));
    if (assistantThread && reply.threadTs) {
      const threadTs = reply.threadTs;
      this.track(ws, () =>
        ws.assistant.titleFromFirstMessage(
          msg.workspaceId,
          msg.channelId,
          threadTs,
          msg.text || slackFileNames(event.files).join(", "),
        ),
      );
    }
    // Only for a message the bot answers (Slack Connect files need a files.info call).
    msg.attachments = await slackAttachments(event.files, msg.workspaceId, this.filesOf(ws));
    const userName = await ws.names.cached(msg.userId);
    const sink = this.answerSink(
      ws,
      {
        teamId: msg.workspaceId,
        channel: reply.channel,
        threadTs: reply.threadTs,
        userId: msg.userId,
        assistantThread,
      },
      turnIdOf("slack", msg.messageId),
      msg.userScope,
    );
    await conversation.handle(userName ? { ...msg, userName } : msg, sink);
  }

  /**
   * Whether a thread reply without a mention is one the bot answers: follow-ups are on here (the
   * policy's mode for this channel, else SLACK_THREAD_FOLLOWUPS) and the bot answered in the thread.
   */
  private async answersFollowup(
    ws: SlackWorkspace,
    msg: IncomingMessage,
    text: string | undefined,
  ): Promise<boolean> {
    const addressing = { mentioned: mentions(text ?? "", ws.identity.botUserId), followup: true };
    const replies = this.deps.replies;
    if (
      replies ? !replies.modes(msg, addressing).answer : this.deps.env.SLACK_THREAD_FOLLOWUPS === "mention"
    ) {
      return false;
    }
    const threadKey = botThreadKey(msg.workspaceId, msg.channelId, msg.threadId);
    // Unknown (store down) counts as "not ours": answering every thread in the channel is worse.
    return (await this.deps.store.kv.get(threadKey).catch(() => null)) !== null;
  }

  private answerSink(
    ws: SlackWorkspace,
    target: AnswerTarget,
    turnId: string,
    userScope?: string,
    streaming?: StreamingSupport,
  ): SlackAnswerSink {
    const { conversation, store, log, feedback } = this.deps;
    return new SlackAnswerSink(target, {
      api: ws.api,
      pacer: ws.pacer,
      streaming: streaming ?? this.streamingFor(target.teamId),
      budgets: this.budgets,
      limits: this.limits(target.teamId),
      streamMinAppendIntervalMs: STREAM_MIN_APPEND_INTERVAL_MS / this.timeScale,
      log: log.child({ turnId }),
      stopValue: stopButtonValue(turnId, target.userId),
      onUserStop: () => conversation.cancel(turnId),
      stopRequested: async () => (await store.kv.get(stopRequestKey(turnId)).catch(() => null)) !== null,
      feedbackBlock: feedback ? feedbackBlock({ turnId, userId: target.userId, userScope }) : undefined,
    });
  }

  /** Files shared in a workspace are downloaded and looked up with that workspace's token. */
  private filesOf(ws: SlackWorkspace): SlackFileSource {
    return {
      token: async () => ws.token,
      info: async (file) => (await ws.api.call<{ file?: unknown }>("files.info", { file })).file ?? null,
      apiUrl: this.deps.env.SLACK_API_URL,
      log: this.deps.log,
    };
  }

  /** The workspace Bolt authorized the request for (its installation, or the one workspace). */
  private workspaceOf(context: Context): Promise<SlackWorkspace | null> {
    return this.workspaces.get({
      teamId: context.teamId,
      enterpriseId: context.enterpriseId,
      isEnterpriseInstall: context.isEnterpriseInstall,
    });
  }

  /** Removal work (uninstall): runs after the acks, never refused, awaited by idle(). */
  private trackRemoval(work: () => Promise<void>): void {
    const p = (this.acks.afterAcks() ?? Promise.resolve())
      .then(work)
      .catch((err: unknown) => this.deps.log.error({ err }, "slack workspace removal failed"));
    this.inflight.add(p);
    void p.finally(() => this.inflight.delete(p));
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
  private track(
    ws: SlackWorkspace,
    work: () => Promise<unknown>,
    asker?: Asker | (() => Promise<Asker | undefined>) | typeof CLICK,
  ): void {
    // A click on the bot's own button (Stop, Share) is one person's and cheap: it neither waits
    // nor is refused, so Stop stops an answer at once, also while a burst is being acknowledged.
    let start = asker === CLICK ? Promise.resolve() : this.acks.afterAcks();
    if (!start) {
      this.deps.log.warn(
        {
          waiting: this.acks.size,
          channel: asker === CLICK || typeof asker === "function" ? undefined : asker?.channel,
        },
        "too many starts waiting: event refused",
      );
      if (!asker || asker === CLICK) return;
      start = Promise.resolve();
      work = async () => {
        const who = typeof asker === "function" ? await asker() : asker;
        if (who) await tellBusy(ws.api, who);
      };
    }
    const p = start.then(work).catch((err: unknown) => this.deps.log.error({ err }, "slack handler failed"));
    this.inflight.add(p);
    void p.finally(() => this.inflight.delete(p));
  }
}

/** `track`'s asker for a click on one of the bot's buttons. */
const CLICK = "click";

/**
 * The Enterprise Grid org of an event envelope (`enterprise_id`), or of an interaction:
 * `enterprise.id`, which Slack sends for org-wide installs, else `team.enterprise_id`, which it
 * sends for any workspace of an org. Without it a Grid user's key would name the workspace, not
 * the org their turns are kept under (`/forget` would find nothing).
 */
function enterpriseOf(body: unknown): string | undefined {
  const b = body as {
    enterprise_id?: unknown;
    enterprise?: { id?: unknown } | null;
    team?: { enterprise_id?: unknown } | null;
  };
  if (typeof b.enterprise_id === "string" && b.enterprise_id !== "") return b.enterprise_id;
  if (typeof b.enterprise?.id === "string" && b.enterprise.id !== "") return b.enterprise.id;
  if (typeof b.team?.enterprise_id === "string" && b.team.enterprise_id !== "") return b.team.enterprise_id;
  return undefined;
}

/** The conversation a /summarize reads, as the policy sees it (a D… channel is a DM). */
function summarizePlace(command: { team_id: string; user_id: string }, channelId: string): ReplyPlace {
  const kind = channelId.startsWith("D") ? "dm" : "command";
  return { platform: "slack", workspaceId: command.team_id, channelId, userId: command.user_id, kind };
}

/** The envelope's `event_time` (whole seconds) in epoch ms, when it has one. */
function eventTimeOf(body: unknown): number | undefined {
  const t = (body as { event_time?: unknown }).event_time;
  return typeof t === "number" && Number.isFinite(t) ? t * 1000 : undefined;
}

function teamOf(body: unknown): string | undefined {
  const b = body as { team_id?: unknown; team?: { id?: unknown } };
  if (typeof b.team_id === "string") return b.team_id;
  if (typeof b.team?.id === "string") return b.team.id;
  return undefined;
}
