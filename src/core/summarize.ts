/**
 * `/summarize`: a transcript in, a summary streamed out. A transcript larger than the context
 * budget is cut into consecutive parts that fit, each part is summarized on its own, and the
 * partial summaries are combined (again in rounds, if even they do not fit) into the answer
 * the user watches stream in.
 *
 * Every model call is paid from the user's daily token budget before it is made: its most
 * (prompt + maxOutputTokens) is reserved, and what it really cost is settled after. Concurrent
 * summaries of one user therefore stop at the budget instead of each spending it again.
 */
import type { Logger } from "../log.js";
import { admit } from "./admission.js";
import { AnswerStream } from "./answer-stream.js";
import type { ConversationDeps, SummarizeRequest, TurnResult } from "./conversation.js";
import type { EditBudgets } from "./edit-budget.js";
import {
  type ChatbotError,
  InputError,
  LlmError,
  ShuttingDownError,
  StoreError,
  ThrottledError,
} from "./errors.js";
import { noticeFor, SUFFIX, withSuffix } from "./notices.js";
import type { ModelEvent, ModelRequest, ModelUsage } from "./ports.js";
import { combineSystemPrompt, summarySystemPrompt } from "./prompts.js";
import { settleReservation } from "./settle.js";
import { userKeyOf } from "./types.js";

/** One message of a transcript is cut to this many characters: a pasted log should not crowd out the rest. */
const MAX_LINE_CHARS = 2000;
/** Tokens kept free for the prompt's own words and request overhead. */
const PROMPT_RESERVE_TOKENS = 400;
/** Rounds of "summarize the summaries" before the rest is sent as it is. */
const MAX_REDUCE_ROUNDS = 4;
/** The token budget resets at UTC midnight. */
const DAY_MS = 24 * 60 * 60 * 1000;

export interface SummaryRun {
  turnId: string;
  req: SummarizeRequest;
  signal: AbortSignal;
  draining: boolean;
  deps: ConversationDeps;
  budgets: EditBudgets;
  log: Logger;
  now: () => number;
}

export async function runSummary(run: SummaryRun): Promise<TurnResult> {
  const { req, deps, log } = run;
  const { settings } = deps;
  const result: TurnResult = {
    turnId: run.turnId,
    outcome: "answered",
    text: "",
    usage: { inputTokens: 0, outputTokens: 0 },
  };
  const refuse = async (outcome: TurnResult["outcome"], err: ChatbotError, text = noticeFor(err)) => {
    result.outcome = outcome;
    result.code = err.code;
    result.text = text;
    await req.sink.notice(text).catch((e: unknown) => log.warn({ err: e }, "could not send notice"));
    return result;
  };
  if (run.draining) return refuse("unavailable", new ShuttingDownError("shutting down"));
  if (req.lines.length === 0) {
    return refuse(
      "rejected",
      new InputError("empty_message", "nothing to summarize"),
      `There are no messages to summarize in ${req.subject}.`,
    );
  }
  const userKey = userKeyOf(req);
  const admission = await admit(
    deps,
    { platform: req.platform, messageKey: `${req.platform}:${req.requestId}`, userKey },
    log,
  );
  if (admission.kind === "duplicate") {
    result.outcome = "duplicate";
    return result;
  }
  if (admission.kind === "refused") return refuse(admission.outcome, admission.error);

  const answer = new AnswerStream(req.sink, run.budgets, log, run.now);
  const usage: ModelUsage = { inputTokens: 0, outputTokens: 0 };
  deps.metrics.activeStreams.inc({ platform: req.platform });
  try {
    const inputBudget = Math.max(
      512,
      settings.contextTokenBudget -
        settings.maxOutputTokens -
        deps.tokens.count(summarySystemPrompt(req.subject)) -
        PROMPT_RESERVE_TOKENS,
    );
    let parts = chunkByTokens(req.lines.map(formatLine), inputBudget, (t) => deps.tokens.count(t) + 1);
    let combining = false;
    // Reduce until one request can hold everything, then stream the last step to the user.
    // Each round shrinks the input (a partial summary is at most maxOutputTokens); the round cap
    // only guards against a model that ignores that.
    for (let round = 0; parts.length > 1 && round < MAX_REDUCE_ROUNDS; round++) {
      if (req.sink.status) {
        req.sink
          .status(`summarizing part 1-${parts.length} of ${req.lines.length} messages...`)
          .catch(() => {});
      }
      const partials: string[] = [];
      for (const [i, part] of parts.entries()) {
        const system = combining
          ? combineSystemPrompt(req.subject)
          : summarySystemPrompt(`${req.subject} (part ${i + 1} of ${parts.length})`);
        partials.push(await complete(run, userKey, system, part, usage));
      }
      parts = chunkByTokens(
        partials.map((p, i) => `Part ${i + 1}:\n${p}`),
        inputBudget,
        (t) => deps.tokens.count(t) + 1,
      );
      combining = true;
    }
    if (parts.length > 1) parts = [parts.join("\n")];
    answer.append(`**Summary of ${req.subject}** (${req.lines.length} messages)\n\n`);
    let cutShort = false;
    const system = combining ? combineSystemPrompt(req.subject) : summarySystemPrompt(req.subject);
    for await (const event of budgetedStream(run, userKey, {
      messages: [
        { role: "system", content: system },
        { role: "user", content: parts[0] ?? "" },
      ],
      tools: [],
      signal: run.signal,
      maxOutputTokens: settings.maxOutputTokens,
    })) {
      if (event.type === "text") answer.append(event.delta);
      else if (event.type === "done") {
        addUsage(usage, event.usage);
        cutShort = event.finishReason === "length";
      }
    }
    result.text = cutShort ? withSuffix(answer.current, SUFFIX.length) : answer.current;
    await answer.finish("done", result.text);
  } catch (err) {
    const stopped = run.signal.aborted;
    const known = err instanceof LlmError || err instanceof ThrottledError || err instanceof StoreError;
    const error = known ? err : new LlmError("unavailable", "summary failed", { cause: err });
    if (!known) log.error({ err }, "summary failed unexpectedly");
    if (err instanceof ThrottledError)
      log.info({ reason: err.reason }, "summary stopped at the token budget");
    if (err instanceof StoreError) log.error({ err }, "could not reserve tokens for the summary");
    result.outcome = stopped
      ? "stopped"
      : err instanceof ThrottledError
        ? "throttled"
        : err instanceof StoreError
          ? "unavailable"
          : "error";
    result.code = stopped ? "cancelled" : error.code;
    result.text = stopped
      ? withSuffix(answer.current, run.signal.reason === "shutdown" ? SUFFIX.shutdown : SUFFIX.stopped)
      : withSuffix(answer.current, noticeFor(error));
    await answer.finish(stopped ? "stopped" : "error", result.text);
  } finally {
    deps.metrics.activeStreams.dec({ platform: req.platform });
    if (req.sink.status) req.sink.status("").catch(() => {});
  }
  result.usage = usage;
  return result;
}

function formatLine(line: { author: string; text: string; at: number }): string {
  const when = new Date(line.at).toISOString().slice(0, 16).replace("T", " ");
  const text = line.text.length > MAX_LINE_CHARS ? `${line.text.slice(0, MAX_LINE_CHARS)}...` : line.text;
  return `[${when}] ${line.author}: ${text.replace(/\s*\n\s*/g, " / ")}`;
}

/** Group lines into consecutive chunks of at most `budget` tokens (a single huge line stands alone). */
export function chunkByTokens(lines: string[], budget: number, count: (line: string) => number): string[] {
  const chunks: string[] = [];
  let current: string[] = [];
  let used = 0;
  for (const line of lines) {
    const cost = count(line);
    if (current.length > 0 && used + cost > budget) {
      chunks.push(current.join("\n"));
      current = [];
      used = 0;
    }
    current.push(line);
    used += cost;
  }
  if (current.length > 0) chunks.push(current.join("\n"));
  return chunks;
}

async function complete(
  run: SummaryRun,
  userKey: string,
  system: string,
  content: string,
  usage: ModelUsage,
): Promise<string> {
  let text = "";
  for await (const event of budgetedStream(run, userKey, {
    messages: [
      { role: "system", content: system },
      { role: "user", content },
    ],
    tools: [],
    signal: run.signal,
    maxOutputTokens: run.deps.settings.maxOutputTokens,
  })) {
    if (event.type === "text") text += event.delta;
    else if (event.type === "done") addUsage(usage, event.usage);
  }
  return text;
}

/**
 * One model call paid from the user's daily budget: reserve the most it can cost (or throw
 * ThrottledError when that does not fit), stream it, then settle what it reported. A call that
 * breaks off before reporting is charged its prompt and what it wrote once the model answered or
 * the user stopped it (the rule chat turns follow); one refused before any answer (model down,
 * rate limited) costs nothing, so an outage does not use up someone's day.
 */
async function* budgetedStream(
  run: SummaryRun,
  userKey: string,
  req: ModelRequest,
): AsyncGenerator<ModelEvent> {
  const { deps, log } = run;
  const input = deps.tokens.countMessages(req.messages);
  const most = input + (req.maxOutputTokens ?? deps.settings.maxOutputTokens);
  const reservation = await deps.store.gate.reserveTokens(userKey, most, deps.settings.throttle.dailyTokens);
  if (!reservation) throw new ThrottledError("tokens", DAY_MS - (run.now() % DAY_MS));
  let spent = 0;
  let written = "";
  let reported = false;
  try {
    for await (const event of deps.model.stream(req)) {
      if (event.type === "done") {
        spent = event.usage.inputTokens + event.usage.outputTokens;
        reported = true;
      } else if (event.type === "text") written += event.delta;
      yield event;
    }
  } finally {
    if (!reported && (written !== "" || req.signal.aborted)) spent = input + deps.tokens.count(written);
    await settleReservation(deps.store.gate, reservation, spent, log);
  }
}

function addUsage(total: ModelUsage, add: ModelUsage): void {
  total.inputTokens += add.inputTokens;
  total.outputTokens += add.outputTokens;
}
