/**
 * When and how long to wait before retrying a model request that failed before its first
 * token. The request is sent by chat-request.ts, not by the SDK's client, so this is the whole policy.
 */

export interface RetryTuning {
  /** First backoff ceiling; doubles per attempt. 500 ms is the OpenAI SDK's own initial delay. */
  baseDelayMs: number;
  /** Largest backoff ceiling. 8 s is the OpenAI SDK's own maximum. */
  maxDelayMs: number;
  /**
   * A server asking us to wait longer than this (Retry-After) is not waited for: the turn fails
   * now as `rate_limited` with `retryAfterMs`, instead of leaving the user staring at "thinking".
   */
  maxRetryAfterMs: number;
  /** Waits `ms`; rejects when `signal` aborts. Tests inject one that records the waits. */
  sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  /** Uniform in [0, 1); injected by tests to make jitter deterministic. */
  random: () => number;
}

export const DEFAULT_RETRY_TUNING: RetryTuning = {
  baseDelayMs: 500,
  maxDelayMs: 8_000,
  // OpenAI's 429s usually ask for a few seconds; a minute-long wait is a quota problem.
  maxRetryAfterMs: 20_000,
  sleep: abortableSleep,
  random: Math.random,
};

/** Exponential backoff with full jitter (AWS architecture blog): uniform in [0, min(max, base * 2^n)]. */
export function backoffDelayMs(retryIndex: number, tuning: RetryTuning): number {
  const ceiling = Math.min(tuning.maxDelayMs, tuning.baseDelayMs * 2 ** retryIndex);
  return Math.floor(tuning.random() * ceiling);
}

/**
 * The wait a response asks for: `retry-after-ms` (OpenAI's, milliseconds) wins over the standard
 * `Retry-After` (seconds or an HTTP date). Undefined when neither is present or parseable.
 */
export function retryAfterMsFrom(headers: Headers | undefined, nowMs = Date.now()): number | undefined {
  if (!headers) return undefined;
  const ms = Number.parseFloat(headers.get("retry-after-ms") ?? "");
  if (Number.isFinite(ms) && ms >= 0) return Math.ceil(ms);
  const raw = headers.get("retry-after");
  if (!raw) return undefined;
  const seconds = Number(raw.trim());
  if (raw.trim() !== "" && Number.isFinite(seconds) && seconds >= 0) return Math.ceil(seconds * 1000);
  const date = Date.parse(raw);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - nowMs);
}

export function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal.addEventListener("abort", onAbort, { once: true });
  });
}
