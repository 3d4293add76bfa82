/**
 * A small OpenAI-compatible server (chat completions with real SSE streaming, models list).
 * Three uses: the offline demo model the service starts in-process when no OpenAI key or base
 * URL is configured, the fake LLM of the test suite (`respond` scripts faults), and the fake LLM
 * of the benchmark (1,000+ concurrent streams: per-request work is one JSON.parse and string
 * concatenation of pre-encoded pieces; with zero delays a response is one write).
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { offlineAnswerPieces } from "./answers.js";
import { type DemoReply, demoReply, encodeText, usageFor } from "./reply.js";
import { ChunkFormatter, DONE_FRAME, writePaced } from "./sse.js";
import type { Behaviour, ChatRequestBody, RespondHook, StreamPart, UsageBody } from "./types.js";

export type { Behaviour, ChatRequestBody, RespondContext, RespondHook, StreamPart } from "./types.js";

export interface DemoLlmServerOptions {
  /** Default 0: a free port. */
  port?: number;
  /** Default 127.0.0.1: the demo is for this machine only. */
  host?: string;
  /** Wait before the first streamed piece of a demo answer. Default 0. */
  firstTokenDelayMs?: number;
  /** Wait between streamed pieces of a demo answer. Default 0. */
  tokenIntervalMs?: number;
  /** Stretch or cut the plain offline answer to about this many pieces (the benchmark uses ~200). */
  answerTokens?: number;
  /** Per-request script for tests; undefined (or `{kind: "demo"}`) means the demo answer. */
  respond?: RespondHook;
  /**
   * How many of the last chat request bodies `requests` keeps, for tests to inspect. Default
   * REQUESTS_KEPT; the service's demo model and the benchmark's fake LLM keep none (people's
   * messages are not held for nothing, and 200 parsed bodies kept alive cost the benchmark's
   * fake LLM a garbage collection of each).
   */
  keepRequests?: number;
}

export interface DemoLlmServer {
  /** Base URL including `/v1`, for `OPENAI_BASE_URL` / the SDK's `baseURL`. */
  url: string;
  /** The last chat request bodies received (oldest first, at most `keepRequests`). */
  requests: ChatRequestBody[];
  /** Chat requests whose response has not finished or been abandoned yet. */
  readonly activeRequests: number;
  close(): Promise<void>;
}

/** Enough for tests to inspect a conversation; bounded so the benchmark does not grow memory. */
export const REQUESTS_KEPT = 200;
/** Chat requests carry whole histories; 16 MB is far above any context window. */
const MAX_BODY_BYTES = 16 * 1024 * 1024;
/** Tool-call arguments are streamed in slices this long, as OpenAI splits them over many chunks. */
const ARGUMENT_SLICE_CHARS = 12;
/** The benchmark opens 1,000+ connections at once; Node's default listen backlog is 511. */
const LISTEN_BACKLOG = 4096;
/**
 * Idle keep-alive connections stay open longer than clients keep them (undici: 4 s), so the
 * client always closes first; with Node's 5 s default a request could race the server's close
 * and fail with "other side closed".
 */
const KEEP_ALIVE_TIMEOUT_MS = 65_000;

const SSE_HEADERS = {
  "content-type": "text/event-stream; charset=utf-8",
  "cache-control": "no-cache",
  connection: "keep-alive",
};

export async function startDemoLlmServer(opts: DemoLlmServerOptions = {}): Promise<DemoLlmServer> {
  const host = opts.host ?? "127.0.0.1";
  const pacing = { firstChunkDelayMs: opts.firstTokenDelayMs ?? 0, intervalMs: opts.tokenIntervalMs ?? 0 };
  // The plain answer is split and JSON-encoded once; every request reuses it.
  const offline = encodeText(offlineAnswerPieces(opts.answerTokens));
  const requests: ChatRequestBody[] = [];
  const keep = opts.keepRequests ?? REQUESTS_KEPT;
  let seq = 0;
  let active = 0;

  const chat = async (req: IncomingMessage, res: ServerResponse) => {
    const raw = await readBody(req);
    if (raw === undefined) return sendError(res, 413, "request body too large", "invalid_request_error");
    let body: ChatRequestBody;
    try {
      body = JSON.parse(raw) as ChatRequestBody;
    } catch {
      return sendError(res, 400, "request body is not valid JSON", "invalid_request_error");
    }
    if (
      typeof body !== "object" ||
      body === null ||
      typeof body.model !== "string" ||
      !Array.isArray(body.messages)
    ) {
      return sendError(res, 400, "'model' and 'messages' are required", "invalid_request_error");
    }
    const index = seq++;
    if (keep > 0) {
      requests.push(body);
      if (requests.length > keep) requests.shift();
    }
    active++;
    res.once("close", () => active--);

    const behaviour: Behaviour = opts.respond?.(body, { index, headers: req.headers }) ?? { kind: "demo" };
    switch (behaviour.kind) {
      case "reset":
        req.socket.destroy();
        return;
      case "hang":
        return;
      case "status":
        return later(res, behaviour.delayMs ?? 0, () =>
          sendJson(res, behaviour.status, behaviour.body ?? errorBody(behaviour.status), behaviour.headers),
        );
      case "stream":
        return later(res, behaviour.headersDelayMs ?? 0, () => sendScripted(res, body, index, behaviour));
      case "demo":
        return sendDemo(res, body, index, demoReply(body, index, offline), pacing);
    }
  };

  const server = createServer({ noDelay: true }, (req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    const run = async () => {
      if (req.method === "POST" && (path === "/v1/chat/completions" || path === "/chat/completions")) {
        await chat(req, res);
      } else if (req.method === "GET" && (path === "/v1/models" || path === "/models")) {
        sendJson(res, 200, {
          object: "list",
          data: [{ id: "offline-demo", object: "model", created: 0, owned_by: "chatbot-demo" }],
        });
      } else {
        sendError(res, 404, `no route ${req.method} ${path}`, "invalid_request_error");
      }
    };
    run().catch((err: unknown) => {
      if (res.headersSent) res.destroy();
      else sendError(res, 500, err instanceof Error ? err.message : "internal error", "server_error");
    });
  });

  server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen({ port: opts.port ?? 0, host, backlog: LISTEN_BACKLOG }, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const shownHost =
    host === "0.0.0.0" || host === "::" ? "127.0.0.1" : host.includes(":") ? `[${host}]` : host;

  return {
    url: `http://${shownHost}:${port}/v1`,
    requests,
    get activeRequests() {
      return active;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Hanging and streaming responses would otherwise keep close() waiting.
        server.closeAllConnections();
      }),
  };
}

function sendDemo(
  res: ServerResponse,
  body: ChatRequestBody,
  index: number,
  reply: DemoReply,
  pacing: { firstChunkDelayMs: number; intervalMs: number },
): void {
  const id = `chatcmpl-demo${index}`;
  const created = Math.floor(Date.now() / 1000);
  if (reply.kind === "tool_calls") {
    let chars = 0;
    for (const c of reply.calls) chars += c.name.length + c.arguments.length;
    const usage = usageFor(body, chars);
    if (!body.stream) {
      const toolCalls = reply.calls.map((c) => ({
        id: c.id,
        type: "function",
        function: { name: c.name, arguments: c.arguments },
      }));
      sendCompletion(
        res,
        id,
        created,
        body.model,
        { content: null, tool_calls: toolCalls },
        "tool_calls",
        usage,
      );
      return;
    }
    const f = new ChunkFormatter(id, created, body.model);
    const frames: string[] = [];
    reply.calls.forEach((c, i) => {
      frames.push(f.toolCall({ index: i, id: c.id, name: c.name, arguments: "" }));
      for (let at = 0; at < c.arguments.length; at += ARGUMENT_SLICE_CHARS) {
        frames.push(f.toolCall({ index: i, arguments: c.arguments.slice(at, at + ARGUMENT_SLICE_CHARS) }));
      }
    });
    res.writeHead(200, SSE_HEADERS);
    writePaced(res, f.role(), frames, tail(f, body, "tool_calls", usage), { ...pacing, end: "done" });
    return;
  }

  // A max_tokens cap cuts the answer, as a real model does, and says so in finish_reason.
  const cap = body.max_completion_tokens ?? body.max_tokens;
  const capped = typeof cap === "number" && cap > 0 && reply.text.json.length > cap;
  const json = capped ? reply.text.json.slice(0, cap) : reply.text.json;
  const chars = capped ? Math.round((reply.text.chars * cap) / reply.text.json.length) : reply.text.chars;
  const finish = capped ? "length" : "stop";
  const usage = usageFor(body, chars);
  if (!body.stream) {
    const content = json.map((p) => JSON.parse(p) as string).join("");
    sendCompletion(res, id, created, body.model, { content }, finish, usage);
    return;
  }
  const f = new ChunkFormatter(id, created, body.model);
  const frames = new Array<string>(json.length);
  for (let i = 0; i < json.length; i++) frames[i] = f.content(json[i] as string);
  res.writeHead(200, SSE_HEADERS);
  writePaced(res, f.role(), frames, tail(f, body, finish, usage), { ...pacing, end: "done" });
}

function sendScripted(
  res: ServerResponse,
  body: ChatRequestBody,
  index: number,
  b: Extract<Behaviour, { kind: "stream" }>,
): void {
  const id = `chatcmpl-fake${index}`;
  const created = Math.floor(Date.now() / 1000);
  const hasToolCall = b.parts.some((p) => "toolCall" in p);
  const finish = b.finishReason === undefined ? (hasToolCall ? "tool_calls" : "stop") : b.finishReason;
  const usage = b.usage === undefined ? usageFor(body, partsChars(b.parts)) : b.usage;
  if (!body.stream) {
    const content = b.parts.map((p) => ("text" in p ? p.text : "")).join("");
    sendCompletion(res, id, created, body.model, { content }, finish ?? "stop", usage);
    return;
  }
  const f = new ChunkFormatter(id, created, body.model);
  const frames = b.parts.map((p) => {
    if ("text" in p) return f.content(JSON.stringify(p.text));
    if ("toolCall" in p) return f.toolCall(p.toolCall);
    return `data: ${p.raw}\n\n`;
  });
  const end = b.end ?? "done";
  const last = end === "done" ? tail(f, body, finish, usage) : "";
  res.writeHead(200, SSE_HEADERS);
  writePaced(res, f.role(), frames, last, {
    firstChunkDelayMs: b.firstChunkDelayMs ?? 0,
    intervalMs: b.intervalMs ?? 0,
    end,
    hold: b.hold && { afterFrames: b.hold.afterParts, until: b.hold.until },
  });
}

/** Finish chunk, usage chunk (when the client asked with include_usage), `[DONE]`. */
function tail(
  f: ChunkFormatter,
  body: ChatRequestBody,
  finish: string | null,
  usage: UsageBody | null,
): string {
  const finishFrame = finish === null ? "" : f.finish(finish);
  const usageFrame = usage && body.stream_options?.include_usage ? f.usage(usage) : "";
  return finishFrame + usageFrame + DONE_FRAME;
}

function partsChars(parts: StreamPart[]): number {
  let chars = 0;
  for (const p of parts) {
    if ("text" in p) chars += p.text.length;
    else if ("toolCall" in p) chars += (p.toolCall.name?.length ?? 0) + (p.toolCall.arguments?.length ?? 0);
  }
  return chars;
}

function sendCompletion(
  res: ServerResponse,
  id: string,
  created: number,
  model: string,
  message: Record<string, unknown>,
  finish: string,
  usage: UsageBody | null,
): void {
  sendJson(res, 200, {
    id,
    object: "chat.completion",
    created,
    model,
    choices: [
      {
        index: 0,
        message: { role: "assistant", refusal: null, ...message },
        logprobs: null,
        finish_reason: finish,
      },
    ],
    ...(usage && {
      usage: { ...usage, total_tokens: usage.prompt_tokens + usage.completion_tokens },
    }),
  });
}

/** OpenAI's error body for a status, used when a scripted status has no body of its own. */
function errorBody(status: number): unknown {
  if (status === 429) {
    return {
      error: {
        message: "Rate limit reached, please retry later.",
        type: "requests",
        param: null,
        code: "rate_limit_exceeded",
      },
    };
  }
  if (status === 401) {
    return {
      error: {
        message: "Incorrect API key provided.",
        type: "invalid_request_error",
        param: null,
        code: "invalid_api_key",
      },
    };
  }
  if (status >= 500) {
    return {
      error: {
        message: "The server had an error while processing your request.",
        type: "server_error",
        param: null,
        code: null,
      },
    };
  }
  return {
    error: {
      message: `request failed with status ${status}`,
      type: "invalid_request_error",
      param: null,
      code: null,
    },
  };
}

function sendError(res: ServerResponse, status: number, message: string, type: string): void {
  sendJson(res, status, { error: { message, type, param: null, code: null } });
}

function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  if (res.destroyed) return;
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "content-type": "application/json",
    "content-length": Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

/** Runs `fn` after `ms` unless the client has gone; never keeps a timer for a closed response. */
function later(res: ServerResponse, ms: number, fn: () => void): void {
  if (ms <= 0) {
    fn();
    return;
  }
  const timer = setTimeout(() => {
    if (!res.destroyed) fn();
  }, ms);
  res.once("close", () => clearTimeout(timer));
}

/** The request body as text, or undefined when it is larger than MAX_BODY_BYTES. */
async function readBody(req: IncomingMessage): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) return undefined;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString("utf8");
}
