/**
 * Our REST client for Discord: discord.js' `REST` (per-route buckets learnt from the
 * X-RateLimit headers, retries of 5xx) pointed at DISCORD_API_URL, counted in metrics, with
 * every failure turned into one `PlatformError`.
 *
 * How rate limits meet the core's edit scheduler (the issue asks for zero 429s):
 * - The scheduler paces edits within a per-channel budget (render.ts: 5 per 5.3 s), so in
 *   steady state nothing is ever over the limit.
 * - `REST` normally queues a request behind an exhausted bucket and sleeps. For message sends
 *   and edits it must not: the scheduler would wait blind on a stale frame. So for those routes
 *   it rejects instead (`rejectOnRateLimit`): when its bucket knowledge says "exhausted" it
 *   throws before sending (no 429 reaches Discord); when a 429 does come back (another process
 *   used the bucket) it throws too. Both become `PlatformError("discord", "ratelimited", ...,
 *   retryAfterMs)`: the scheduler pauses the channel for that long and then sends the newest
 *   text. Sends of new messages wait in the sink instead (sink.ts): Discord counts them in a
 *   bucket of their own, which must not pause the channel's edits.
 * - Other routes (threads, typing, history, interaction callbacks) keep discord.js' queueing.
 * - Discord's global limit (50/s per bot) is one window in the store, shared by every replica:
 *   each request books a slot (one store round trip for all the requests waiting together) and
 *   settles it with the response, so the slot counts however late the request arrives; without
 *   a store (the command-registration CLI) a per-process sliding window keeps it (both in
 *   global-limit.ts).
 * - A channel's other buckets (message sends, typing, thread creation) are shared through the
 *   store as well, learnt from the X-RateLimit headers (route-budgets.ts): discord.js' bucket
 *   knowledge is per process, and two replicas posting in one channel drew 429s.
 */
import {
  DefaultRestOptions,
  DiscordAPIError,
  HTTPError,
  type RateLimitData,
  RateLimitError,
  REST,
  RESTEvents,
} from "discord.js";
import { PlatformError } from "../../core/errors.js";
import type { RateBudgetStore } from "../../core/ports.js";
import type { Logger } from "../../log.js";
import type { Metrics } from "../../metrics.js";
import {
  countsTowardsGlobalLimit,
  DISCORD_GLOBAL_REQUESTS_PER_SECOND,
  SharedGlobalLimit,
  SlidingWindowLimiter,
} from "./global-limit.js";
import { SharedRouteBudgets } from "./route-budgets.js";

/**
 * Discord counts its global limit per second; our shared window is 50 ms longer, for discord.js'
 * reset offset and the clock difference between the store and Discord (the booking itself covers
 * the time a request takes to arrive: global-limit.ts).
 */
const GLOBAL_WINDOW_MS = 1050;

/** Routes whose rate limits go to the caller (the edit scheduler) instead of a hidden queue. */
const SCHEDULED_ROUTES = new Set([
  "POST /channels/:id/messages",
  "PATCH /channels/:id/messages/:id",
  "POST /webhooks/:id/:token",
  "PATCH /webhooks/:id/:token/messages/:id",
  "PATCH /webhooks/:id/:token/messages/@original",
]);

/** Discord JSON error codes we act on (docs, "JSON Error Codes"). */
export const DISCORD_CODE = {
  unknownChannel: 10003,
  unknownMessage: 10008,
  unknownInteraction: 10062,
  missingAccess: 50001,
  missingPermissions: 50013,
  cannotMessageUser: 50007,
  interactionAcknowledged: 40060,
  threadAlreadyCreated: 160004,
  wrongChannelType: 50024,
} as const;

const CODE_NAMES: Record<number, string> = {
  [DISCORD_CODE.unknownChannel]: "unknown_channel",
  [DISCORD_CODE.unknownMessage]: "unknown_message",
  [DISCORD_CODE.unknownInteraction]: "unknown_interaction",
  [DISCORD_CODE.missingAccess]: "missing_access",
  [DISCORD_CODE.missingPermissions]: "missing_permissions",
  [DISCORD_CODE.cannotMessageUser]: "cannot_message_user",
  [DISCORD_CODE.interactionAcknowledged]: "interaction_acknowledged",
  [DISCORD_CODE.threadAlreadyCreated]: "thread_already_created",
  [DISCORD_CODE.wrongChannelType]: "wrong_channel_type",
  50006: "empty_message",
  50035: "invalid_form_body",
  50027: "invalid_webhook_token",
};

/** A REST client for DISCORD_API_URL with our rate-limit policy; `token` may be set later. */
export function createRest(opts: {
  apiUrl: string;
  token?: string;
  metrics: Metrics;
  log: Logger;
  /** Requests per second the whole bot may send (Discord's global limit, less a margin). */
  globalRequestsPerSecond?: number;
  /** Share the global limit with every replica through the store; `scope` names the bot. */
  shared?: { budgets: RateBudgetStore; scope: string };
}): REST {
  const perSecond = opts.globalRequestsPerSecond ?? DISCORD_GLOBAL_REQUESTS_PER_SECOND;
  const global = opts.shared
    ? new SharedGlobalLimit(opts.shared.budgets, opts.shared.scope, perSecond, GLOBAL_WINDOW_MS, opts.log)
    : null;
  const local = global ? null : new SlidingWindowLimiter(perSecond, 1000);
  // Channel buckets (sends, typing, threads) are shared by every replica too (route-budgets.ts).
  const routes = opts.shared ? new SharedRouteBudgets(opts.shared.budgets, opts.log) : null;
  const rest = new REST({
    api: opts.apiUrl.replace(/\/+$/, ""),
    rejectOnRateLimit: (data: RateLimitData) =>
      !data.global && SCHEDULED_ROUTES.has(routeLabel(data.method, data.route)),
    async makeRequest(url, init) {
      const route = routes ? await routes.before(init.method ?? "GET", url, init.signal ?? undefined) : null;
      let res: Awaited<ReturnType<typeof DefaultRestOptions.makeRequest>> | null = null;
      let booking: string | null = null;
      try {
        if (countsTowardsGlobalLimit(url)) {
          if (global) booking = await global.acquire(init.signal ?? undefined);
          else await (local as SlidingWindowLimiter).acquire();
        }
        res = await DefaultRestOptions.makeRequest(url, init);
        return res;
      } finally {
        global?.settle(booking);
        routes?.after(route, res?.headers ?? null);
      }
    },
  });
  if (opts.token) rest.setToken(opts.token);
  instrumentRest(rest, opts.metrics, opts.log);
  return rest;
}

/** Count every HTTP request and every 429 by route; log rate-limit waits at debug. */
export function instrumentRest(rest: REST, metrics: Metrics, log: Logger): void {
  rest.on(RESTEvents.Response, (request, response) => {
    const method = routeLabel(request.method, request.route);
    metrics.platformCalls.inc({ platform: "discord", method });
    if (response.status === 429) {
      metrics.platformRateLimited.inc({ platform: "discord", method });
      log.warn({ route: method }, "discord answered 429");
    }
  });
  rest.on(RESTEvents.RateLimited, (info) => {
    log.debug(
      { route: routeLabel(info.method, info.route), waitMs: info.timeToReset, global: info.global },
      "discord rate limit",
    );
  });
}

/** "PATCH /channels/:id/messages/:id": the label used in metrics and in the scheduled set. */
export function routeLabel(method: string, route: string): string {
  return `${method.toUpperCase()} ${route.replace("%40original", "@original")}`;
}

/** Run one REST call; any failure becomes a PlatformError (rate limits carry `retryAfterMs`). */
export async function call<T>(what: string, fn: () => Promise<unknown>): Promise<T> {
  try {
    return (await fn()) as T;
  } catch (err) {
    throw toPlatformError(what, err);
  }
}

export function toPlatformError(what: string, err: unknown): PlatformError {
  if (err instanceof PlatformError) return err;
  if (err instanceof RateLimitError) {
    const waitMs = Math.max(1, Math.ceil(err.retryAfter > 0 ? err.retryAfter : err.timeToReset));
    return new PlatformError("discord", "ratelimited", `${what}: rate limited on ${err.route}`, waitMs, {
      cause: err,
    });
  }
  if (err instanceof DiscordAPIError) {
    const code =
      typeof err.code === "number" ? (CODE_NAMES[err.code] ?? `api_${err.code}`) : String(err.code);
    const name = err.status === 401 ? "unauthorized" : code;
    return new PlatformError("discord", name, `${what}: ${err.status} ${err.message}`, undefined, {
      cause: err,
    });
  }
  if (err instanceof HTTPError) {
    return new PlatformError("discord", "unavailable", `${what}: HTTP ${err.status}`, undefined, {
      cause: err,
    });
  }
  const message = err instanceof Error ? err.message : String(err);
  return new PlatformError("discord", "network", `${what}: ${message}`, undefined, { cause: err });
}

/** The Discord JSON error code behind a PlatformError, if any. */
export function discordCode(err: unknown): number | undefined {
  const cause = err instanceof PlatformError ? err.cause : err;
  return cause instanceof DiscordAPIError && typeof cause.code === "number" ? cause.code : undefined;
}
