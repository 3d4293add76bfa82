/**
 * One small error hierarchy for the whole service. Each error maps to exactly one user-facing
 * sentence in `notices.ts`; logs carry the `code`.
 */

export abstract class ChatbotError extends Error {
  abstract readonly code: string;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The user is over their request rate or daily token budget. */
export class ThrottledError extends ChatbotError {
  readonly code = "throttled";
  constructor(
    readonly reason: "rate" | "tokens",
    readonly retryAfterMs: number,
  ) {
    super(`throttled (${reason}), retry in ${retryAfterMs} ms`);
  }
}

/** The thread stayed busy with an earlier message for longer than we are willing to wait. */
export class BusyError extends ChatbotError {
  readonly code = "thread_busy";
}

/** This replica is shutting down and takes no new turns (the next one, or a restart, will). */
export class ShuttingDownError extends ChatbotError {
  readonly code = "shutting_down";
}

/** The incoming message cannot be answered as it is (empty, too long). */
export class InputError extends ChatbotError {
  constructor(
    readonly code: "empty_message" | "message_too_long",
    message: string,
    readonly detail: Record<string, number> = {},
  ) {
    super(message);
  }
}

export type LlmErrorCode =
  | "rate_limited"
  | "unavailable"
  | "timeout"
  | "context_length"
  | "auth"
  | "bad_request"
  | "interrupted"
  | "cancelled";

/** Anything that went wrong talking to the model. */
export class LlmError extends ChatbotError {
  constructor(
    readonly code: LlmErrorCode,
    message: string,
    readonly details: { status?: number; retryAfterMs?: number; cause?: unknown } = {},
  ) {
    super(message, { cause: details.cause });
  }
}

/** A tool failed in a way the model should hear about (bad arguments, backend down, timeout). */
export class ToolError extends ChatbotError {
  constructor(
    readonly code:
      | "invalid_arguments"
      | "unknown_tool"
      | "timeout"
      | "backend_error"
      | "not_found"
      | "denied",
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** A chat platform API refused or failed. `retryAfterMs` is set for rate limits (HTTP 429). */
export class PlatformError extends ChatbotError {
  constructor(
    readonly platform: string,
    readonly code: string,
    message: string,
    readonly retryAfterMs?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
  get isRateLimit(): boolean {
    return this.retryAfterMs !== undefined;
  }
}

/** The store (Redis) did not answer or refused. */
export class StoreError extends ChatbotError {
  readonly code = "store_unavailable";
}

/** An attached file could not be read: over the size cap, too slow, or the download failed. */
export class AttachmentError extends ChatbotError {
  constructor(
    readonly code: "too_big" | "timeout" | "download_failed",
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
