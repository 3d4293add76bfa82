/**
 * The adapter's one door to the Slack Web API. Every call goes to SLACK_API_URL through a
 * WebClient whose fetch counts calls and 429s in the metrics (Bolt's and Socket Mode's clients
 * share the same fetch). Rate limits are not retried inside the client: a 429 becomes a
 * `PlatformError` with `retryAfterMs`, so the core's edit scheduler can wait and keep the
 * workspace budget honest. `callPatiently` is for the few calls outside the scheduler
 * (history pages, notices) that should simply wait and retry.
 */
import { type Logger as BoltLogger, LogLevel, webApi } from "@slack/bolt";
import { PlatformError } from "../../core/errors.js";
import type { Logger } from "../../log.js";
import type { Metrics } from "../../metrics.js";
import { outgoing } from "./outgoing.js";

/** A hung Slack call must not hold an answer forever; Slack answers in well under a second. */
const REQUEST_TIMEOUT_MS = 15_000;
/** Network errors (not 429s, not Slack errors) are retried a couple of times, quickly. */
const NETWORK_RETRIES = 2;

export type SlackArgs = Record<string, unknown>;
export type SlackResult = Record<string, unknown>;

export interface SlackApiOptions {
  token: string;
  apiUrl: string;
  metrics: Metrics;
  log: Logger;
  /** Called when Slack says the token is no longer good (revoked, uninstalled, replaced). */
  onTokenRejected?: (code: string) => void;
}

/** Slack's answers meaning "this token is no longer good": the workspace must be looked up again. */
export const TOKEN_REJECTED_CODES = new Set([
  "invalid_auth",
  "not_authed",
  "account_inactive",
  "token_revoked",
  "token_expired",
]);

export class SlackApi {
  readonly client: webApi.WebClient;
  /** Shared by every WebClient of this adapter (Bolt's, Socket Mode's) so all calls are counted. */
  readonly clientOptions: webApi.WebClientOptions;

  constructor(private readonly opts: SlackApiOptions) {
    this.clientOptions = slackClientOptions(opts);
    this.client = new webApi.WebClient(opts.token, this.clientOptions);
  }

  /**
   * One Web API call. Slack errors and 429s are thrown as `PlatformError("slack", code)`. Every
   * string in `args` is made safe on the way out (no pings from model text: see outgoing.ts).
   */
  async call<T = SlackResult>(method: string, args: SlackArgs = {}): Promise<T> {
    try {
      return (await this.client.apiCall(method, outgoing(args))) as T;
    } catch (err) {
      const error = toPlatformError(method, err);
      if (TOKEN_REJECTED_CODES.has(error.code)) this.opts.onTokenRejected?.(error.code);
      throw error;
    }
  }

  /** Like `call`, but waits out 429s (up to `maxWaitMs` in total) instead of throwing them. */
  async callPatiently<T = SlackResult>(
    method: string,
    args: SlackArgs,
    opts: { maxWaitMs: number; signal?: AbortSignal },
  ): Promise<T> {
    let waited = 0;
    for (;;) {
      try {
        return await this.call<T>(method, args);
      } catch (err) {
        if (!(err instanceof PlatformError) || err.retryAfterMs === undefined) throw err;
        if (waited + err.retryAfterMs > opts.maxWaitMs || opts.signal?.aborted) throw err;
        waited += err.retryAfterMs;
        this.opts.log.info({ method, retryAfterMs: err.retryAfterMs }, "slack rate limit: waiting");
        await sleep(err.retryAfterMs, opts.signal);
      }
    }
  }

  /**
   * POST a message to a response_url (slash commands, button clicks), made safe like `call`.
   * True when Slack accepted it; false when it refused (used up, expired) or did not answer.
   */
  async respond(url: string, body: SlackArgs, opts: { timeoutMs: number }): Promise<boolean> {
    this.opts.metrics.platformCalls.inc({ platform: "slack", method: "response_url" });
    try {
      const res = await fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(outgoing(body)),
        signal: AbortSignal.timeout(opts.timeoutMs),
      });
      if (res.ok) return true;
      this.opts.log.info({ status: res.status }, "response_url refused the message");
    } catch (err) {
      this.opts.log.info({ err }, "response_url failed");
    }
    return false;
  }
}

/**
 * The options of every WebClient of the adapter, whatever its token (one per workspace in OAuth
 * mode; Bolt's, Socket Mode's and the installer's too): SLACK_API_URL, counted calls, no 429 retries.
 */
export function slackClientOptions(opts: Omit<SlackApiOptions, "token">): webApi.WebClientOptions {
  return {
    slackApiUrl: normalizeApiUrl(opts.apiUrl),
    fetch: countingFetch(opts.apiUrl, opts.metrics),
    logger: boltLogger(opts.log),
    rejectRateLimitedCalls: true,
    retryConfig: { retries: NETWORK_RETRIES, factor: 2, minTimeout: 100, maxTimeout: 1000 },
    timeout: REQUEST_TIMEOUT_MS,
  };
}

/** WebClient appends method names to the base; it must end in a slash. */
export function normalizeApiUrl(url: string): string {
  return url.endsWith("/") ? url : `${url}/`;
}

export function toPlatformError(method: string, err: unknown): PlatformError {
  if (err instanceof PlatformError) return err;
  if (err instanceof webApi.WebAPIRateLimitedError) {
    return new PlatformError("slack", "ratelimited", `${method}: rate limited`, err.retryAfter * 1000, {
      cause: err,
    });
  }
  if (err instanceof webApi.WebAPIPlatformError) {
    const code = String(err.data.error);
    const data = err.data as unknown as Record<string, unknown>;
    const needed = typeof data.needed === "string" ? ` (needs ${data.needed})` : "";
    return new PlatformError("slack", code, `${method}: ${code}${needed}`, undefined, { cause: err });
  }
  if (err instanceof webApi.WebAPIHTTPError) {
    return new PlatformError(
      "slack",
      `http_${err.statusCode}`,
      `${method}: HTTP ${err.statusCode}`,
      undefined,
      {
        cause: err,
      },
    );
  }
  const message = err instanceof Error ? err.message : String(err);
  return new PlatformError("slack", "request_failed", `${method}: ${message}`, undefined, { cause: err });
}

/** The scope a `missing_scope` error asked for, when Slack said. */
export function neededScope(err: PlatformError): string | undefined {
  const cause = err.cause;
  if (!(cause instanceof webApi.WebAPIPlatformError)) return undefined;
  const needed = (cause.data as unknown as Record<string, unknown>).needed;
  return typeof needed === "string" ? needed : undefined;
}

function countingFetch(apiUrl: string, metrics: Metrics): typeof fetch {
  const base = normalizeApiUrl(apiUrl);
  return async (input, init) => {
    const url = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
    const method = url.startsWith(base) ? url.slice(base.length).split("?")[0] || "unknown" : "other";
    metrics.platformCalls.inc({ platform: "slack", method });
    const res = await fetch(input, init);
    if (res.status === 429) metrics.platformRateLimited.inc({ platform: "slack", method });
    return res;
  };
}

/**
 * The SDKs log request bodies as one string at debug (`http request body: {...}`), where pino's
 * redact paths cannot reach: the install's `client_secret` and `code`, and any Slack token, are
 * blanked in the text itself.
 */
export function scrubSecrets(text: string): string {
  return text
    .replace(/("(?:client_secret|code|refresh_token)"\s*:\s*")[^"]*"/g, '$1[redacted]"')
    .replace(/\bxox[a-z]-[A-Za-z0-9-]+/g, "xox?-[redacted]")
    .replace(/\bxapp-[A-Za-z0-9-]+/g, "xapp-[redacted]");
}

/** Bolt and the Slack SDK log through this; their debug output (request bodies) stays at debug. */
export function boltLogger(log: Logger): BoltLogger {
  const child = log.child({ component: "slack-sdk" });
  let level = LogLevel.INFO;
  const join = (msgs: unknown[]) =>
    scrubSecrets(msgs.map((m) => (m instanceof Error ? m.message : String(m))).join(" "));
  return {
    debug: (...msgs) => child.debug(join(msgs)),
    info: (...msgs) => child.info(join(msgs)),
    warn: (...msgs) => child.warn(join(msgs)),
    error: (...msgs) => child.error(join(msgs)),
    setLevel: (l) => {
      level = l;
    },
    getLevel: () => level,
    setName: () => {},
  };
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });
}
