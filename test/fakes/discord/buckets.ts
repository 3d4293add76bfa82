/**
 * Discord-style rate-limit buckets for the fake: a fixed window that starts with the first
 * request after a reset (as Discord's do), keyed by route and major parameter (channel id,
 * webhook id + token), plus one global per-second limit.
 */

export interface BucketRule {
  limit: number;
  windowMs: number;
}

export type BucketVerdict =
  | { ok: true; headers: Record<string, string> }
  | { ok: false; headers: Record<string, string>; retryAfterMs: number; global: boolean };

interface Bucket {
  remaining: number;
  resetAt: number;
}

export class Buckets {
  private readonly buckets = new Map<string, Bucket>();
  private readonly global: Bucket = { remaining: 0, resetAt: 0 };

  constructor(
    private readonly globalPerSecond: number,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Take one request from `route`'s bucket for `major`; `rule` undefined means unlimited.
   * Interaction endpoints do not count towards the global limit (`global: false`).
   */
  take(route: string, major: string, rule: BucketRule | undefined, global = true): BucketVerdict {
    const now = this.now();
    if (!global) return this.takeRoute(route, major, rule, now);
    if (now >= this.global.resetAt) {
      this.global.remaining = this.globalPerSecond;
      this.global.resetAt = now + 1000;
    }
    if (this.global.remaining <= 0) {
      const retryAfterMs = this.global.resetAt - now;
      return {
        ok: false,
        global: true,
        retryAfterMs,
        headers: {
          "Retry-After": seconds(retryAfterMs),
          "X-RateLimit-Global": "true",
          "X-RateLimit-Scope": "global",
        },
      };
    }
    const verdict = this.takeRoute(route, major, rule, now);
    if (verdict.ok) this.global.remaining--;
    return verdict;
  }

  private takeRoute(route: string, major: string, rule: BucketRule | undefined, now: number): BucketVerdict {
    if (!rule) return { ok: true, headers: {} };
    const key = `${route}|${major}`;
    let bucket = this.buckets.get(key);
    if (!bucket || now >= bucket.resetAt) {
      bucket = { remaining: rule.limit, resetAt: now + rule.windowMs };
      this.buckets.set(key, bucket);
    }
    const resetAfterMs = bucket.resetAt - now;
    const base = {
      "X-RateLimit-Limit": String(rule.limit),
      "X-RateLimit-Reset": (bucket.resetAt / 1000).toFixed(3),
      "X-RateLimit-Reset-After": seconds(resetAfterMs),
      "X-RateLimit-Bucket": bucketHash(route),
    };
    if (bucket.remaining <= 0) {
      return {
        ok: false,
        global: false,
        retryAfterMs: resetAfterMs,
        headers: {
          ...base,
          "X-RateLimit-Remaining": "0",
          "Retry-After": seconds(resetAfterMs),
          "X-RateLimit-Scope": "user",
        },
      };
    }
    bucket.remaining--;
    return { ok: true, headers: { ...base, "X-RateLimit-Remaining": String(bucket.remaining) } };
  }
}

function seconds(ms: number): string {
  return (Math.max(ms, 1) / 1000).toFixed(3);
}

/** Discord sends an opaque hash per bucket; any stable string per route does. */
function bucketHash(route: string): string {
  let h = 0;
  for (const ch of route) h = (h * 31 + ch.charCodeAt(0)) | 0;
  return (h >>> 0).toString(16).padStart(8, "0");
}
