/**
 * Discord's per-route buckets of a channel (message sends, typing, thread creation), shared by
 * every replica through the store. discord.js learns each bucket from the `X-RateLimit-*`
 * headers, but per process: two replicas posting in one channel each believe they own its
 * 5 sends per 5 s, and together draw 429s. Here every request on such a route first books a
 * slot in one window in the store (`RateBudgetStore`, keyed by the channel), so N replicas
 * together stay within the bucket whatever N is.
 *
 * - A booking, not a grant: the slot counts from the moment it is taken until a window after the
 *   response came back (when it is settled). Discord counts the request when it arrives, which
 *   is somewhere in between: however long the request took to leave this process (we measured
 *   over a second inside the HTTP client's connection pool on a loaded machine), it is counted.
 * - The numbers come from the headers: `X-RateLimit-Limit` is the bucket's size, and the
 *   `X-RateLimit-Reset-After` of a window's first request (Discord's windows start with the first
 *   request after a reset) is its length. Until then the message-send bucket uses Discord's
 *   usual 5 per 5 s; other routes go unguarded for their first request (discord.js sends one
 *   request per bucket at a time) and it is counted afterwards.
 * - Message edits are booked too, after the edit scheduler's grant (which decides which answer
 *   gets the channel's next edit): the grant is counted when it is made, the booking until the
 *   response, so only the booking is safe against a slow request. When no slot is free an edit
 *   does not wait: it fails as rate-limited without being sent, and the scheduler pauses the
 *   channel and then sends the newest text.
 * - A store outage lets requests go: discord.js' own bucket knowledge and the scheduler's 429
 *   handling are the backstop.
 */
import { randomUUID } from "node:crypto";
import { PlatformError } from "../../core/errors.js";
import type { RateBudgetStore } from "../../core/ports.js";
import { sleep } from "../../core/timers.js";
import type { Logger } from "../../log.js";

export interface RouteRule {
  limit: number;
  windowMs: number;
}

/** Discord's message-send bucket as its headers show for a bot: 5 per 5 s per channel. */
export const DISCORD_SEND_RULE: RouteRule = { limit: 5, windowMs: 5000 };
/** Numbers used before a route's headers are seen. */
const EDIT_ROUTE = "PATCH /channels/:id/messages/:id";
const DEFAULT_RULES = new Map<string, RouteRule>([
  ["POST /channels/:id/messages", DISCORD_SEND_RULE],
  [EDIT_ROUTE, DISCORD_SEND_RULE],
]);
/**
 * Our windows are longer than Discord's by discord.js' 50 ms reset offset and some clock
 * difference between the store and Discord.
 */
const WINDOW_MARGIN_MS = 100;
/**
 * A booking never settled (the process died mid-request) lapses after discord.js' request
 * timeout (15 s): it cannot have reached Discord later than that. The global limit's bookings
 * (global-limit.ts) hold as long.
 */
export const BOOKING_HOLD_MS = 15_000;

/** A request's shared bucket: the channel, the route template, and its booking. */
export interface RouteKey {
  channelId: string;
  route: string;
  /** The booking to settle with the response; null when the request went out without one. */
  bookingId: string | null;
  windowMs: number;
}

interface HeaderSource {
  get(name: string): string | null;
}

/** The route template and channel of a REST url, when its bucket is shared here. */
export function sharedRouteOf(method: string, url: string): { channelId: string; route: string } | null {
  const path = new URL(url).pathname.replace(/^.*?\/v\d+(?=\/)/, "");
  const parts = path.split("/").filter((p) => p !== "");
  if (parts[0] !== "channels" || !parts[1] || !/^\d+$/.test(parts[1])) return null;
  const verb = method.toUpperCase();
  // Reads and deletes are not worth a booking.
  if (verb === "GET" || verb === "DELETE") return null;
  const template = parts.map((p, i) => (i > 0 && /^\d+$/.test(p) ? ":id" : p)).join("/");
  const route = `${verb} /${template}`;
  // Of the edits, message edits only (the answers' frames); other PATCHes are rare.
  if (verb === "PATCH" && route !== EDIT_ROUTE) return null;
  return { channelId: parts[1], route };
}

export class SharedRouteBudgets {
  /** Numbers read from a response that opened a window (the whole window): these win. */
  private readonly learnt = new Map<string, RouteRule>();
  /** Numbers read from other responses, for routes without a default: the longest reset seen. */
  private readonly guessed = new Map<string, RouteRule>();

  constructor(
    private readonly store: RateBudgetStore,
    private readonly log: Logger,
  ) {}

  /**
   * Wait for a slot for a request to `url` (if its route is shared here). Returns the key to
   * hand to `after` with the response; rejects with `signal`'s reason if aborted while waiting.
   */
  async before(method: string, url: string, signal?: AbortSignal): Promise<RouteKey | null> {
    const shared = sharedRouteOf(method, url);
    if (!shared) return null;
    const rule = this.ruleOf(shared.route);
    if (!rule) return { ...shared, bookingId: null, windowMs: 0 };
    const id = randomUUID();
    const windowMs = rule.windowMs + WINDOW_MARGIN_MS;
    for (;;) {
      let retryAfterMs: number;
      try {
        const booking = await this.store.book({
          scope: scopeOf(shared.channelId),
          id,
          slots: [{ name: shared.route, limit: rule.limit, windowMs, holdMs: BOOKING_HOLD_MS }],
        });
        if (booking.booked) return { ...shared, bookingId: id, windowMs };
        // A slot held by a request still in flight counts until its hold ends (15 s) but is
        // settled within a round trip, and then frees within a window: never wait longer.
        retryAfterMs = Math.min(booking.retryAfterMs, windowMs);
        // An edit does not wait here: the scheduler pauses the channel and then sends the newest
        // text, as it does for a 429 (no request was sent).
        if (shared.route === EDIT_ROUTE) {
          throw new PlatformError(
            "discord",
            "ratelimited",
            `edit message: channel bucket full (shared)`,
            Math.max(1, retryAfterMs),
          );
        }
      } catch (err) {
        if (err instanceof PlatformError) throw err;
        this.log.warn({ err, route: shared.route }, "discord route budget unavailable; sending anyway");
        return { ...shared, bookingId: null, windowMs: 0 };
      }
      await sleep(retryAfterMs, signal);
    }
  }

  /**
   * The response came back (`headers`), or the request failed (null): settle the booking (it
   * counts from now for a window) and learn the route's numbers. Only the first request of a
   * window (remaining = limit - 1) reports the whole window; later ones report what is left of
   * it. A learnt window only grows: counting short costs 429s, counting long a little speed.
   */
  after(key: RouteKey | null, headers: HeaderSource | null): void {
    if (!key) return;
    const scope = scopeOf(key.channelId);
    if (key.bookingId) {
      this.store
        .settle({ scope, name: key.route, id: key.bookingId, used: true })
        .catch((err: unknown) => this.log.debug({ err, route: key.route }, "could not settle a booking"));
    }
    if (!headers) return;
    const limit = Number(headers.get("x-ratelimit-limit"));
    const resetAfterS = Number(headers.get("x-ratelimit-reset-after"));
    if (!Number.isInteger(limit) || limit <= 0 || !Number.isFinite(resetAfterS) || resetAfterS <= 0) return;
    const seenMs = Math.ceil(resetAfterS * 1000);
    if (Number(headers.get("x-ratelimit-remaining")) === limit - 1) {
      const known = this.learnt.get(key.route);
      this.learnt.set(key.route, { limit, windowMs: Math.max(known?.windowMs ?? 0, seenMs) });
    } else if (!this.learnt.has(key.route) && !DEFAULT_RULES.has(key.route)) {
      const known = this.guessed.get(key.route);
      this.guessed.set(key.route, { limit, windowMs: Math.max(known?.windowMs ?? 0, seenMs) });
    }
    const rule = this.ruleOf(key.route);
    if (!key.bookingId && rule) {
      // The request that taught us went out without a slot: count it now if there is room.
      this.store
        .book({
          scope,
          id: randomUUID(),
          slots: [
            { name: key.route, limit: rule.limit, windowMs: rule.windowMs + WINDOW_MARGIN_MS, holdMs: 0 },
          ],
        })
        .catch(() => {});
    }
  }

  private ruleOf(route: string): RouteRule | undefined {
    return this.learnt.get(route) ?? this.guessed.get(route) ?? DEFAULT_RULES.get(route);
  }
}

function scopeOf(channelId: string): string {
  return `discord:${channelId}`;
}
