/**
 * One answer from the model: stream text into the answer, run the tool calls it asks for
 * (concurrently, at most `maxParallelToolCalls` per round), feed the results back, and repeat up
 * to `maxToolRounds` times. Results holding personal data pass the privacy rule first
 * (personal-data.ts). A context that is too long for the model is trimmed harder once and tried
 * again.
 */
import type { Logger } from "../log.js";
import type { AnswerStream } from "./answer-stream.js";
import { fitContext } from "./budget.js";
import { LlmError } from "./errors.js";
import { type PrivateDeliveries, shieldPersonalResults } from "./personal-data.js";
import type {
  ChatModel,
  FinishReason,
  MessageSink,
  Source,
  TokenCounter,
  ToolContext,
  ToolResult,
  ToolRunner,
} from "./ports.js";
import type { RedactKind } from "./redaction/detectors.js";
import { redactingModel } from "./redaction/redacting-model.js";
import { RedactionSession } from "./redaction/redactor.js";
import type { HistoryEntry, StoredTurn, ToolCall } from "./types.js";

export interface GenerateInput {
  model: ChatModel;
  tools: ToolRunner;
  counter: TokenCounter;
  sink: MessageSink;
  answer: AnswerStream;
  log: Logger;
  system: string;
  history: StoredTurn[];
  /** The user's message (and nothing else yet). */
  userEntry: HistoryEntry;
  budgetTokens: number;
  maxOutputTokens: number;
  maxToolRounds: number;
  /** Tool calls run per round; the model's further calls in that round get a "not run" result. */
  maxParallelToolCalls: number;
  toolContext: ToolContext;
  signal: AbortSignal;
  now: () => number;
  /** REDACT_BEFORE_MODEL: what the model must not see (redaction/); empty or absent: nothing. */
  redact?: readonly RedactKind[] | undefined;
}

export interface GenerateOutput {
  /** Entries this turn adds to the history, the user's message first. */
  entries: HistoryEntry[];
  finishReason: FinishReason | "tool_rounds";
  usage: { inputTokens: number; outputTokens: number };
  rounds: number;
  toolCalls: number;
  droppedTurns: number;
  /** ms from the first request to the first text or tool call, if any arrived. */
  firstTokenMs: number | null;
  /** Personal results of this turn sent privately to the asker, or withheld (shared places only). */
  privately: PrivateDeliveries;
  /** Set when the model failed; text streamed before the failure is in `answer`. */
  error?: LlmError;
  /** Citable articles from this turn's tool results, in the order they came. */
  sources: Source[];
}

export async function generate(input: GenerateInput): Promise<GenerateOutput> {
  const out: GenerateOutput = {
    entries: [input.userEntry],
    finishReason: "stop",
    usage: { inputTokens: 0, outputTokens: 0 },
    rounds: 0,
    toolCalls: 0,
    droppedTurns: 0,
    firstTokenMs: null,
    privately: { sent: [], failed: 0 },
    sources: [],
  };
  const started = input.now();
  // The model sees placeholders; tools, the answer and the saved history get the real values.
  const model =
    input.redact && input.redact.length > 0
      ? redactingModel(input.model, new RedactionSession(input.redact))
      : input.model;
  let budget = input.budgetTokens;
  let trimmedHarder = false;

  for (let round = 0; ; round++) {
    const fitted = fitContext({
      system: input.system,
      history: input.history,
      current: out.entries,
      counter: input.counter,
      budgetTokens: budget,
    });
    out.droppedTurns = fitted.droppedTurns;
    // On the last allowed round no tools are offered: the model has to answer with what it has.
    const offerTools = round < input.maxToolRounds;
    let roundText = "";
    let calls: ToolCall[] = [];
    let usageSeen = false;
    out.rounds = round + 1;
    // The model hands text here as it comes (or yields it as events: handled the same).
    const onText = (delta: string) => {
      if (out.firstTokenMs === null) out.firstTokenMs = input.now() - started;
      roundText += delta;
      input.answer.append(delta);
    };
    try {
      for await (const event of model.stream({
        messages: fitted.messages,
        tools: offerTools ? input.tools.specs() : [],
        signal: input.signal,
        maxOutputTokens: input.maxOutputTokens,
        onText,
      })) {
        if (out.firstTokenMs === null && event.type !== "done") out.firstTokenMs = input.now() - started;
        if (event.type === "text") {
          onText(event.delta);
        } else if (event.type === "tool_calls") {
          calls = event.calls;
        } else {
          out.usage.inputTokens += event.usage.inputTokens;
          out.usage.outputTokens += event.usage.outputTokens;
          out.finishReason = event.finishReason;
          usageSeen = true;
          // The server counted the answer: saving the turn need not count it again. Not when
          // the model saw placeholders (redaction): the saved text is not what it counted.
          if (event.textTokens !== undefined && model === input.model)
            input.counter.remember?.(roundText, event.textTokens);
        }
      }
    } catch (err) {
      // A stream that stopped early (Stop, timeout, broken connection) reports no usage, but the
      // tokens were spent: count them ourselves, or pressing Stop would dodge the daily budget.
      if (!usageSeen && (roundText !== "" || input.signal.aborted)) {
        out.usage.inputTokens += fitted.tokens;
        out.usage.outputTokens += input.counter.count(roundText);
      }
      const error =
        err instanceof LlmError ? err : new LlmError("unavailable", "model stream failed", { cause: err });
      if (error.code === "context_length" && !trimmedHarder && roundText === "") {
        // The counter and the server disagree (another model family, server-side overhead):
        // halve the budget, which drops the oldest half of what was left, and try once more.
        trimmedHarder = true;
        budget = Math.max(256, Math.floor(fitted.tokens / 2));
        input.log.warn(
          { budget, droppedTurns: fitted.droppedTurns },
          "context too long for the model, trimming harder",
        );
        round--;
        continue;
      }
      out.error = error;
      if (roundText !== "") out.entries.push({ role: "assistant", content: roundText });
      return out;
    }

    if (calls.length === 0 || !offerTools) {
      out.entries.push({ role: "assistant", content: roundText });
      if (calls.length > 0) out.finishReason = "tool_rounds";
      return out;
    }

    out.entries.push({ role: "assistant", content: roundText === "" ? null : roundText, toolCalls: calls });
    const run = calls.slice(0, input.maxParallelToolCalls);
    out.toolCalls += run.length;
    if (run.length < calls.length) {
      input.log.info({ asked: calls.length, run: run.length }, "tool calls over the per-round limit not run");
    }
    await showToolStatus(input, run);
    const results: ToolResult[] = [
      ...(await Promise.all(run.map((call) => input.tools.run(call, input.toolContext)))),
      ...calls.slice(run.length).map(() => notRun(input.maxParallelToolCalls)),
    ];
    const contents = await shieldPersonalResults(
      calls,
      results,
      { audience: input.toolContext.audience, sink: input.sink, log: input.log },
      out.privately,
    );
    calls.forEach((call, i) => {
      out.entries.push({ role: "tool", toolCallId: call.id, name: call.name, content: contents[i]! });
      out.sources.push(...(results[i]!.sources ?? []));
    });
    if (input.signal.aborted) {
      out.error = new LlmError("cancelled", "stopped during tool calls");
      return out;
    }
    // Text before a tool call ("Let me check...") stays visible; separate what comes next.
    if (roundText !== "" && !roundText.endsWith("\n")) input.answer.append("\n\n");
  }
}

/** The result of a call over the per-round limit: the model may ask again in its next round. */
function notRun(limit: number): ToolResult {
  return {
    ok: false,
    content: JSON.stringify({
      error: "too_many_parallel_calls",
      message: `Not run: at most ${limit} tool calls are run at once. Use the results you have; if this call is still needed, make it again in your next step.`,
    }),
  };
}

async function showToolStatus(input: GenerateInput, calls: ToolCall[]): Promise<void> {
  if (!input.sink.status) return;
  const texts = [
    ...new Set(calls.map((c) => input.tools.statusText(c.name)).filter((t): t is string => !!t)),
  ];
  if (texts.length === 0) return;
  try {
    await input.sink.status(texts.join(" "));
  } catch (err) {
    input.log.debug({ err }, "status update failed");
  }
}
