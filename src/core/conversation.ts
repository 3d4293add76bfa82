/**
 * The conversation engine's public face for adapters. `handle` is the whole turn, read top to
 * bottom: validate -> dedup + throttle -> wait for the thread -> history -> model and tools ->
 * save -> release. Every path ends with the user seeing an answer or a short notice.
 */
import { randomUUID } from "node:crypto";
import type { Logger } from "../log.js";
import type { Metrics } from "../metrics.js";
import { admit } from "./admission.js";
import { AnswerStream } from "./answer-stream.js";
import { askerWords } from "./asker-words.js";
import type { FileReaders } from "./attachments/ports.js";
import type { AttachmentSettings } from "./attachments/settings.js";
import { TurnAttachments } from "./attachments/turn.js";
import { turnTokens } from "./budget.js";
import { withSources } from "./citations.js";
import { EditBudgets } from "./edit-budget.js";
import {
  BusyError,
  type ChatbotError,
  InputError,
  LlmError,
  ShuttingDownError,
  StoreError,
} from "./errors.js";
import type { Feedback } from "./feedback/feedback.js";
import { rateableTurn } from "./feedback/turn.js";
import { conversationRecords, PersonalData, threadPeople } from "./forget.js";
import { generate } from "./generate.js";
import type { CustomerRelay } from "./handoff/ports.js";
import type { HandoffRecord } from "./handoff/record.js";
import { noticeFor, SUFFIX, withSuffix } from "./notices.js";
import { type OrphanedTurn, OrphanRegistry } from "./orphans.js";
import { type PrivateDeliveries, redactPersonalHistory } from "./personal-data.js";
import type { TurnPolicies } from "./policy/policies.js";
import { turnChoices, withExtraPrompt } from "./policy/turn.js";
import type { ChatModel, MessageSink, Store, ThrottlePolicy, TokenCounter, ToolRunner } from "./ports.js";
import { supportSystemPrompt } from "./prompts.js";
import type { RedactKind } from "./redaction/detectors.js";
import { redactingModel } from "./redaction/redacting-model.js";
import { RedactionSession } from "./redaction/redactor.js";
import { runSummary } from "./summarize.js";
import { ThreadQueue, type ThreadTicket } from "./thread-queue.js";
import { atMost } from "./timers.js";
import {
  audienceOf,
  type HistoryEntry,
  type IncomingMessage,
  type Platform,
  type TranscriptLine,
  threadKeyOf,
  userKeyOf,
} from "./types.js";
import { workspaceKeyOf } from "./workspace-records.js";

export interface ConversationSettings {
  botName: string;
  /** Replaces the built-in support-assistant prompt when set. */
  systemPrompt?: string | undefined;
  throttle: ThrottlePolicy;
  dedupTtlMs: number;
  lockTtlMs: number;
  /** How long a message waits for an earlier turn in the same thread before it gives up. */
  lockWaitMs: number;
  historyMaxTurns: number;
  historyTtlMs: number;
  /** Tokens of system prompt + history + new message sent to the model. */
  contextTokenBudget: number;
  /** Tokens the files of one message may take on top of `contextTokenBudget` (ATTACHMENT_TOKEN_BUDGET). */
  attachmentTokenBudget?: number | undefined;
  maxOutputTokens: number;
  /** Longer messages are refused with a notice (not truncated: half a question gets a wrong answer). */
  maxInputChars: number;
  maxToolRounds: number;
  /** Tool calls run per model round (MAX_PARALLEL_TOOL_CALLS); extra calls are answered "not run". */
  maxParallelToolCalls: number;
  /** Limits for attached files (docs/attachments.md); defaults when absent. */
  attachments?: AttachmentSettings | undefined;
  /** REDACT_BEFORE_MODEL: values the model sees only as placeholders (core/redaction/). */
  redact?: readonly RedactKind[] | undefined;
}

export interface ConversationDeps {
  store: Store;
  model: ChatModel;
  tokens: TokenCounter;
  tools: ToolRunner;
  log: Logger;
  metrics: Metrics;
  settings: ConversationSettings;
  /** Image and PDF decoders for attachments; without them only text files are read. */
  files?: FileReaders | undefined;
  /** Ratings of answers (core/feedback/); without it answers carry no thumbs up / down. */
  feedback?: Feedback | undefined;
  /** Per-place policy (POLICY_FILE): model, tools, limits, retention, extra prompt. */
  policy?: TurnPolicies | undefined;
  /** The model for a model name a policy names (one per name, built once). */
  models?: ((name: string) => ChatModel) | undefined;
  now?: () => number;
}

export type TurnOutcome =
  | "answered"
  | "stopped"
  | "error"
  | "throttled"
  | "duplicate"
  | "busy"
  | "rejected"
  | "unavailable"
  /** The conversation is with a person (a hand-off): the message went to them, not the model. */
  | "relayed";

export interface TurnResult {
  turnId: string;
  outcome: TurnOutcome;
  /** The final text shown to the user (answer, or answer + notice, or the notice). */
  text: string;
  usage: { inputTokens: number; outputTokens: number };
  /** Error code when the outcome is not `answered`. */
  code?: string;
}

export interface SummarizeRequest {
  platform: Platform;
  workspaceId: string;
  channelId: string;
  userId: string;
  /** See `IncomingMessage.userScope`. */
  userScope?: string | undefined;
  /** Unique id of the request (slash command trigger id, interaction id): dedup key and turn id. */
  requestId: string;
  /** Oldest first. Adapters drop bot messages and joins before handing lines over. */
  lines: TranscriptLine[];
  sink: MessageSink;
  /** What is summarized, for the model and the heading ("#general, last 300 messages"). */
  subject: string;
  signal?: AbortSignal;
}

/** The id under which a running turn can be cancelled (e.g. by a Stop button). */
export function turnIdOf(platform: Platform, messageId: string): string {
  return `${platform}:${messageId}`;
}

/**
 * Longest wait for an answer's messages to exist before its turn is saved anyway (a platform
 * that rate-limits posting for longer than this should not hold the thread).
 */
const POSTED_WAIT_MAX_MS = 15_000;

/** Why a running turn was aborted; decides the suffix its message ends with. */
type StopReason = "user" | "shutdown";

interface RunningTurn {
  controller: AbortController;
  done: Promise<unknown>;
}

export class Conversation {
  private readonly running = new Map<string, RunningTurn>();
  private readonly budgets: EditBudgets;
  private readonly queue: ThreadQueue;
  private readonly now: () => number;
  private draining = false;
  private handoffs: CustomerRelay | undefined;
  /**
   * The system prompts built today, by platform and the place's extra prompt: the same string on
   * every turn, so the token counter finds it by a lookup instead of hashing and comparing a new
   * copy each time. Emptied when the day (which the prompt names) changes.
   */
  private prompts = { day: "", byPlace: new Map<string, string>() };
  /** Adapters register here how to finalize a message left streaming by a dead process. */
  readonly orphans: OrphanRegistry;
  /** `/forget`: every part holding records about people (main.ts registers more than histories). */
  readonly personalData: PersonalData;

  constructor(readonly deps: ConversationDeps) {
    this.now = deps.now ?? Date.now;
    this.orphans = new OrphanRegistry(deps.log);
    this.personalData = new PersonalData([conversationRecords(deps.store.threads)], deps.log);
    this.budgets = new EditBudgets(deps.store.budgets, deps.log, this.now);
    this.queue = new ThreadQueue(deps.store.threads, this.now);
  }

  /** Turns running in this process now. */
  get activeTurns(): number {
    return this.running.size;
  }

  /** Answer one incoming chat message into `sink`. Never throws: every failure ends as a notice. */
  handle(msg: IncomingMessage, sink: MessageSink, opts: { signal?: AbortSignal } = {}): Promise<TurnResult> {
    return this.track(turnIdOf(msg.platform, msg.messageId), opts.signal, (turnId, signal) =>
      this.runTurn(turnId, msg, sink, signal),
    );
  }

  /** While a conversation is handed off to a person, its messages go to `relay` (core/handoff). */
  useHandoffs(relay: CustomerRelay): void {
    this.handoffs = relay;
  }

  /** Stream a summary of `lines` into the sink; long inputs are summarized in chunks and combined. */
  summarize(req: SummarizeRequest): Promise<TurnResult> {
    return this.track(turnIdOf(req.platform, req.requestId), req.signal, (turnId, signal) =>
      this.runSummarize(turnId, req, signal),
    );
  }

  /** Stop a running turn (Stop button). True if it was running in this process. */
  cancel(turnId: string): boolean {
    const turn = this.running.get(turnId);
    if (!turn) return false;
    turn.controller.abort("user" satisfies StopReason);
    return true;
  }

  /**
   * Shutdown: refuse new turns, let running ones finish until `deadlineMs`, then stop the rest
   * (their messages are finalized with a notice and their locks released).
   */
  async drain(deadlineMs: number): Promise<void> {
    this.draining = true;
    const all = () => Promise.allSettled([...this.running.values()].map((t) => t.done));
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<"deadline">((resolve) => {
      timer = setTimeout(() => resolve("deadline"), deadlineMs);
    });
    const first = await Promise.race([all(), deadline]);
    clearTimeout(timer);
    if (first === "deadline") {
      for (const turn of this.running.values()) turn.controller.abort("shutdown" satisfies StopReason);
      await all();
    }
  }

  // -------------------------------------------------------------------------------------------

  /**
   * Enter the thread's queue before the admission step has answered (see runTurn). `abandon`
   * gives the place back: a wait still going is stopped, a lock already taken is released (and
   * an orphan its acquiring found is still finalized). The signal that stops the wait is made
   * only if the queue has to wait (an earlier message of the thread, a lock held elsewhere): most
   * turns find the thread free, and an AbortController with its listener cost ~8 µs of a turn's
   * CPU in `bench -- core`.
   */
  private enterEarly(
    threadKey: string,
    owner: string,
    place: { ttlMs: number; waitMs: number; marker: string },
    signal: AbortSignal,
    log: Logger,
  ): { ticket: Promise<ThreadTicket>; abandoned: boolean; abandon(): void } {
    let stop: AbortController | undefined;
    let detach: (() => void) | undefined;
    let abandoned = false;
    const waitSignal = (): AbortSignal => {
      if (!stop) {
        stop = new AbortController();
        if (abandoned) stop.abort("abandoned");
        else if (signal.aborted) stop.abort(signal.reason);
        else {
          const onAbort = () => stop?.abort(signal.reason);
          signal.addEventListener("abort", onAbort, { once: true });
          detach = () => signal.removeEventListener("abort", onAbort);
        }
      }
      return stop.signal;
    };
    // Read by the queue only when it waits.
    const ticket = this.queue.enter(threadKey, owner, {
      ...place,
      get signal() {
        return waitSignal();
      },
    });
    const settled = () => detach?.();
    ticket.then(settled, settled);
    return {
      ticket,
      get abandoned() {
        return abandoned;
      },
      abandon: () => {
        if (abandoned) return;
        abandoned = true;
        stop?.abort("abandoned");
        ticket.then(
          (taken) => {
            if (taken.orphan) void this.orphans.finalize(taken.orphan);
            this.deps.store.threads
              .release(threadKey, owner)
              .catch((err: unknown) => log.warn({ err }, "could not give back a thread not answered"))
              .finally(() => taken.leave());
          },
          () => {},
        );
      },
    };
  }

  /** The conversation's active hand-off; null also when there are none or the store fails. */
  private async handoffOf(msg: IncomingMessage, log: Logger): Promise<HandoffRecord | null> {
    if (!this.handoffs) return null;
    try {
      return await this.handoffs.activeFor(msg);
    } catch (err) {
      log.warn({ err }, "could not check for a hand-off; answering instead");
      return null;
    }
  }

  /** False also when the hand-off store fails: the assistant answering beats the message vanishing. */
  private async relayedToPerson(msg: IncomingMessage, active: HandoffRecord, log: Logger): Promise<boolean> {
    if (!this.handoffs) return false;
    try {
      return await this.handoffs.relayCustomer(msg, active);
    } catch (err) {
      log.warn({ err }, "could not check or relay to the hand-off; answering instead");
      return false;
    }
  }

  private async track(
    turnId: string,
    external: AbortSignal | undefined,
    body: (turnId: string, signal: AbortSignal) => Promise<TurnResult>,
  ): Promise<TurnResult> {
    const controller = new AbortController();
    const onExternal = () => controller.abort("user" satisfies StopReason);
    external?.addEventListener("abort", onExternal, { once: true });
    if (external?.aborted) onExternal();
    const existing = this.running.get(turnId);
    const done = body(turnId, controller.signal);
    // A duplicate delivery of a running turn must not unregister the original.
    if (!existing) this.running.set(turnId, { controller, done });
    try {
      return await done;
    } finally {
      external?.removeEventListener("abort", onExternal);
      if (this.running.get(turnId)?.done === done) this.running.delete(turnId);
    }
  }

  private async runTurn(
    turnId: string,
    msg: IncomingMessage,
    sink: MessageSink,
    signal: AbortSignal,
  ): Promise<TurnResult> {
    const { settings, store, metrics } = this.deps;
    const started = this.now();
    const threadKey = threadKeyOf(msg);
    const userKey = userKeyOf(msg);
    const audience = audienceOf(msg);
    const log = this.deps.log.child({
      turnId,
      platform: msg.platform,
      threadKey,
      userId: msg.userId,
      kind: msg.kind,
      audience,
    });
    log.debug({ text: msg.text }, "message received");
    const result: TurnResult = {
      turnId,
      outcome: "answered",
      text: "",
      usage: { inputTokens: 0, outputTokens: 0 },
    };
    const finishLog = (extra: Record<string, unknown> = {}) => {
      metrics.turns.inc({ platform: msg.platform, kind: msg.kind, outcome: result.outcome });
      const line = { outcome: result.outcome, code: result.code, ms: this.now() - started, ...extra };
      if (result.outcome === "error" || result.outcome === "unavailable") log.warn(line, "turn finished");
      else log.info(line, "turn finished");
      log.debug({ text: result.text }, "turn answer");
      return result;
    };
    const refuse = async (outcome: TurnOutcome, err: ChatbotError): Promise<TurnResult> => {
      result.outcome = outcome;
      result.code = err.code;
      result.text = noticeFor(err);
      await this.safeNotice(sink, result.text, log);
      return finishLog();
    };

    if (this.draining) return refuse("unavailable", new ShuttingDownError("shutting down"));
    const text = msg.text.trim();
    // The place's policy, read without a store round trip (no POLICY_FILE: the settings as they are).
    const choice = turnChoices(this.deps.policy?.forTurn(msg) ?? null, {
      model: this.deps.model,
      models: this.deps.models,
      tools: this.deps.tools,
      throttle: settings.throttle,
      historyTtlMs: settings.historyTtlMs,
    });

    // Whether a person has this conversation is read alongside the admission step (one wait).
    const handoff = this.handoffOf(msg, log);
    const owner = randomUUID();
    const marker = JSON.stringify({
      turnId,
      platform: msg.platform,
      workspaceId: msg.workspaceId,
      channelId: msg.channelId,
      threadId: msg.threadId,
      messageId: msg.messageId,
      startedAt: started,
    } satisfies OrphanedTurn);
    const place = { ttlMs: settings.lockTtlMs, waitMs: settings.lockWaitMs, marker };
    // A message that will surely be answered if admitted (text only, of an allowed length) asks
    // for its thread in the same tick as the admission, so both cost one round trip instead of
    // two in a row. If it is not admitted after all (a duplicate, throttled, handed off), the
    // thread is given back at once.
    const early =
      text !== "" && text.length <= settings.maxInputChars && !msg.attachments?.length
        ? this.enterEarly(threadKey, owner, place, signal, log)
        : null;
    // 1. Dedup and throttle: one atomic step in the store.
    const admission = await admit(
      this.deps,
      {
        platform: msg.platform,
        messageKey: `${msg.platform}:${msg.messageId}`,
        userKey,
        policy: choice.throttle,
      },
      log,
    );
    if (admission.kind !== "ok") early?.abandon();
    if (admission.kind === "duplicate") {
      result.outcome = "duplicate";
      metrics.turns.inc({ platform: msg.platform, kind: msg.kind, outcome: "duplicate" });
      log.info({ outcome: "duplicate" }, "duplicate delivery ignored");
      return result;
    }
    if (admission.kind === "refused") return refuse(admission.outcome, admission.error);
    // Checked after dedup, so a platform's second delivery of a bad message gets no second notice.
    // A file with no text is a question too ("what does this error mean?" is in the screenshot).
    if (text === "" && !msg.attachments?.length)
      return refuse("rejected", new InputError("empty_message", "empty message"));
    if (text.length > settings.maxInputChars) {
      return refuse(
        "rejected",
        new InputError("message_too_long", "message too long", {
          length: text.length,
          limit: settings.maxInputChars,
        }),
      );
    }
    // While a person has the conversation, its messages go to them (after dedup: relayed once;
    // after the length check: what reaches the team and the history later is what a turn takes).
    const handedOff = await handoff;
    if (handedOff) early?.abandon();
    if (
      handedOff &&
      (await this.relayedToPerson(
        { ...msg, text: text || "(sent a file; files are not relayed)" },
        handedOff,
        log,
      ))
    ) {
      result.outcome = "relayed";
      return finishLog();
    }

    // Attached files are downloaded before the thread is taken, so they never hold it up.
    const attached = await TurnAttachments.read(
      msg.attachments,
      {
        settings: settings.attachments,
        readers: this.deps.files,
        counter: this.deps.tokens,
        // The place's model: it decides whether images are sent, and describes them.
        model: choice.model,
        log,
        metrics,
        platform: msg.platform,
        fileTokens: settings.attachmentTokenBudget,
      },
      signal,
    );

    // 2. Wait for the thread: one turn at a time, in order.
    let ticket: ThreadTicket | null = null;
    try {
      ticket = await (early && !early.abandoned
        ? early.ticket
        : this.queue.enter(threadKey, owner, { ...place, signal }));
      if (ticket.orphan) void this.orphans.finalize(ticket.orphan);
    } catch (err) {
      if (err instanceof BusyError) return refuse("busy", err);
      if (signal.aborted) {
        return signal.reason === "shutdown"
          ? refuse("unavailable", new ShuttingDownError("shut down while waiting for the thread"))
          : refuse("stopped", new LlmError("cancelled", "stopped while waiting"));
      }
      log.error({ err }, "store failed before the turn");
      return refuse(
        "unavailable",
        err instanceof StoreError ? err : new StoreError("store failed", { cause: err }),
      );
    }

    // 3. The answer: history -> model and tools -> streamed into the chat.
    const keepLock = setInterval(() => {
      store.threads.extend(threadKey, owner, settings.lockTtlMs).then(
        (held) => held || log.warn("thread lock lost while answering"),
        (err: unknown) => log.warn({ err }, "could not extend thread lock"),
      );
    }, settings.lockTtlMs / 3);
    keepLock.unref();
    metrics.activeStreams.inc({ platform: msg.platform });
    const answer = new AnswerStream(sink, this.budgets, log, this.now);
    let saved = true;
    let askerText: string | undefined;
    try {
      if (sink.status)
        sink.status("thinking...").catch((err: unknown) => log.debug({ err }, "status failed"));
      attached.startDescribing(signal);
      const out = await generate({
        model: choice.model,
        tools: choice.tools,
        counter: this.deps.tokens,
        sink,
        answer,
        log,
        system: this.systemPrompt(msg.platform, choice.extraSystemPrompt),
        // Older turns of a shared thread may hold results stored before personal data was kept out.
        history:
          audience === "shared" ? redactPersonalHistory(ticket.history, this.deps.tools) : ticket.history,
        userEntry: attached.forModel({
          role: "user",
          content: text,
          ...(msg.userName ? { name: safeName(msg.userName) } : {}),
        }),
        // The conversation's budget, plus what this message's files take (their own allowance).
        budgetTokens: settings.contextTokenBudget + attached.tokens,
        maxOutputTokens: settings.maxOutputTokens,
        maxToolRounds: settings.maxToolRounds,
        maxParallelToolCalls: settings.maxParallelToolCalls,
        toolContext: {
          platform: msg.platform,
          workspaceId: msg.workspaceId,
          userId: msg.userId,
          limitKey: userKey,
          // Read only by a tool that acts on the asker's own details: built when first read.
          get askerText(): string {
            askerText ??= askerWords(ticket.history, userKey, text);
            return askerText;
          },
          question: text,
          threadKey,
          audience,
          conversation: {
            platform: msg.platform,
            workspaceId: msg.workspaceId,
            channelId: msg.channelId,
            threadId: msg.threadId,
          },
          userScope: msg.userScope,
          userName: msg.userName,
          signal,
        },
        signal,
        now: this.now,
        redact: settings.redact,
      });
      result.usage = out.usage;
      // A finished answer lists the help articles it linked (see citations.ts).
      const written = out.error || signal.aborted ? answer.current : withSources(answer.current, out.sources);
      const ending = this.ending(out.error, out.finishReason, signal, written);
      result.outcome = ending.outcome;
      if (ending.code) result.code = ending.code;
      result.text = attached.withNotes(withPrivacyNote(ending.text, out.privately));

      // 4. Once the answer's messages exist (so the thread's next answer lands below them),
      // save what the user saw and count the tokens (with the save: one round trip).
      const posting = answer.postedOrNull();
      if (posting) await atMost(posting, POSTED_WAIT_MAX_MS);
      const shown = answer.current.trim() !== "";
      const entries = await attached.forHistory(closeTurn(out.entries, answer.current));
      await attached.addUsageTo(out.usage);
      const spent = out.usage.inputTokens + out.usage.outputTokens;
      const committing = shown || !out.error;
      const save = committing
        ? store.threads.commit(
            threadKey,
            owner,
            { at: this.now(), entries, tokens: turnTokens(this.deps.tokens, entries), author: userKey },
            {
              maxTurns: settings.historyMaxTurns,
              ttlMs: choice.historyTtlMs,
              // The per-person index for /forget goes out with the commit, in its round trip,
              // and so does the token count (in the asker's index script on Redis).
              people: threadPeople(ticket.history, userKey, audience, workspaceKeyOf(msg)),
              ...(spent > 0 ? { spent: { userKey, tokens: spent } } : {}),
            },
          )
        : store.threads.release(threadKey, owner);
      // The final edit's budget grant goes to the store together with the save.
      answer.grantFinalEarly();
      // A finished answer can be rated: remembered (without waiting, sent with the save) and
      // shown with its buttons.
      const rateable =
        ending.state === "done" &&
        this.rememberForFeedback(turnId, msg, text, result, out, {
          model: choice.model.model,
          ttlMs: choice.historyTtlMs,
        });
      const [saveResult, usageResult] = await Promise.allSettled([
        save,
        spent > 0 && !committing ? store.gate.recordTokens(userKey, spent) : Promise.resolve(),
      ]);
      if (saveResult.status === "rejected") {
        saved = false;
        // The turn's token count went with the save (ThreadStore.commit's `spent`) and may be
        // lost with it: the log says how many.
        log.error(
          { err: saveResult.reason, ...(committing && spent > 0 ? { spentTokens: spent } : {}) },
          "could not save the turn",
        );
        if (result.outcome === "answered") result.text = withSuffix(result.text, SUFFIX.storeLost);
      }
      if (usageResult.status === "rejected")
        log.error({ err: usageResult.reason }, "could not record token usage");
      // The lock went with the commit; do not keep renewing it while the final edit waits.
      clearInterval(keepLock);

      const stats = await answer.finish(ending.state, result.text, { rateable });
      if (sink.status) sink.status("").catch(() => {});
      metrics.editsPerAnswer.observe({ platform: msg.platform }, stats.posts + stats.edits);
      return finishLog({
        waitMs: ticket.waitedMs,
        firstTokenMs: out.firstTokenMs,
        firstVisibleMs: stats.firstVisibleMs,
        tokens: out.usage,
        rounds: out.rounds,
        toolCalls: out.toolCalls,
        droppedTurns: out.droppedTurns,
        posts: stats.posts,
        edits: stats.edits,
        rateLimited: stats.rateLimited,
        delivered: stats.delivered,
        saved,
      });
    } catch (err) {
      // Only bugs land here; the user still gets a final message.
      log.error({ err }, "turn failed unexpectedly");
      result.outcome = "error";
      result.code = "internal";
      result.text = withSuffix(answer.current, noticeFor(err));
      await answer.finish("error", result.text).catch(() => {});
      store.threads.release(threadKey, owner).catch(() => {});
      return finishLog();
    } finally {
      clearInterval(keepLock);
      metrics.activeStreams.dec({ platform: msg.platform });
      ticket.leave();
    }
  }

  /** The support prompt for a turn on `platform` today, with the place's extra prompt if any. */
  private systemPrompt(platform: string, extra: string | undefined): string {
    const now = new Date(this.now());
    const day = now.toISOString().slice(0, 10);
    if (this.prompts.day !== day) this.prompts = { day, byPlace: new Map() };
    const key = extra ? `${platform}\n${extra}` : platform;
    let prompt = this.prompts.byPlace.get(key);
    if (prompt === undefined) {
      const { botName, systemPrompt: custom } = this.deps.settings;
      prompt = withExtraPrompt(supportSystemPrompt({ botName, platform, now, custom }), extra);
      // Places with prompts of their own are few (POLICY_FILE); the bound is for safety only.
      if (this.prompts.byPlace.size >= 1_000) this.prompts.byPlace.clear();
      this.prompts.byPlace.set(key, prompt);
    }
    return prompt;
  }

  /** Decide the final state and text of an answer from how the model run ended. */
  private ending(
    error: LlmError | undefined,
    finishReason: string,
    signal: AbortSignal,
    text: string,
  ): { outcome: TurnOutcome; state: "done" | "stopped" | "error"; text: string; code?: string } {
    if (signal.aborted || error?.code === "cancelled") {
      const reason = signal.reason === "shutdown" ? SUFFIX.shutdown : SUFFIX.stopped;
      return { outcome: "stopped", state: "stopped", text: withSuffix(text, reason), code: "cancelled" };
    }
    if (error) {
      const visible = text.trim() !== "";
      const suffix =
        error.code === "timeout" ? SUFFIX.timeout : error.code === "interrupted" ? SUFFIX.interrupted : null;
      const notice = visible && suffix ? suffix : noticeFor(error);
      return {
        outcome: "error",
        state: "error",
        text: visible ? withSuffix(text, notice) : notice,
        code: error.code,
      };
    }
    if (finishReason === "length")
      return { outcome: "answered", state: "done", text: withSuffix(text, SUFFIX.length) };
    if (finishReason === "tool_rounds") {
      return { outcome: "answered", state: "done", text: withSuffix(text, SUFFIX.toolRounds) };
    }
    if (text.trim() === "") {
      return {
        outcome: "error",
        state: "error",
        text: "I couldn't come up with an answer. Please rephrase your question.",
        code: "empty_answer",
      };
    }
    return { outcome: "answered", state: "done", text };
  }

  private async runSummarize(
    turnId: string,
    req: SummarizeRequest,
    signal: AbortSignal,
  ): Promise<TurnResult> {
    const log = this.deps.log.child({
      turnId,
      platform: req.platform,
      channelId: req.channelId,
      userId: req.userId,
      kind: "command",
    });
    const started = this.now();
    const result = await runSummary({
      turnId,
      req,
      signal,
      draining: this.draining,
      // The transcript is redacted like a turn's messages (one session for every chunk).
      deps: this.deps.settings.redact?.length
        ? {
            ...this.deps,
            model: redactingModel(this.deps.model, new RedactionSession(this.deps.settings.redact)),
          }
        : this.deps,
      budgets: this.budgets,
      log,
      now: this.now,
    });
    this.deps.metrics.turns.inc({ platform: req.platform, kind: "command", outcome: result.outcome });
    log.info(
      {
        outcome: result.outcome,
        code: result.code,
        ms: this.now() - started,
        tokens: result.usage,
        lines: req.lines.length,
      },
      "summary finished",
    );
    return result;
  }

  /** Keep a finished answer for its asker to rate; false when feedback is off. */
  private rememberForFeedback(
    turnId: string,
    msg: IncomingMessage,
    question: string,
    result: TurnResult,
    out: { entries: HistoryEntry[]; usage: TurnResult["usage"] },
    /** The model that answered and how long this conversation's history is kept (the place's policy). */
    place: { model: string; ttlMs: number },
  ): boolean {
    const feedback = this.deps.feedback;
    if (!feedback) return false;
    feedback.rememberTurn(
      rateableTurn({
        turnId,
        msg,
        question,
        answer: result.text,
        entries: out.entries,
        usage: out.usage,
        model: place.model,
        at: this.now(),
      }),
      place.ttlMs,
    );
    return true;
  }

  private async safeNotice(sink: MessageSink, text: string, log: Logger): Promise<void> {
    try {
      await sink.notice(text);
    } catch (err) {
      log.warn({ err }, "could not send notice");
    }
  }
}

/**
 * In a shared conversation the public answer always says where personal details went (or that
 * they could not be sent), whatever the model wrote.
 */
function withPrivacyNote(text: string, privately: PrivateDeliveries): string {
  if (privately.failed > 0) return withSuffix(text, SUFFIX.privateFailed);
  if (privately.sent.includes("dm")) return withSuffix(text, SUFFIX.sentByDm);
  if (privately.sent.length > 0) return withSuffix(text, SUFFIX.sentEphemeral);
  return text;
}

/**
 * OpenAI accepts `name` only as [a-zA-Z0-9_-]{1,64}; a display name like "Ana María" would make
 * the whole request fail.
 */
function safeName(name: string): string | undefined {
  const cleaned = name
    .normalize("NFKD")
    .replace(/[^a-zA-Z0-9_-]+/g, "_")
    .replace(/^_+|_+$/g, "")
    .slice(0, 64);
  return cleaned === "" ? undefined : cleaned;
}

/**
 * The stored turn must be a well-formed exchange: if the last entry is a tool result (the answer
 * broke off after tools ran), close it with the text the user saw.
 */
function closeTurn(entries: HistoryEntry[], shown: string): HistoryEntry[] {
  const last = entries[entries.length - 1];
  if (last && last.role !== "assistant") return [...entries, { role: "assistant", content: shown }];
  return entries;
}
