/**
 * Bolt receiver on the service's one HTTP server: `POST /slack/events` takes events, slash
 * commands and interactivity. Each request's signature is checked with Bolt's own verifier
 * (HMAC of the raw body with the signing secret, and a timestamp no older than 5 minutes);
 * anything else is a 401. Events API deliveries are acknowledged as soon as their signature and
 * JSON are checked, before Bolt sees them (Bolt would ack them before their listener anyway, but
 * only after authorize, context and client set-up); slash commands and interactivity follow
 * Bolt's rules (HTTPResponseAck: answered when the listener acks, perhaps with a body).
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import {
  type App,
  type Logger as BoltLogger,
  HTTPModuleFunctions,
  HTTPResponseAck,
  type Receiver,
} from "@slack/bolt";
import type { HttpServer } from "../../http/server.js";
import type { Logger } from "../../log.js";
import type { AckFirst } from "./ack-first.js";

export const SLACK_EVENTS_PATH = "/slack/events";
/**
 * Bodies are buffered before the signature can be checked, so anyone can make us hold this much.
 * Slack's payloads are far smaller (an event or a view submission is tens of KB); Bolt's own
 * receivers allow 4 MB, which 256 slow uploads would turn into 1 GB.
 */
export const SLACK_BODY_LIMIT_BYTES = 1024 * 1024;
/** Slack retries an event not acknowledged within 3 s; Bolt answers 404 after this. */
const UNHANDLED_TIMEOUT_MS = 3001;

export class SlackHttpReceiver implements Receiver {
  private app: App | undefined;
  private accepting = false;
  /** Events acknowledged and waiting to be handed to Bolt. */
  private readonly pending = new Set<Promise<unknown>>();
  /** The same, until Bolt has run their listeners (which hand their work to the adapter). */
  private readonly processing = new Set<Promise<unknown>>();

  constructor(
    private readonly opts: {
      http: HttpServer;
      signingSecret: string;
      log: Logger;
      boltLogger: BoltLogger;
      /** Counts the requests being acknowledged, so started work can wait for them. */
      acks?: AckFirst;
      /** Real waits are divided by this (tests run a scaled fake). */
      timeScale?: number;
    },
  ) {}

  init(app: App): void {
    this.app = app;
  }

  async start(): Promise<void> {
    if (!this.opts.http.hasRoute("POST", SLACK_EVENTS_PATH)) {
      this.opts.http.route("POST", SLACK_EVENTS_PATH, (req, res) => this.handle(req, res));
    }
    this.accepting = true;
  }

  async stop(): Promise<void> {
    this.accepting = false;
    // Events already acknowledged are still handed to Bolt: Slack will not send them again.
    // (What their listeners start is tracked and drained by the adapter.)
    await Promise.allSettled([...this.pending]);
  }

  /** Resolves when every acknowledged event has been through Bolt's listeners. */
  async settled(): Promise<void> {
    while (this.processing.size > 0) await Promise.allSettled([...this.processing]);
  }

  /** Hand an acknowledged event to Bolt once the acks being written are out. */
  private afterAck(app: App, event: Parameters<App["processEvent"]>[0]): void {
    const run = async (): Promise<void> => {
      for (let attempt = 0; ; attempt++) {
        try {
          await app.processEvent(event);
          return;
        } catch (err) {
          // As on the acking path: Bolt's TypeError on a signed body of the wrong shape is bad input.
          if (err instanceof TypeError) {
            this.opts.log.warn({ reason: err.message }, "slack request body not understood");
            return;
          }
          // The workspace's installation could not be read (the store is down): Slack will not
          // deliver this acknowledged event again, so it is tried again here, a few times.
          const delay = AUTHORIZE_RETRY_DELAYS_MS[attempt];
          if (isAuthorizationError(err) && delay !== undefined && this.accepting) {
            this.opts.log.warn(
              { attempt: attempt + 1, delayMs: delay },
              "slack event authorization failed: retrying",
            );
            await new Promise((resolve) => setTimeout(resolve, delay / (this.opts.timeScale ?? 1)).unref());
            continue;
          }
          this.opts.log.error({ err }, "slack event processing failed");
          return;
        }
      }
    };
    const later = this.opts.acks?.afterAcks({ uncounted: true });
    // stop() waits for the hand-over only (at most MAX_START_DELAY_MS), not for the listener.
    if (later) track(this.pending, later);
    track(this.processing, later ? later.then(run) : run());
  }

  get ready(): boolean {
    return this.accepting;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.opts.acks?.enter();
    try {
      await this.acknowledge(req, res);
    } finally {
      this.opts.acks?.leave();
    }
  }

  private async acknowledge(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!this.accepting || !this.app) {
      // Shutting down: Slack retries, and another replica (or this one restarted) answers.
      HTTPModuleFunctions.buildNoBodyResponse(res, 503);
      return;
    }
    let buffered: Awaited<ReturnType<typeof HTTPModuleFunctions.parseAndVerifyHTTPRequest>>;
    try {
      buffered = await HTTPModuleFunctions.parseAndVerifyHTTPRequest(
        { enabled: true, signingSecret: this.opts.signingSecret, bodyLimit: SLACK_BODY_LIMIT_BYTES },
        req,
      );
    } catch (err) {
      const tooLarge = HTTPModuleFunctions.isRawBodyError(err) && err.statusCode === 413;
      this.opts.log.warn(
        { reason: err instanceof Error ? err.message : String(err) },
        "slack request rejected",
      );
      HTTPModuleFunctions.buildNoBodyResponse(res, tooLarge ? 413 : 401);
      return;
    }
    let body: Record<string, unknown>;
    try {
      body = HTTPModuleFunctions.parseHTTPRequestBody(buffered) as Record<string, unknown>;
    } catch {
      HTTPModuleFunctions.buildNoBodyResponse(res, 400);
      return;
    }
    if (!isObject(body)) {
      HTTPModuleFunctions.buildNoBodyResponse(res, 400);
      return;
    }
    if (body.ssl_check === "1") return HTTPModuleFunctions.buildSSLCheckResponse(res);
    if (body.type === "url_verification") return HTTPModuleFunctions.buildUrlVerificationResponse(res, body);

    const retryNum = HTTPModuleFunctions.extractRetryNumFromHTTPRequest(req);
    const retryReason = HTTPModuleFunctions.extractRetryReasonFromHTTPRequest(req);
    if (acksAtOnce(body)) {
      // The Events API wants an empty 200 and nothing else: it goes out before Bolt looks at the
      // event, and Bolt's processing waits for the burst's other acks (ack-first.ts).
      HTTPModuleFunctions.buildNoBodyResponse(res, 200);
      this.afterAck(this.app, { body, ack: async () => {}, retryNum, retryReason });
      return;
    }

    const ack = new HTTPResponseAck({
      logger: this.opts.boltLogger,
      processBeforeResponse: false,
      unhandledRequestTimeoutMillis: UNHANDLED_TIMEOUT_MS,
      httpRequest: buffered,
      httpRequestBody: body,
      httpResponse: res,
    });
    try {
      await this.app.processEvent({
        body,
        ack: ack.bind(),
        retryNum,
        retryReason,
      });
    } catch (err) {
      // Bolt reads the body's fields without checking their types: a signed body of the wrong
      // shape (`"event": null`, `"channel": null`) throws a TypeError before anything is acked.
      if (err instanceof TypeError && !res.headersSent) {
        this.opts.log.warn({ reason: err.message }, "slack request body not understood");
        HTTPModuleFunctions.buildNoBodyResponse(res, 400);
        return;
      }
      this.opts.log.error({ err }, "slack event processing failed");
      if (!res.headersSent) HTTPModuleFunctions.buildNoBodyResponse(res, 500);
    }
  }
}

/**
 * An Events API delivery Bolt would acknowledge with an empty 200 before its listeners run
 * anyway (all but `function_executed`, whose listener acks itself). Bodies without an event
 * object go the long way, where Bolt's errors on a wrong shape still become a 400.
 */
function acksAtOnce(body: Record<string, unknown>): boolean {
  if (body.type !== "event_callback" || !isObject(body.event)) return false;
  return typeof body.event.type === "string" && body.event.type !== "function_executed";
}

/**
 * An acknowledged event whose installation lookup failed (not "not installed": Bolt's error
 * handler drops those quietly) is tried again after these delays, like Slack's own redelivery
 * (1 min, 5 min) would for an event that was not acknowledged, but sooner.
 */
const AUTHORIZE_RETRY_DELAYS_MS = [1_000, 5_000, 30_000];

function isAuthorizationError(err: unknown): boolean {
  return (err as { code?: unknown } | null)?.code === "slack_bolt_authorization_error";
}

function track(set: Set<Promise<unknown>>, p: Promise<unknown>): void {
  set.add(p);
  void p.finally(() => set.delete(p));
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
