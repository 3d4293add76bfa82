/**
 * How answers share a busy workspace's Slack budgets, played out in controlled time: the real
 * edit scheduler (AnswerStream), the real Slack sink and budgets over the memory store, against
 * a Web API double that takes a round trip per call and enforces Slack's documented per-method
 * limits (test/fakes/slack-rate.ts). Every wait is a fake timer advanced by the test; the
 * figures are counts and simulated times, never wall-clock ones.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { AnswerStream } from "../../../src/core/answer-stream.js";
import { EditBudgets } from "../../../src/core/edit-budget.js";
import { PlatformError } from "../../../src/core/errors.js";
import { silentLogger } from "../../../src/log.js";
import { SlackAnswerSink } from "../../../src/platforms/slack/answer-sink.js";
import type { SlackApi } from "../../../src/platforms/slack/api.js";
import { SlackBudgets } from "../../../src/platforms/slack/budgets.js";
import { ChannelPacer } from "../../../src/platforms/slack/rate-gates.js";
import { createMemoryStore } from "../../../src/store/memory/store.js";
import { DEFAULT_RATE_RULES, SlidingWindowLimiter } from "../../fakes/slack-rate.js";

beforeEach(() => {
  vi.useFakeTimers({ now: 1_700_000_000_000 });
});
afterEach(() => {
  vi.useRealTimers();
});

const TEAM = "T1";
/** A fast real Slack round trip; a call counts against its limit half-way. */
const RTT_MS = 50;
/** The model of the harness: 100 words, one every 33 ms. */
const WORDS = 100;
const WORD_INTERVAL_MS = 33;
/** The adapter's defaults (src/platforms/slack/index.ts, src/config.ts). */
const STREAM_MIN_APPEND_INTERVAL_MS = 250;
const MIN_EDIT_INTERVAL_MS = 1000;
const PER_MINUTE = {
  "chat.update": 50,
  "chat.appendStream": 100,
  "chat.startStream": 20,
  "chat.stopStream": 20,
};

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

interface Shown {
  at: number;
  length: number;
}

/** Slack's Web API as the sink sees it: a round trip per call, Slack's limits, visible text. */
class TimedSlack {
  readonly refused: string[] = [];
  readonly calls = new Map<string, number>();
  /** What each message showed, and when, by ts. */
  readonly messages = new Map<string, { channel: string; text: string; shown: Shown[] }>();
  private readonly limiter = new SlidingWindowLimiter(DEFAULT_RATE_RULES, 1);
  private seq = 0;

  readonly api = {
    call: (method: string, args: Record<string, unknown>) => this.call(method, args),
    callPatiently: (method: string, args: Record<string, unknown>) => this.call(method, args),
  } as unknown as SlackApi;

  private async call(method: string, args: Record<string, unknown>): Promise<{ ts: string }> {
    await sleep(RTT_MS / 2);
    const channel = String(args.channel);
    const wait = this.limiter.take(method, TEAM, channel);
    if (wait !== null) {
      this.refused.push(method);
      await sleep(RTT_MS / 2);
      throw new PlatformError("slack", "ratelimited", `${method} rate limited`, Math.ceil(wait));
    }
    this.calls.set(method, (this.calls.get(method) ?? 0) + 1);
    const now = Date.now();
    let ts = String(args.ts ?? "");
    const markdown = typeof args.markdown_text === "string" ? args.markdown_text : "";
    if (method === "chat.startStream" || method === "chat.postMessage") {
      ts = `${++this.seq}.000`;
      this.messages.set(ts, { channel, text: "", shown: [] });
    }
    const msg = this.messages.get(ts);
    if (msg) {
      if (method.endsWith("Stream")) msg.text += markdown;
      else msg.text = blockText(args);
      msg.shown.push({ at: now, length: msg.text.length });
    }
    await sleep(RTT_MS / 2);
    return { ts };
  }
}

function blockText(args: Record<string, unknown>): string {
  const blocks = Array.isArray(args.blocks) ? (args.blocks as { type?: string; text?: unknown }[]) : [];
  const block = blocks.find((b) => b.type === "markdown");
  return typeof block?.text === "string" ? block.text : "";
}

interface Answer {
  channel: string;
  /** When the model wrote each word, and the answer's length after it. */
  words: Shown[];
  text: string;
}

/** A workspace: one store, one set of budgets, the answers streamed into their own channels. */
function workspace() {
  const log = silentLogger();
  const store = createMemoryStore({ log });
  const slack = new TimedSlack();
  const budgets = new SlackBudgets(store.budgets, { perMinute: PER_MINUTE }, log);
  const editBudgets = new EditBudgets(store.budgets, log);
  const pacer = new ChannelPacer(1000);
  const answers: Answer[] = [];

  /** One mention answered in its own channel's thread: the model's words as the turn streams them. */
  async function answer(i: number): Promise<void> {
    const channel = `C${i}`;
    const sink = new SlackAnswerSink(
      { teamId: TEAM, channel, threadTs: `${i}.000001`, userId: `U${i}` },
      {
        api: slack.api,
        pacer,
        streaming: { enabled: true, available: true },
        budgets,
        limits: {
          maxChars: 12_000,
          scope: TEAM,
          scopeEdits: PER_MINUTE["chat.update"],
          windowMs: 60_000,
          minEditIntervalMs: MIN_EDIT_INTERVAL_MS,
        },
        streamMinAppendIntervalMs: STREAM_MIN_APPEND_INTERVAL_MS,
        log,
      },
    );
    const stream = new AnswerStream(sink, editBudgets, log);
    const record: Answer = { channel, words: [], text: "" };
    answers.push(record);
    for (let w = 0; w < WORDS; w++) {
      if (w > 0) await sleep(WORD_INTERVAL_MS);
      const delta = `${w === 0 ? "" : " "}q${i}w${w}`;
      record.text += delta;
      record.words.push({ at: Date.now(), length: record.text.length });
      stream.append(delta);
    }
    stream.grantFinalEarly();
    await stream.finish("done");
  }

  /** For every word: how long after the model wrote it the chat showed it (null: never). */
  function lags(): { words: number[]; finals: number[]; complete: number; shownOnlyComplete: number } {
    const words: number[] = [];
    const finals: number[] = [];
    let complete = 0;
    let shownOnlyComplete = 0;
    for (const a of answers) {
      const msgs = [...slack.messages.values()].filter((m) => m.channel === a.channel);
      const shown = msgs[0]?.shown ?? [];
      if (msgs.length === 1 && msgs[0]?.text === a.text) complete++;
      if (shown[0]?.length === a.text.length) shownOnlyComplete++;
      for (const word of a.words) {
        const seen = shown.find((s) => s.at >= word.at && s.length >= word.length);
        words.push(seen ? seen.at - word.at : Number.POSITIVE_INFINITY);
      }
      const last = a.words.at(-1)?.at ?? 0;
      finals.push((shown.at(-1)?.at ?? Number.POSITIVE_INFINITY) - last);
    }
    return { words, finals, complete, shownOnlyComplete };
  }

  return { slack, answer, answers, lags };
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

describe("Slack answers in a busy workspace", () => {
  it("20 people asking at once each see their answer grow about every second, with no 429", async () => {
    const ws = workspace();
    const all = Promise.all(Array.from({ length: 20 }, (_, i) => ws.answer(i)));
    await vi.advanceTimersByTimeAsync(10_000);
    await all;
    const { words, finals, complete } = ws.lags();
    expect(ws.slack.refused).toEqual([]);
    expect(complete).toBe(20);
    // Every answer streamed (20 fit in Tier 2), and its last words landed with its booked stop.
    expect(ws.slack.calls.get("chat.startStream")).toBe(20);
    expect(Math.max(...finals)).toBeLessThanOrEqual(RTT_MS);
    // The targets are p50 <= 600 ms and p99 <= 1.5 s on a real, busy machine; without
    // CPU delay the allocator alone must leave room for that. (Here: p50 299 ms, p99 1,081 ms;
    // before the appends' unused final reserve was freed and the window spent evenly for
    // longer: p50 371 ms, p99 1,358 ms, 78 appends.)
    expect(percentile(words, 50)).toBeLessThanOrEqual(400);
    expect(percentile(words, 99)).toBeLessThanOrEqual(1200);
    // Nearly all of the minute's 100 appends were spent while the answers ran (95).
    expect(ws.slack.calls.get("chat.appendStream")).toBeGreaterThanOrEqual(90);
  });

  it("an answer starting every 200 ms for two minutes: none waits for a window, no 429", async () => {
    const ws = workspace();
    const runs: Promise<void>[] = [];
    for (let i = 0; i < 600; i++) {
      runs.push(ws.answer(i));
      await vi.advanceTimersByTimeAsync(200);
    }
    await vi.advanceTimersByTimeAsync(10_000);
    await Promise.all(runs);
    const { finals, complete, shownOnlyComplete } = ws.lags();
    expect(ws.slack.refused).toEqual([]);
    expect(complete).toBe(600);
    // Nobody starves: every final text lands within about one round trip of the model's last
    // word, streamed, edited or (beyond the Tier 2 + Tier 3 budgets) posted whole.
    expect(Math.max(...finals)).toBeLessThanOrEqual(2 * RTT_MS);
    // The budgets are used: over two minutes, up to 2 x 20 streams and about 2 x 50 messages
    // with a booked final edit show their text as it grows; the rest are posted whole.
    const progressive = 600 - shownOnlyComplete;
    expect(progressive).toBeGreaterThanOrEqual(2 * 20 + 50);
    expect(progressive).toBeLessThanOrEqual(3 * (20 + 50));
  });
});
