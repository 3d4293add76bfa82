/**
 * Bolt receiver on the service's one HTTP server: `POST /slack/events` takes events, slash
 * commands and interactivity. Each request's signature is checked with Bolt's own verifier
 * (HMAC of the raw body with the signing secret, and a timestamp no older than 5 minutes);
 * anything else is a 401. Acks follow Bolt's rules (HTTPResponseAck: answered as soon as the
 * listener acks; events are acked before their listener runs).
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

  constructor(
    private readonly opts: {
      http: HttpServer;
      signingSecret: string;
      log: Logger;
      boltLogger: BoltLogger;
      /** Counts the requests being acknowledged, so started work can wait for them. */
      acks?: AckFirst;
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
        retryNum: HTTPModuleFunctions.extractRetryNumFromHTTPRequest(req),
        retryReason: HTTPModuleFunctions.extractRetryReasonFromHTTPRequest(req),
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

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
