/**
 * The `ChatModel` port on the OpenAI chat-completions API (and any server that speaks it:
 * Ollama, vLLM, LM Studio, llama.cpp, Azure gateways). Streams text deltas as they come,
 * assembles streamed tool calls, retries only before anything was shown, and enforces the
 * first-token and whole-answer timeouts itself.
 */
import type { ChatCompletionChunk } from "openai/resources/chat/completions";
import { LlmError } from "../core/errors.js";
import type { ChatModel, FinishReason, ModelEvent, ModelRequest, ModelUsage } from "../core/ports.js";
import type { ModelMessage } from "../core/types.js";
import type { Logger } from "../log.js";
import type { Metrics } from "../metrics.js";
import { type ChatResponse, postChatCompletion } from "./chat-request.js";
import { classifyError } from "./llm-errors.js";
import { requestBodyJson } from "./request-body.js";
import { backoffDelayMs, DEFAULT_RETRY_TUNING, type RetryTuning } from "./retry.js";
import { SseParser } from "./sse-reader.js";
import { ToolCallAssembler } from "./tool-call-assembler.js";

/**
 * Which request field caps the answer length. OpenAI itself wants `max_completion_tokens`
 * (reasoning models reject `max_tokens`); Ollama, LM Studio, llama.cpp and older vLLM only
 * know `max_tokens`, which OpenAI still accepts for non-reasoning models. So: the newer name
 * for api.openai.com, the older one for any other base URL, unless configured explicitly.
 */
export type TokenLimitParam = "max_completion_tokens" | "max_tokens";

export interface OpenAIChatModelOptions {
  apiKey?: string | undefined;
  /** An OpenAI-compatible server, including `/v1`. Default: OpenAI. */
  baseURL?: string | undefined;
  model: string;
  /** Attempts after the first, only before the first token. */
  maxRetries: number;
  firstTokenTimeoutMs: number;
  totalTimeoutMs: number;
  log: Logger;
  metrics: Metrics;
  tokenLimitParam?: TokenLimitParam;
  /** Backoff knobs; tests inject `sleep` and `random`. */
  retry?: Partial<RetryTuning>;
}

export const OPENAI_BASE_URL = "https://api.openai.com/v1";
/** Sent when no key is configured: compatible servers and the demo do not check it. */
const PLACEHOLDER_API_KEY = "not-needed";
/** OpenAI's rule of thumb when a server sends no usage: about 4 characters per token. */
const CHARS_PER_TOKEN = 4;

export class OpenAIChatModel implements ChatModel {
  readonly model: string;
  private readonly baseURL: string;
  private readonly apiKey: string;
  private readonly tokenLimitParam: TokenLimitParam;
  private readonly retry: RetryTuning;

  constructor(private readonly opts: OpenAIChatModelOptions) {
    this.model = opts.model;
    const baseURL = opts.baseURL ?? OPENAI_BASE_URL;
    // Nothing is read from process.env: the key and URL come from the config only.
    this.baseURL = baseURL;
    this.apiKey = opts.apiKey ?? PLACEHOLDER_API_KEY;
    this.tokenLimitParam =
      opts.tokenLimitParam ??
      (new URL(baseURL).hostname.endsWith("openai.com") ? "max_completion_tokens" : "max_tokens");
    this.retry = { ...DEFAULT_RETRY_TUNING, ...opts.retry };
  }

  async *stream(req: ModelRequest): AsyncGenerator<ModelEvent> {
    const { firstTokenTimeoutMs, totalTimeoutMs, metrics } = this.opts;
    const startedMs = performance.now();
    // One controller for the whole call: cancellation and both timeouts abort the HTTP request.
    const run = new AbortController();
    let stopReason: LlmError | undefined;
    const stop = (reason: LlmError) => {
      if (stopReason) return;
      stopReason = reason;
      run.abort(reason);
    };
    const onCancel = () => stop(new LlmError("cancelled", "the model request was cancelled"));
    if (req.signal.aborted) onCancel();
    else req.signal.addEventListener("abort", onCancel, { once: true });
    const totalTimer = setTimeout(
      () => stop(new LlmError("timeout", `no complete answer within ${totalTimeoutMs} ms`)),
      totalTimeoutMs,
    );
    let firstTokenTimer: NodeJS.Timeout | undefined;

    const bodyJson = this.requestJson(req);
    let attempts = 0;
    let shown = false;
    let firstTokenSeen = false;
    let outcome: { finishReason?: FinishReason; usage?: ModelUsage; error?: string } = {};
    /** The response body was read to its end: the connection can go back to the keep-alive pool. */
    let bodyRead = false;
    const markFirstToken = () => {
      if (firstTokenSeen) return;
      firstTokenSeen = true;
      clearTimeout(firstTokenTimer);
      metrics.firstTokenSeconds.observe((performance.now() - startedMs) / 1000);
    };

    try {
      for (;;) {
        if (stopReason) throw stopReason;
        attempts++;
        firstTokenSeen = false;
        firstTokenTimer = setTimeout(
          () => stop(new LlmError("timeout", `no first token within ${firstTokenTimeoutMs} ms`)),
          firstTokenTimeoutMs,
        );
        const calls = new ToolCallAssembler();
        let finish: string | undefined;
        let usage: ModelUsage | undefined;
        /** Of the usage's output tokens, those the model spent thinking (not in the text). */
        let reasoningTokens = 0;
        let outChars = 0;
        /** This attempt's response, once its headers are in. */
        let response: ChatResponse | undefined;
        try {
          // HTTP errors arrive as the SDK's APIError (chat-request.ts); the body is read by
          // our own SSE reader (see sse-reader.ts for why).
          response = await postChatCompletion(this.baseURL, this.apiKey, bodyJson, run.signal);
          // Each network read is parsed as it is taken from the body (sse-reader.ts). Not
          // `for await`: leaving that loop at [DONE] would destroy the body, and with it a
          // keep-alive connection the server was about to hand back.
          const sse = new SseParser(response.headers);
          const events: unknown[] = [];
          const onText = req.onText;
          let readText = "";
          /**
           * One network read (null: the body ended) parsed and taken in; its text (`readText`)
           * goes to `onText` if there is one. Deltas that arrived in one network read go out as
           * one piece: at real model speeds that is one chunk anyway, and a fast local server
           * does not cost a yield per token. False once there is nothing more to read (the end,
           * `[DONE]`, or a failed payload: `sse.failure`).
           */
          const take = (read: Uint8Array | null): boolean => {
            const more = sse.takeRead(read, events);
            let batchText = "";
            for (const event of events) {
              if (typeof event === "string") {
                // A plain text chunk, read without a full parse (sse-reader.ts).
                if (event !== "") {
                  markFirstToken();
                  batchText += event;
                }
                continue;
              }
              const chunk = event as ChatCompletionChunk;
              if (chunk.usage) {
                usage = {
                  inputTokens: chunk.usage.prompt_tokens,
                  outputTokens: chunk.usage.completion_tokens,
                };
                reasoningTokens = chunk.usage.completion_tokens_details?.reasoning_tokens ?? 0;
              }
              const choice = chunk.choices?.[0];
              if (!choice) continue;
              // Typed as always present, but some compatible servers send a final chunk without it.
              const delta: ChatCompletionChunk.Choice.Delta = choice.delta ?? {};
              if (delta.tool_calls) {
                markFirstToken();
                for (const call of delta.tool_calls) calls.add(call);
              }
              const text = delta.content || delta.refusal;
              if (text) {
                markFirstToken();
                batchText += text;
              } else if (hasReasoning(delta)) {
                // Reasoning servers think before they speak; a thought proves the stream is alive.
                markFirstToken();
              }
              if (choice.finish_reason) finish = choice.finish_reason;
            }
            readText = batchText;
            if (batchText !== "") {
              outChars += batchText.length;
              shown = true;
              onText?.(batchText);
            }
            return more;
          };
          if (onText) {
            // Each read is taken in where it arrives (chat-request.ts `consume`): no promise and
            // no resumed generator per read.
            let more = true;
            await response.consume((read) => {
              more = take(read);
              if (sse.failure !== undefined) throw sse.failure;
              return more;
            });
            if (more) take(null);
            if (sse.failure !== undefined) throw sse.failure;
          } else {
            const reads = response.body[Symbol.asyncIterator]();
            for (;;) {
              const read = await reads.next();
              const more = take(read.done ? null : read.value);
              if (readText !== "") yield { type: "text", delta: readText };
              if (sse.failure !== undefined) throw sse.failure;
              if (!more) break;
            }
          }
          if (stopReason) throw stopReason;
          if (!finish) throw new TypeError("the stream ended without a finish reason");
          bodyRead = true;
          const toolCalls = calls.finish();
          clearTimeout(firstTokenTimer);
          if (toolCalls.length > 0) yield { type: "tool_calls", calls: toolCalls };
          const finishReason = mapFinishReason(finish, toolCalls.length > 0);
          const finalUsage = usage ?? estimateUsage(req.messages, outChars, toolCalls);
          metrics.tokens.inc({ direction: "in" }, finalUsage.inputTokens);
          metrics.tokens.inc({ direction: "out" }, finalUsage.outputTokens);
          outcome = { finishReason, usage: finalUsage };
          // The server's count of the text, when it sent one and the round was text alone.
          if (usage && toolCalls.length === 0 && Number.isInteger(usage.outputTokens)) {
            const textTokens = usage.outputTokens - reasoningTokens;
            if (textTokens > 0) {
              yield { type: "done", finishReason, usage: finalUsage, textTokens };
              return;
            }
          }
          yield { type: "done", finishReason, usage: finalUsage };
          return;
        } catch (err) {
          clearTimeout(firstTokenTimer);
          if (stopReason) throw stopReason;
          const { error, retryable } = classifyError(err, shown);
          const waitMs = this.retryWaitMs(error, retryable && !shown, attempts, startedMs);
          if (waitMs === undefined) throw error;
          // Tried again: the failed attempt's request (a bad payload or an error object came
          // while the server kept the response open) must not hold its connection meanwhile.
          response?.cancel();
          try {
            await this.retry.sleep(waitMs, run.signal);
          } catch {
            throw stopReason ?? error;
          }
        }
      }
    } catch (err) {
      outcome = { error: err instanceof LlmError ? err.code : "unknown" };
      throw err;
    } finally {
      clearTimeout(totalTimer);
      clearTimeout(firstTokenTimer);
      req.signal.removeEventListener("abort", onCancel);
      // A caller that stops iterating early must not leave the HTTP request running. A finished
      // one is left alone: aborting it would cost an error object and maybe the connection.
      if (!bodyRead && !run.signal.aborted)
        run.abort(new LlmError("cancelled", "the caller stopped reading"));
      const seconds = (performance.now() - startedMs) / 1000;
      metrics.modelSeconds.observe(seconds);
      // Sizes and outcome only: message text stays out even at debug, and the key never appears.
      if (this.opts.log.isLevelEnabled("debug")) {
        this.opts.log.debug(
          {
            model: this.model,
            messages: req.messages.length,
            tools: req.tools.length,
            attempts,
            ms: Math.round(seconds * 1000),
            ...outcome,
          },
          "model request",
        );
      }
    }
  }

  /** The JSON this adapter sends for `req` (the benchmark's transport baseline sends it too). */
  requestJson(req: ModelRequest): string {
    // The tools' definitions are serialized once per process, and so are the history's messages
    // (request-body.ts), not in every request.
    return requestBodyJson(
      this.model,
      req.messages,
      req.tools,
      req.maxOutputTokens === undefined
        ? undefined
        : { param: this.tokenLimitParam, value: req.maxOutputTokens },
    );
  }

  /** How long to wait before the next attempt, or undefined to give up with `error`. */
  private retryWaitMs(
    error: LlmError,
    retryable: boolean,
    attempts: number,
    startedMs: number,
  ): number | undefined {
    if (!retryable || attempts > this.opts.maxRetries) return undefined;
    const asked = error.details.retryAfterMs;
    if (asked !== undefined && asked > this.retry.maxRetryAfterMs) return undefined;
    const waitMs = asked ?? backoffDelayMs(attempts - 1, this.retry);
    // Waiting past the whole-answer deadline only turns this error into a timeout.
    const remainingMs = this.opts.totalTimeoutMs - (performance.now() - startedMs);
    return waitMs < remainingMs ? waitMs : undefined;
  }
}

function mapFinishReason(reason: string, hasToolCalls: boolean): FinishReason {
  switch (reason) {
    case "length":
    case "content_filter":
    case "tool_calls":
      return reason;
    case "function_call":
      return "tool_calls";
    case "stop":
      // Ollama and some vLLM versions report "stop" on a round that made tool calls.
      return hasToolCalls ? "tool_calls" : "stop";
    default:
      return hasToolCalls ? "tool_calls" : "other";
  }
}

function hasReasoning(delta: ChatCompletionChunk.Choice.Delta): boolean {
  // vLLM/DeepSeek send `reasoning_content`, Ollama and OpenRouter `reasoning`; not in the SDK types.
  const extra = delta as { reasoning_content?: unknown; reasoning?: unknown };
  return Boolean(extra.reasoning_content || extra.reasoning);
}

/** Used only when the server sends no usage chunk (some compatible servers ignore include_usage). */
function estimateUsage(
  messages: readonly ModelMessage[],
  outChars: number,
  toolCalls: { name: string; arguments: string }[],
): ModelUsage {
  let inChars = 0;
  // The text of each message (a message with files is counted without them, as before).
  for (const m of messages) {
    if (m.role === "user" && m.parts && m.parts.length > 0) continue;
    inChars += m.content?.length ?? 0;
  }
  let callChars = 0;
  for (const c of toolCalls) callChars += c.name.length + c.arguments.length;
  return {
    inputTokens: Math.ceil(inChars / CHARS_PER_TOKEN),
    outputTokens: Math.ceil((outChars + callChars) / CHARS_PER_TOKEN),
  };
}
