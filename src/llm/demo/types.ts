/**
 * Wire shapes of the demo/fake OpenAI server, and the `Behaviour` a test scripts per request.
 */
import type { IncomingHttpHeaders } from "node:http";

/** A chat message as it arrives on the wire (loosely typed: the server must not crash on odd input). */
export interface ChatRequestMessage {
  role: "system" | "developer" | "user" | "assistant" | "tool" | (string & {});
  content?:
    | string
    | Array<{ type: string; text?: string; image_url?: { url: string; detail?: string } }>
    | null;
  name?: string;
  tool_calls?: Array<{ id: string; type?: string; function: { name: string; arguments: string } }>;
  tool_call_id?: string;
}

export interface ChatRequestTool {
  type: "function" | (string & {});
  function: { name: string; description?: string; parameters?: Record<string, unknown>; strict?: boolean };
}

/** The body of `POST /v1/chat/completions`, as the server recorded it. */
export interface ChatRequestBody {
  model: string;
  messages: ChatRequestMessage[];
  tools?: ChatRequestTool[];
  stream?: boolean;
  stream_options?: { include_usage?: boolean };
  max_tokens?: number;
  max_completion_tokens?: number;
  [key: string]: unknown;
}

export interface UsageBody {
  prompt_tokens: number;
  completion_tokens: number;
  /** A reasoning model's thinking, counted in `completion_tokens` (OpenAI's layout). */
  completion_tokens_details?: { reasoning_tokens: number };
}

/** One chunk of a scripted stream. */
export type StreamPart =
  /** A `delta.content` chunk. */
  | { text: string }
  /** A `delta.tool_calls` chunk: id and name usually only in a call's first part. */
  | { toolCall: { index: number; id?: string; name?: string; arguments?: string } }
  /** A verbatim SSE `data:` payload, e.g. a malformed chunk `{"choices": [`. */
  | { raw: string };

/** What the server does with one request. */
export type Behaviour =
  /** The built-in offline demo answer (the default when `respond` returns undefined). */
  | { kind: "demo" }
  /** An HTTP error (or any status) with a JSON body and headers, e.g. 429 + Retry-After. */
  | {
      kind: "status";
      status: number;
      body?: unknown;
      headers?: Record<string, string>;
      /** Wait before answering. */
      delayMs?: number;
    }
  /** An SSE stream of the given parts. */
  | {
      kind: "stream";
      parts: StreamPart[];
      /** Default: "tool_calls" if any part is a tool call, else "stop". null: no finish chunk. */
      finishReason?: string | null;
      /** Default: estimated from the request and the parts when include_usage; null: none. */
      usage?: UsageBody | null;
      /** Wait before the response headers. */
      headersDelayMs?: number;
      /** Wait after the headers before the first chunk. */
      firstChunkDelayMs?: number;
      /** Wait between chunks. */
      intervalMs?: number;
      /**
       * done: finish chunk, usage chunk, `[DONE]`. cut: the socket is destroyed after the parts.
       * hang: the parts are sent, then nothing more until the client gives up.
       */
      end?: "done" | "cut" | "hang";
      /**
       * Stop after `afterParts` parts until `until` resolves: an answer a test knows is still
       * streaming when it acts (a stop, a shutdown), however busy the machine.
       */
      hold?: { afterParts: number; until: Promise<void> };
    }
  /** Accept the request and never answer. */
  | { kind: "hang" }
  /** Destroy the connection without any response (a connection error to the client). */
  | { kind: "reset" };

export interface RespondContext {
  /** 0-based number of this chat request since the server started. */
  index: number;
  headers: IncomingHttpHeaders;
}

export type RespondHook = (req: ChatRequestBody, ctx: RespondContext) => Behaviour | undefined;
