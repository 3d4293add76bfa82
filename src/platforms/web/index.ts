/**
 * The local web chat: a third platform adapter of the same conversation core. A browser tab is a
 * session (issued by `POST /api/sessions`; it is the thread, while the user is the remote
 * address), messages come in over `POST /api/messages`, answers stream back over Server-Sent
 * Events (`GET /api/events`), and `POST /api/stop` is the Stop button. For local use: there is no
 * sign-in.
 */
import type { TurnOutcome } from "../../core/conversation.js";
import { noticeFor } from "../../core/notices.js";
import type { IncomingMessage } from "../../core/types.js";
import { createHostChecks } from "../../http/hosts.js";
import type { AdapterDeps, PlatformAdapter } from "../adapter.js";
import { loadWebAssets, serveAsset } from "./assets.js";
import { createFeedbackRoutes } from "./feedback-routes.js";
import { createForgetRoute } from "./forget-route.js";
import { createHandoffRoute, LocalTeamDesk, WebConversationPoster } from "./handoff.js";
import { createWebRoutes } from "./routes.js";
import { SessionTokens } from "./session-tokens.js";
import { SessionHub, type SessionHubOptions, type WebSession } from "./sessions.js";
import { createWebSink } from "./sink.js";
import { registerTeamPage } from "./team-routes.js";
import { uploadBodyBytes } from "./uploads.js";

export type { WebEvent } from "./events.js";
export { SessionHub, type SessionHubOptions, WebSession } from "./sessions.js";
export { createWebSink, webSinkLimits } from "./sink.js";

/** Comment lines this often keep idle streams open through proxies (they cut at 30-60 s) and browsers. */
export const WEB_HEARTBEAT_MS = 15_000;
/** How often sessions without tabs or turns are looked at for expiry. */
const SWEEP_INTERVAL_MS = 60_000;
/** Shown when the policy file (or an admin) has the assistant off for the web chat. */
const WEB_CHAT_OFF = "The assistant is switched off here.";
/** JSON escapes a control character as \uXXXX: 6 bytes per character is the worst case. */
const BODY_BYTES_PER_CHAR = 6;
/** Room for the JSON around the text (ids, keys). */
const BODY_OVERHEAD_BYTES = 1024;

export interface WebChatOptions {
  heartbeatMs: number;
  sweepIntervalMs: number;
  /**
   * Larger POST bodies get 413. Default: room for `MAX_INPUT_CHARS` characters of text, and for a
   * message also `MAX_ATTACHMENTS` files of `MAX_ATTACHMENT_BYTES` (uploads.ts).
   */
  maxBodyBytes: number;
  sessions: Partial<SessionHubOptions>;
}

export function createWebChatAdapter(
  deps: AdapterDeps,
  options: Partial<WebChatOptions> = {},
): PlatformAdapter {
  return new WebChatAdapter(deps, options);
}

class WebChatAdapter implements PlatformAdapter {
  readonly platform = "web" as const;
  private readonly hub: SessionHub;
  private started = false;
  private stopping = false;
  private readonly running = new Set<Promise<void>>();
  private timers: NodeJS.Timeout[] = [];

  constructor(
    private readonly deps: AdapterDeps,
    private readonly options: Partial<WebChatOptions>,
  ) {
    this.hub = new SessionHub(options.sessions);
  }

  async start(): Promise<void> {
    if (this.started) return;
    const { env, http, log } = this.deps;
    const assets = loadWebAssets();
    const textBodyBytes = env.MAX_INPUT_CHARS * BODY_BYTES_PER_CHAR + BODY_OVERHEAD_BYTES;
    const uploads = { maxFiles: env.MAX_ATTACHMENTS, maxBytes: env.MAX_ATTACHMENT_BYTES };
    const tokens = new SessionTokens();
    const maxBodyBytes =
      this.options.maxBodyBytes ?? env.MAX_INPUT_CHARS * BODY_BYTES_PER_CHAR + BODY_OVERHEAD_BYTES;
    const routes = createWebRoutes({
      hub: this.hub,
      tokens,
      conversation: this.deps.conversation,
      log,
      botName: env.BOT_NAME,
      scripts: assets.map((asset) => asset.path),
      maxBodyBytes: this.options.maxBodyBytes ?? textBodyBytes,
      maxMessageBytes: this.options.maxBodyBytes ?? textBodyBytes + uploadBodyBytes(uploads),
      uploads,
      accepting: () => this.started && !this.stopping,
      startTurn: (session, msg, turnId) => this.startTurn(session, msg, turnId),
    });
    // Every route of the chat answers only to known host names (DNS rebinding: see hosts.ts).
    const only = { allowHost: createHostChecks(env.WEB_ALLOWED_HOSTS).browser };
    http.route("GET", "/", routes.page, only);
    http.route("POST", "/api/sessions", routes.openSession, only);
    for (const asset of assets) http.route("GET", `/${asset.path}`, serveAsset(asset), only);
    http.route("POST", "/api/messages", routes.postMessage, only);
    http.route("GET", "/api/events", routes.events, only);
    http.route("POST", "/api/stop", routes.stop, only);
    // Hand-offs (docs/handoff.md): Talk to a person, team replies into the page, the team page.
    const service = this.deps.handoffService;
    if (service) {
      service.registerPoster(new WebConversationPoster(this.hub));
      service.registerDesk(new LocalTeamDesk(service.store));
      http.route(
        "POST",
        "/api/handoff",
        createHandoffRoute({ tokens, handoffs: service, maxBodyBytes }),
        only,
      );
      const scripts = assets.map((asset) => asset.path);
      registerTeamPage(http, { service, botName: env.BOT_NAME, maxBodyBytes, scripts, ...only });
    }
    const forget = createForgetRoute({
      hub: this.hub,
      tokens,
      personalData: this.deps.conversation.personalData,
      log,
      maxBodyBytes: BODY_OVERHEAD_BYTES,
    });
    http.route("POST", "/api/forget", forget, only);
    if (this.deps.feedback) {
      const feedback = createFeedbackRoutes({
        tokens,
        feedback: this.deps.feedback,
        handoffs: this.deps.handoffs,
        log,
        maxBodyBytes:
          this.options.maxBodyBytes ?? env.MAX_INPUT_CHARS * BODY_BYTES_PER_CHAR + BODY_OVERHEAD_BYTES,
      });
      http.route("POST", "/api/feedback", feedback.rate, only);
      http.route("POST", "/api/feedback/handoff", feedback.handoff, only);
    }
    const heartbeat = setInterval(() => this.hub.heartbeat(), this.options.heartbeatMs ?? WEB_HEARTBEAT_MS);
    const sweep = setInterval(() => this.hub.sweep(), this.options.sweepIntervalMs ?? SWEEP_INTERVAL_MS);
    heartbeat.unref();
    sweep.unref();
    this.timers = [heartbeat, sweep];
    this.started = true;
    log.info({ path: "/" }, "web chat on (local use: no sign-in, do not expose it publicly)");
  }

  /**
   * Refuse new messages and streams. Open streams stay until the running answers are done (the
   * conversation's drain finishes or stops them), so the tabs see how their answers end; then
   * they are closed so the HTTP server can close. A deadline past the drain's is the backstop.
   */
  async stop(): Promise<void> {
    if (!this.started || this.stopping) return;
    this.stopping = true;
    for (const timer of this.timers) clearInterval(timer);
    this.timers = [];
    if (this.running.size === 0) {
      this.hub.closeAllConnections();
      return;
    }
    const backstop = setTimeout(
      () => this.hub.closeAllConnections(),
      this.deps.env.SHUTDOWN_DEADLINE_MS + 1000,
    );
    backstop.unref();
    void Promise.allSettled([...this.running]).then(() => {
      clearTimeout(backstop);
      this.hub.closeAllConnections();
    });
  }

  isReady(): boolean {
    return this.started && !this.stopping;
  }

  private startTurn(session: WebSession, msg: IncomingMessage, turnId: string): void {
    const controller = new AbortController();
    session.turns.set(turnId, controller);
    const turn = this.runTurn(session, msg, turnId, controller.signal);
    this.running.add(turn);
    void turn.finally(() => this.running.delete(turn));
  }

  /** One turn in the background (the POST has already answered 202). Always ends with `end`. */
  private async runTurn(
    session: WebSession,
    msg: IncomingMessage,
    turnId: string,
    signal: AbortSignal,
  ): Promise<void> {
    const sink = createWebSink(this.hub, session, turnId, msg.messageId);
    let outcome: TurnOutcome | "failed" = "failed";
    try {
      // The web chat is one person talking to the bot: a DM, always addressed to it.
      const allowed = await this.deps.replies?.decide(msg, { mentioned: true, followup: false });
      if (allowed && !allowed.answer) {
        this.deps.log.info({ turnId, reason: allowed.reason }, "web chat message not answered (policy)");
        this.hub.publish(session, { type: "notice", turnId, text: WEB_CHAT_OFF });
        outcome = "rejected";
        return;
      }
      const result = await this.deps.conversation.handle(msg, sink, { signal });
      outcome = result.outcome;
    } catch (err) {
      // `handle` promises never to throw; if it does anyway, the tab still gets an ending.
      this.deps.log.error({ err, turnId }, "web chat turn failed");
      this.hub.publish(session, { type: "notice", turnId, text: noticeFor(err) });
    } finally {
      session.turns.delete(turnId);
      this.hub.publish(session, { type: "end", turnId, outcome });
    }
  }
}
