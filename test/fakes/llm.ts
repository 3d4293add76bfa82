/**
 * The fake LLM for tests: the demo OpenAI-compatible server (src/llm/demo/server.ts) plus
 * builders for scripted behaviours (faults, hand-made streams) and a real OpenAIChatModel
 * pointed at it with small timeouts and recorded (not slept) retry waits.
 */
import type { ChatModel, ModelEvent, ModelRequest, ToolSpec } from "../../src/core/ports.js";
import {
  type Behaviour,
  type DemoLlmServer,
  type DemoLlmServerOptions,
  type RespondHook,
  type StreamPart,
  startDemoLlmServer,
} from "../../src/llm/demo/server.js";
import type { UsageBody } from "../../src/llm/demo/types.js";
import { OpenAIChatModel, type OpenAIChatModelOptions } from "../../src/llm/openai-model.js";
import { silentLogger } from "../../src/log.js";
import { Metrics } from "../../src/metrics.js";

export type { Behaviour, DemoLlmServer, StreamPart, UsageBody };

/** The demo server with no delays (tests never wait on purpose). */
export function startFakeLlm(opts: DemoLlmServerOptions = {}): Promise<DemoLlmServer> {
  return startDemoLlmServer({ firstTokenDelayMs: 0, tokenIntervalMs: 0, ...opts });
}

/** Answers request n with `steps[n]`; once the script runs out, the demo model answers. */
export function scripted(...steps: Behaviour[]): RespondHook {
  let next = 0;
  return () => steps[next++];
}

type StreamOptions = Omit<Extract<Behaviour, { kind: "stream" }>, "kind" | "parts">;

export interface FakeToolCall {
  id?: string;
  name: string;
  /** The JSON arguments text; it is streamed in slices of `sliceChars`. */
  arguments: string;
}

/** Builders for `Behaviour`s. */
export const llm = {
  text(chunks: string[], opts: StreamOptions = {}): Behaviour {
    return { kind: "stream", parts: chunks.map((text) => ({ text })), ...opts };
  },

  /**
   * Tool calls as OpenAI streams them: id and name in each call's first chunk, then the
   * arguments in slices. `interleave` alternates the calls' slices (index order still holds).
   */
  toolCalls(
    calls: FakeToolCall[],
    opts: StreamOptions & { sliceChars?: number; interleave?: boolean; text?: string[] } = {},
  ): Behaviour {
    const { sliceChars = 3, interleave = false, text = [], ...rest } = opts;
    const perCall: StreamPart[][] = calls.map((call, index) => {
      const parts: StreamPart[] = [
        { toolCall: { index, id: call.id ?? `call_fake_${index}`, name: call.name, arguments: "" } },
      ];
      for (let at = 0; at < call.arguments.length; at += sliceChars) {
        parts.push({ toolCall: { index, arguments: call.arguments.slice(at, at + sliceChars) } });
      }
      return parts;
    });
    const parts: StreamPart[] = text.map((t) => ({ text: t }));
    if (interleave) {
      const longest = Math.max(...perCall.map((p) => p.length));
      for (let i = 0; i < longest; i++) {
        for (const p of perCall) if (p[i]) parts.push(p[i] as StreamPart);
      }
    } else {
      for (const p of perCall) parts.push(...p);
    }
    return { kind: "stream", parts, ...rest };
  },

  /** An HTTP error with OpenAI's error body. */
  status(
    status: number,
    opts: { code?: string | null; message?: string; type?: string; headers?: Record<string, string> } = {},
  ): Behaviour {
    return {
      kind: "status",
      status,
      headers: opts.headers ?? {},
      body: {
        error: {
          message: opts.message ?? `fake error ${status}`,
          type: opts.type ?? (status >= 500 ? "server_error" : "invalid_request_error"),
          param: null,
          code: opts.code ?? null,
        },
      },
    };
  },

  /** 429 with `Retry-After` (seconds) and/or `retry-after-ms`. */
  rateLimited(
    wait: { retryAfterS?: number; retryAfterMs?: number } = {},
    code = "rate_limit_exceeded",
  ): Behaviour {
    const headers: Record<string, string> = {};
    if (wait.retryAfterS !== undefined) headers["retry-after"] = String(wait.retryAfterS);
    if (wait.retryAfterMs !== undefined) headers["retry-after-ms"] = String(wait.retryAfterMs);
    return llm.status(429, { code, message: "Rate limit reached for requests", type: "requests", headers });
  },

  /** OpenAI's own (code) or a vLLM-style (message only) context overflow. */
  contextLength(style: "openai" | "vllm" = "openai"): Behaviour {
    return style === "openai"
      ? llm.status(400, {
          code: "context_length_exceeded",
          message:
            "This model's maximum context length is 128000 tokens. However, your messages resulted in 130512 tokens.",
        })
      : llm.status(400, {
          message:
            "This model's maximum context length is 4096 tokens. However, you requested 5120 tokens (4096 in the messages, 1024 in the completion).",
          type: "BadRequestError",
        });
  },

  /** The text parts, then the connection is cut without finishing the stream. */
  cutAfter(chunks: string[]): Behaviour {
    return { kind: "stream", parts: chunks.map((text) => ({ text })), end: "cut" };
  },

  /** The text parts, then a chunk that is not JSON. */
  malformedAfter(chunks: string[]): Behaviour {
    return {
      kind: "stream",
      parts: [...chunks.map((text) => ({ text })), { raw: '{"id":"x","choices":[{' }],
    };
  },

  hang(): Behaviour {
    return { kind: "hang" };
  },

  reset(): Behaviour {
    return { kind: "reset" };
  },
};

export interface TestModel {
  model: OpenAIChatModel;
  metrics: Metrics;
  /** Every retry wait the model asked for, in ms (recorded instead of slept). */
  waits: number[];
}

/**
 * A real OpenAIChatModel against `url`: 2 retries, short timeouts, deterministic jitter
 * (random() = 0.5), and retry waits recorded rather than slept so tests stay fast.
 */
export function createTestModel(url: string, overrides: Partial<OpenAIChatModelOptions> = {}): TestModel {
  const metrics = new Metrics();
  const waits: number[] = [];
  const model = new OpenAIChatModel({
    baseURL: url,
    apiKey: "sk-test",
    model: "gpt-4o-mini",
    maxRetries: 2,
    firstTokenTimeoutMs: 5_000,
    totalTimeoutMs: 15_000,
    log: silentLogger(),
    metrics,
    ...overrides,
    retry: {
      random: () => 0.5,
      sleep: async (ms, signal) => {
        waits.push(ms);
        if (signal.aborted) throw signal.reason;
      },
      ...overrides.retry,
    },
  });
  return { model, metrics, waits };
}

export interface Collected {
  events: ModelEvent[];
  text: string;
  error: unknown;
}

/**
 * The model's stream read the way the core reads it: text handed to `onText` as it arrives (the
 * adapter then takes each network read where it lands), turned back into text events in arrival
 * order, so `collect` sees what it sees when the text is yielded. Text handed over before a
 * failure comes before the failure.
 */
export async function* viaOnText(model: ChatModel, req: ModelRequest): AsyncGenerator<ModelEvent> {
  const pending: ModelEvent[] = [];
  let failure: { err: unknown } | undefined;
  try {
    for await (const e of model.stream({
      ...req,
      onText: (delta) => pending.push({ type: "text", delta }),
    })) {
      yield* pending.splice(0);
      yield e;
    }
  } catch (err) {
    failure = { err };
  }
  yield* pending.splice(0);
  if (failure) throw failure.err;
}

/** The two ways the model adapter's stream is read (see `viaOnText`). */
export const READ_MODES: [string, (model: ChatModel, req: ModelRequest) => AsyncIterable<ModelEvent>][] = [
  ["text yielded", (model, req) => model.stream(req)],
  ["text handed to onText", viaOnText],
];

/** Drains a model stream; a thrown error is returned next to the events that came before it. */
export async function collect(stream: AsyncIterable<ModelEvent>): Promise<Collected> {
  const events: ModelEvent[] = [];
  let error: unknown;
  try {
    for await (const e of stream) events.push(e);
  } catch (err) {
    error = err;
  }
  const text = events.map((e) => (e.type === "text" ? e.delta : "")).join("");
  return { events, text, error };
}

/** The three tools the demo knows, with the argument schemas the tools area uses. */
export const DEMO_TOOL_SPECS: ToolSpec[] = [
  {
    name: "get_weather",
    description: "Current weather for a city.",
    parameters: {
      type: "object",
      properties: {
        location: { type: "string" },
        unit: { type: "string", enum: ["celsius", "fahrenheit"] },
      },
      required: ["location", "unit"],
      additionalProperties: false,
    },
    strict: true,
  },
  {
    name: "search_products",
    description: "Search the product catalog.",
    parameters: {
      type: "object",
      properties: {
        query: { type: "string" },
        category: { type: "string" },
        max_price: { type: "number" },
        in_stock_only: { type: "boolean" },
        limit: { type: "integer" },
      },
      required: ["query"],
    },
    strict: false,
  },
  {
    name: "get_order_status",
    description: "Status of an order, given its number and the customer's email.",
    parameters: {
      type: "object",
      properties: { order_id: { type: "string" }, email: { type: "string" } },
      required: ["order_id", "email"],
      additionalProperties: false,
    },
    strict: true,
  },
];
