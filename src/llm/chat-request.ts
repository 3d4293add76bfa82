/**
 * Sends one streaming chat-completions request with undici's `request()` instead of the SDK's
 * `fetch`. fetch hands the body over as a WHATWG ReadableStream (a transfer, a promise and a
 * queue per network read); measured with the core benchmark's fake LLM, a bare fetch client
 * spent ~4x the CPU per answer of a bare `request()` client, and fetch was the largest part of
 * the core's CPU per turn. Failures are raised as the SDK's own error classes, built the way the
 * SDK builds them, so llm-errors.ts classifies them exactly as before.
 */
import { APIConnectionError, APIConnectionTimeoutError, APIError } from "openai";
import { VERSION } from "openai/version";
import { Agent, request } from "undici";

export interface ChatResponse {
  headers: Headers;
  /** The SSE body, one Uint8Array per network read. */
  body: AsyncIterable<Uint8Array>;
}

/**
 * The model's own connection pool, shared by every model client of the process. Not the global
 * dispatcher: discord.js brings its own undici, and whichever copy loads first would otherwise
 * decide which one carries the model's requests.
 */
const pool = new Agent();

/** Sent as the SDK sends it: some gateways route or log by it. */
const USER_AGENT = `OpenAI/JS ${VERSION}`;

/**
 * POST `body` (already JSON) to `<baseURL>/chat/completions`. Resolves once a 2xx status and the
 * headers are in; a non-2xx answer throws the SDK's APIError for that status (with the server's
 * error object and headers, e.g. Retry-After), a connection failure APIConnectionError (or
 * APIConnectionTimeoutError). An abort through `signal` rejects with whatever undici reports;
 * the caller knows why it aborted.
 */
export async function postChatCompletion(
  baseURL: string,
  apiKey: string,
  body: string,
  signal: AbortSignal,
): Promise<ChatResponse> {
  let res: Awaited<ReturnType<typeof request>>;
  try {
    res = await request(chatCompletionsUrl(baseURL), {
      method: "POST",
      headers: {
        authorization: `Bearer ${apiKey}`,
        "content-type": "application/json",
        accept: "application/json",
        "user-agent": USER_AGENT,
      },
      body,
      signal,
      dispatcher: pool,
    });
  } catch (err) {
    if (signal.aborted) throw err;
    throw connectionError(err);
  }
  const headers = toHeaders(res.headers);
  if (res.statusCode < 200 || res.statusCode > 299) {
    // As the SDK does: the body as JSON if it is JSON, else its text as the message.
    let text: string;
    try {
      text = await res.body.text();
    } catch (err) {
      text = err instanceof Error ? err.message : String(err);
    }
    const json = safeJson(text);
    throw APIError.generate(res.statusCode, json, json ? undefined : text, headers);
  }
  return { headers, body: res.body };
}

/** The SDK's URL: the base URL (with or without a trailing slash) plus the endpoint path. */
export function chatCompletionsUrl(baseURL: string): string {
  return `${baseURL.endsWith("/") ? baseURL.slice(0, -1) : baseURL}/chat/completions`;
}

/** The SDK's rule: an error that reads like a timeout is a connection timeout. */
function connectionError(err: unknown): APIConnectionError {
  const cause = err instanceof Error ? err : new Error(String(err));
  const described = String(cause) + ("cause" in cause ? String(cause.cause) : "");
  if (/timed? ?out/i.test(described)) return new APIConnectionTimeoutError();
  return new APIConnectionError({ cause });
}

function toHeaders(raw: Record<string, string | string[] | undefined>): Headers {
  const headers = new Headers();
  for (const [name, value] of Object.entries(raw)) {
    if (value === undefined) continue;
    if (Array.isArray(value)) for (const v of value) headers.append(name, v);
    else headers.set(name, value);
  }
  return headers;
}

function safeJson(text: string): object | undefined {
  try {
    return JSON.parse(text) as object;
  } catch {
    return undefined;
  }
}
