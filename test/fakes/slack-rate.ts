/**
 * Slack's per-method rate limits, as the fake enforces them: a sliding window of calls per
 * workspace (the tiers) or per channel (chat.postMessage). Windows are the documented ones
 * divided by `timeScale`, so a per-minute budget can be played out in 6 seconds.
 */

export interface RateRule {
  /** Calls allowed in any window. */
  limit: number;
  /** The real window in ms (60 000 for a per-minute tier); the fake divides it by timeScale. */
  windowMs: number;
  /** What shares the budget: the whole workspace, or one channel. */
  per: "workspace" | "channel";
}

/** Tier 1..4 per https://docs.slack.dev/apis/web-api/rate-limits (calls per minute). */
const TIER_2 = { limit: 20, windowMs: 60_000, per: "workspace" } as const;
const TIER_3 = { limit: 50, windowMs: 60_000, per: "workspace" } as const;
const TIER_4 = { limit: 100, windowMs: 60_000, per: "workspace" } as const;

/**
 * Documented limits of the methods the adapter calls. chat.postMessage: "1 message per second
 * per channel" (bursts tolerated by Slack; the fake is strict). chat.update: Tier 3.
 * chat.appendStream: Tier 4 and chat.stopStream: Tier 2 (their method pages); chat.startStream's
 * page in our copy gives no tier, so it is assumed Tier 2 like stopStream. History methods: Tier 3
 * for internal apps (non-Marketplace apps created after May 2025 get 1 per minute: configurable).
 */
export const DEFAULT_RATE_RULES: Record<string, RateRule> = {
  "chat.postMessage": { limit: 1, windowMs: 1_000, per: "channel" },
  "chat.update": TIER_3,
  "chat.postEphemeral": TIER_4,
  "chat.startStream": TIER_2,
  "chat.appendStream": TIER_4,
  "chat.stopStream": TIER_2,
  "conversations.history": TIER_3,
  "conversations.replies": TIER_3,
  "conversations.members": TIER_4,
  "users.info": TIER_4,
  "assistant.threads.setStatus": TIER_4,
  "assistant.threads.setSuggestedPrompts": TIER_4,
  "assistant.threads.setTitle": TIER_4,
};

export class SlidingWindowLimiter {
  private readonly calls = new Map<string, number[]>();

  constructor(
    private readonly rules: Record<string, RateRule | undefined>,
    private readonly timeScale: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Count a call; returns the ms to wait if it is over the limit (and then it is not counted). */
  take(method: string, team: string, channel: string | undefined): number | null {
    const rule = this.rules[method];
    if (!rule) return null;
    const windowMs = rule.windowMs / this.timeScale;
    const key = `${method}:${team}:${rule.per === "channel" ? (channel ?? "-") : "*"}`;
    const now = this.now();
    const list = (this.calls.get(key) ?? []).filter((t) => t > now - windowMs);
    this.calls.set(key, list);
    if (list.length >= rule.limit) return (list[0] ?? now) + windowMs - now;
    list.push(now);
    return null;
  }

  reset(): void {
    this.calls.clear();
  }
}
