/**
 * Turns whatever the chat request (chat-request.ts, which raises the OpenAI SDK's error classes)
 * or the stream threw into one `LlmError`, and says
 * whether that failure may be retried. Retrying is only ever allowed before anything was
 * yielded to the caller; the caller checks that, this file only classifies.
 */
import { APIConnectionError, APIConnectionTimeoutError, APIError } from "openai";
import { LlmError } from "../core/errors.js";
import { retryAfterMsFrom } from "./retry.js";

export interface Classified {
  error: LlmError;
  /** Worth another attempt if nothing has been shown yet (429 except quota, 5xx, connection). */
  retryable: boolean;
}

/**
 * Messages compatible servers use for an over-long prompt, next to OpenAI's
 * `context_length_exceeded` code: vLLM ("maximum context length is 4096 tokens"), llama.cpp
 * ("exceeds the available context size", type `exceed_context_size_error`), LM Studio / Ollama
 * ("context window", "context length"), Anthropic-style gateways ("prompt is too long").
 */
const CONTEXT_LENGTH_PATTERN =
  /context[ _]length|maximum context|context window|context size|exceed_context_size|prompt is too long|too many tokens|input is too long/i;

export function isContextLengthError(code: string | null | undefined, message: string): boolean {
  return code === "context_length_exceeded" || CONTEXT_LENGTH_PATTERN.test(`${code ?? ""} ${message}`);
}

/**
 * @param shown whether text was already yielded to the caller: a broken stream is then
 *   `interrupted` (the caller keeps the partial text), before that it is `unavailable`.
 */
export function classifyError(err: unknown, shown: boolean): Classified {
  if (err instanceof LlmError) return { error: err, retryable: false };
  const broken = (message: string, cause: unknown): Classified =>
    shown
      ? { error: new LlmError("interrupted", message, { cause }), retryable: false }
      : { error: new LlmError("unavailable", message, { cause }), retryable: true };

  if (err instanceof APIConnectionTimeoutError) {
    return {
      error: new LlmError("timeout", "the model server did not answer in time", { cause: err }),
      retryable: false,
    };
  }
  if (err instanceof APIConnectionError) return broken(`connection to the model failed: ${err.message}`, err);
  if (err instanceof APIError) return classifyApiError(err, shown);
  if (err instanceof SyntaxError) return broken("the model sent a malformed stream chunk", err);
  const message = err instanceof Error ? err.message : String(err);
  // fetch reports a socket closed mid-body as TypeError("terminated") and similar.
  return broken(`the model stream broke: ${message}`, err);
}

function classifyApiError(err: APIError, shown: boolean): Classified {
  const status = err.status;
  const code = typeof err.code === "string" ? err.code : undefined;
  const message = err.message;
  const details = { status, cause: err };
  if (status === undefined) {
    // An `{"error": ...}` object sent inside the SSE stream: no HTTP status to go by.
    if (isContextLengthError(code, message)) {
      return { error: new LlmError("context_length", message, details), retryable: false };
    }
    // Compatible servers (vLLM, gateways) report a refused request this way with HTTP 200: a
    // client error is not retried (the same request fails the same way).
    const type = (err.error as { type?: unknown } | undefined)?.type;
    const numeric = typeof err.code === "number" ? err.code : Number(code);
    if (type === "invalid_request_error" || (numeric >= 400 && numeric < 500)) {
      return { error: new LlmError("bad_request", message, details), retryable: false };
    }
    return classifyError(new TypeError(message), shown);
  }
  if (status === 429) {
    const retryAfterMs = retryAfterMsFrom(err.headers);
    // Out of credit is a 429 too, and no amount of waiting fixes it.
    const quota = code === "insufficient_quota";
    return {
      error: new LlmError("rate_limited", message, {
        ...details,
        ...(retryAfterMs !== undefined && { retryAfterMs }),
      }),
      retryable: !quota,
    };
  }
  if (status === 401 || status === 403) {
    return { error: new LlmError("auth", message, details), retryable: false };
  }
  if (status === 413 || isContextLengthError(code, message)) {
    return { error: new LlmError("context_length", message, details), retryable: false };
  }
  // 408 (request timeout) and 409 (conflict) are transient; the SDK retries them too.
  if (status >= 500 || status === 408 || status === 409) {
    const retryAfterMs = retryAfterMsFrom(err.headers);
    return {
      error: new LlmError("unavailable", message, {
        ...details,
        ...(retryAfterMs !== undefined && { retryAfterMs }),
      }),
      retryable: true,
    };
  }
  return { error: new LlmError("bad_request", message, details), retryable: false };
}
