/**
 * Slack benchmark: 1, 20, 40 and 100 answers at once in one workspace, with one replica (memory
 * store) and with two replicas sharing one Redis (each mention delivered to either replica), plus
 * a sustained run (an answer starting every 200 ms for 2 minutes) with each replica count. Real adapter (Bolt receiver
 * over HTTP, signed events) and real core, into the fake Slack Web API in its own process
 * enforcing Slack's documented per-method limits (test/fakes/slack-rate.ts): chat.postMessage
 * 1/s per channel, chat.update 50/min (Tier 3), chat.appendStream 100/min (Tier 4),
 * chat.startStream and chat.stopStream 20/min (Tier 2). Windows are real (a minute is a minute)
 * unless BENCH_SLACK_TIME_SCALE says otherwise; every run gets a fresh fake and fresh budgets.
 *
 * The model is in-process and paced like the harness (first token after 300 ms, then 100
 * words over ~3.3 s) and writes plain words, so what Slack shows can be compared to what the model
 * had written at any moment. Figures per run:
 * - first visible text after the model's first token (vs. one Slack round trip);
 * - word lag: for every word, how long after the model wrote it Slack showed it; p50/p99, next to
 *   the ideal the budgets allow (see idealLagMs);
 * - 429s, Web API calls per answer, answers shown only when complete (workspace saturated), and
 *   whether every final message was complete.
 */
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { loadConfig } from "../src/config.js";
import { Conversation } from "../src/core/conversation.js";
import type { ChatModel, ModelEvent, ModelRequest, Store, ToolRunner } from "../src/core/ports.js";
import { HttpServer } from "../src/http/server.js";
import { createTokenCounter } from "../src/llm/tokens.js";
import { silentLogger } from "../src/log.js";
import { Metrics } from "../src/metrics.js";
import { createSlackAdapter, type SlackAdapter } from "../src/platforms/slack/index.js";
import { createMemoryStore } from "../src/store/memory/store.js";
import { createRedisStore } from "../src/store/redis/store.js";
import {
  type ApiCall,
  FAKE_BOT_ID,
  FAKE_BOT_TOKEN,
  FAKE_BOT_USER_ID,
  type FakeMessage,
} from "../test/fakes/slack-api.js";
import {
  eventEnvelope,
  FAKE_SIGNING_SECRET,
  HttpDelivery,
  mentionEvents,
} from "../test/fakes/slack-events.js";
import { startRedis, type TestRedis, uniquePrefix } from "../test/support/redis.js";
import { BENCH_SETTINGS, percentile, printTable, round } from "./support.js";

/** 1 = Slack's real windows (the harness). Larger values shorten the windows for a quick look. */
const TIME_SCALE = Number(process.env.BENCH_SLACK_TIME_SCALE ?? 1);
/** Added to every fake Web API call: a fast real Slack round trip. */
const SLACK_LATENCY_MS = Number(process.env.BENCH_SLACK_LATENCY_MS ?? 50);
const LEVELS = (process.env.BENCH_SLACK_LEVELS ?? "1,20,40,100").split(",").map(Number);
const REPLICAS = (process.env.BENCH_SLACK_REPLICAS ?? "1,2").split(",").map(Number);
/** Seconds of the sustained run (0 skips it); an answer starts every SUSTAINED_EVERY_MS. */
const SUSTAINED_S = Number(process.env.BENCH_SLACK_SUSTAINED_S ?? 120);
const SUSTAINED_EVERY_MS = 200;
const MODEL_FIRST_TOKEN_MS = 300;
const MODEL_TOKEN_INTERVAL_MS = 33;
const ANSWER_WORDS = 100;
/** The defaults of SLACK_*_PER_MINUTE (Slack's tiers) and the adapter's per-message intervals. */
const DEFAULT_BUDGETS = { update: 50, append: 100, start: 20 };
const STREAM_MIN_APPEND_INTERVAL_MS = 250;
const MIN_EDIT_INTERVAL_MS = 1000;

interface Timeline {
  firstTokenAt: number;
  /** Cumulative text length after each delta, with its time. */
  deltas: { at: number; length: number }[];
  text: string;
}

/** Answers question "qN" with ANSWER_WORDS plain words, paced, and records when each came out. */
class PacedModel implements ChatModel {
  readonly model = "gpt-4o-mini";
  readonly timelines = new Map<string, Timeline>();

  async *stream(req: ModelRequest): AsyncIterable<ModelEvent> {
    const last = req.messages.at(-1);
    const q = /q\d+/.exec(last && "content" in last ? String(last.content) : "")?.[0] ?? "q";
    const timeline: Timeline = { firstTokenAt: 0, deltas: [], text: "" };
    this.timelines.set(q, timeline);
    await sleep(MODEL_FIRST_TOKEN_MS);
    for (let i = 0; i < ANSWER_WORDS; i++) {
      if (i > 0) await sleep(MODEL_TOKEN_INTERVAL_MS);
      const delta = `${i === 0 ? "" : " "}${q}w${i}`;
      timeline.text += delta;
      const at = Date.now();
      if (i === 0) timeline.firstTokenAt = at;
      timeline.deltas.push({ at, length: timeline.text.length });
      yield { type: "text", delta };
    }
    yield { type: "done", finishReason: "stop", usage: { inputTokens: 100, outputTokens: ANSWER_WORDS } };
  }
}

const noTools: ToolRunner = {
  specs: () => [],
  statusText: () => undefined,
  run: async () => ({ ok: false, content: "{}" }),
};

interface Replica {
  adapter: SlackAdapter;
  delivery: HttpDelivery;
  close(): Promise<void>;
}

/** One replica of the service: its own core, HTTP server and store connection. */
async function startReplica(apiUrl: string, store: Store, model: ChatModel): Promise<Replica> {
  const log = silentLogger();
  const metrics = new Metrics();
  const { env } = loadConfig({
    SLACK_BOT_TOKEN: FAKE_BOT_TOKEN,
    SLACK_SIGNING_SECRET: FAKE_SIGNING_SECRET,
    SLACK_API_URL: apiUrl,
  });
  const tokens = createTokenCounter("gpt-4o-mini");
  tokens.count("warm up the tokenizer before the clock starts");
  const conversation = new Conversation({
    store,
    model,
    tokens,
    tools: noTools,
    log,
    metrics,
    settings: { ...BENCH_SETTINGS, maxToolRounds: 2 },
  });
  // The bench sends every mention of a level at once from one address: above the service's
  // default per-address connection limit (64), which would reset the rest.
  const http = new HttpServer(log, { maxConnections: 1024, maxConnectionsPerIp: 1024 });
  const port = await http.listen(0, "127.0.0.1");
  const adapter = createSlackAdapter(
    { env, conversation, http, store, log, metrics },
    { timeScale: TIME_SCALE },
  );
  await adapter.start();
  return {
    adapter,
    delivery: new HttpDelivery(`http://127.0.0.1:${port}/slack/events`),
    async close() {
      await adapter.stop();
      await adapter.idle();
      await http.close();
      await store.close();
    },
  };
}

/**
 * The word lag the budgets allow at `answers` at once: every call the workspace's windows allow
 * while the answers run (appends for up to 20 streams, chat.update for the rest, less the final
 * edits booked), spread evenly, but no faster than each message's own interval; a word then
 * waits half the gap between two updates on average, plus the round trip that shows it.
 */
function idealLagMs(answers: number, rttMs: number): number {
  const durationMs = ANSWER_WORDS * MODEL_TOKEN_INTERVAL_MS;
  const streams = Math.min(answers, DEFAULT_BUDGETS.start);
  const messages = answers - streams;
  const appends = DEFAULT_BUDGETS.append * 0.9;
  const updates = messages > 0 ? Math.max(0, DEFAULT_BUDGETS.update * 0.9 - messages) : 0;
  const perAnswerGap = (answers * durationMs) / Math.max(1, appends + updates);
  const minGap =
    messages > 0
      ? (streams * STREAM_MIN_APPEND_INTERVAL_MS + messages * MIN_EDIT_INTERVAL_MS) / answers
      : STREAM_MIN_APPEND_INTERVAL_MS;
  return Math.max(perAnswerGap, minGap) / 2 + rttMs;
}

interface RunPlan {
  label: string;
  answers: number;
  replicas: number;
  /** Ms between two answers' starts (0: all at once). */
  everyMs: number;
}

async function runOnce(plan: RunPlan, redis: TestRedis | null): Promise<Record<string, unknown>> {
  const { answers } = plan;
  // One channel per answer: the workspace-wide budgets are what they share.
  const fake = await startFakeSlack({
    timeScale: TIME_SCALE,
    latencyMs: SLACK_LATENCY_MS,
    channels: answers,
  });
  const model = new PacedModel();
  const replicas: Replica[] = [];
  const prefix = uniquePrefix("bench-slack");
  for (let r = 0; r < plan.replicas; r++) {
    const log = silentLogger();
    const store: Store = redis
      ? await createRedisStore({ url: redis.url, prefix, log })
      : createMemoryStore({ log });
    replicas.push(await startReplica(fake.apiUrl, store, model));
  }
  const rttMs = await measureRoundTrip(fake.apiUrl);
  const callsBefore = (await fake.dump()).calls.length;

  const roots = Array.from(
    { length: answers },
    (_, i) => `${Math.floor(Date.now() / 1000)}.${String(i).padStart(6, "0")}`,
  );
  const started = Date.now();
  const deliver = (ts: string, i: number) =>
    replicas[i % replicas.length]!.delivery.event(
      eventEnvelope(
        mentionEvents({ channel: `C${i}`, user: `U${i}`, text: `<@${FAKE_BOT_USER_ID}> question q${i}`, ts })
          .appMention,
      ),
    );
  if (plan.everyMs > 0) {
    const sends: Promise<unknown>[] = [];
    for (let i = 0; i < answers; i++) {
      const due = started + i * plan.everyMs;
      if (due > Date.now()) await sleep(due - Date.now());
      sends.push(deliver(roots[i]!, i));
    }
    await Promise.all(sends);
  } else {
    await Promise.all(roots.map(deliver));
  }
  while (model.timelines.size < answers) await sleep(20);
  await Promise.all(replicas.map((r) => r.adapter.idle()));
  const wallMs = Date.now() - started;
  const dump = await fake.dump();
  const botMessages = (channel: string, threadTs: string) =>
    dump.messages.filter((m) => m.botId === FAKE_BOT_ID && m.channel === channel && m.threadTs === threadTs);
  const visibleText = (m: FakeMessage) => m.timeline.at(-1)?.text ?? m.text;

  const firstVisible: number[] = [];
  const lag: number[] = [];
  const finalLag: number[] = [];
  let complete = 0;
  let wholeOnly = 0;
  roots.forEach((ts, i) => {
    const timeline = model.timelines.get(`q${i}`);
    const msg = botMessages(`C${i}`, ts)[0];
    if (!timeline || !msg) return;
    const shown = msg.timeline.map((s) => ({ at: s.at, length: s.text === "…" ? 0 : s.text.length }));
    if (visibleText(msg) === timeline.text && botMessages(`C${i}`, ts).length === 1) complete++;
    const first = shown.find((s) => s.length > 0);
    if (first) firstVisible.push(first.at - timeline.firstTokenAt);
    if (first && first.length === timeline.text.length) wholeOnly++;
    for (const d of timeline.deltas) {
      const seen = shown.find((s) => s.at >= d.at && s.length >= d.length);
      if (seen) lag.push(seen.at - d.at);
    }
    const doneAt = timeline.deltas.at(-1)?.at ?? 0;
    finalLag.push((msg.timeline.at(-1)?.at ?? doneAt) - doneAt);
  });
  const calls = dump.calls.slice(callsBefore);
  const byMethod: Record<string, number> = {};
  for (const c of calls) byMethod[c.method] = (byMethod[c.method] ?? 0) + 1;
  const rateLimited = calls.filter((c) => c.status === 429);

  for (const r of replicas) await r.close();
  await fake.stop();

  return {
    run: plan.label,
    replicas: plan.replicas,
    answers,
    wallMs,
    rttMs: round(rttMs, 0),
    firstTextP50Ms: round(percentile(firstVisible, 50), 0),
    firstTextP99Ms: round(percentile(firstVisible, 99), 0),
    wordLagP50Ms: round(percentile(lag, 50), 0),
    wordLagP99Ms: round(percentile(lag, 99), 0),
    idealLagP50Ms: plan.everyMs > 0 ? null : round(idealLagMs(answers, rttMs), 0),
    finalLagP99Ms: round(percentile(finalLag, 99), 0),
    finalLagMaxMs: round(Math.max(...finalLag), 0),
    rateLimited429: rateLimited.length,
    rateLimitedMethods: [...new Set(rateLimited.map((c) => c.method))].join(",") || "-",
    callsPerAnswer: round(calls.length / answers, 1),
    shownWhenComplete: wholeOnly,
    complete: `${complete}/${answers}`,
    calls: byMethod,
  };
}

interface FakeProcess {
  apiUrl: string;
  dump(): Promise<{ calls: ApiCall[]; messages: FakeMessage[] }>;
  stop(): Promise<void>;
}

/** The fake Slack in a child process, so its CPU is not the adapter's (test/fakes/slack-process.ts). */
async function startFakeSlack(opts: Record<string, unknown>): Promise<FakeProcess> {
  const child = spawn(
    process.execPath,
    ["--import", "tsx", "test/fakes/slack-process.ts", JSON.stringify(opts)],
    {
      stdio: ["ignore", "pipe", "inherit"],
    },
  );
  const stdout = child.stdout;
  if (!stdout) throw new Error("no stdout from the fake Slack process");
  const url = await new Promise<string>((resolve, reject) => {
    createInterface({ input: stdout }).once("line", resolve);
    child.once("exit", (code) => reject(new Error(`fake Slack exited with ${code}`)));
  });
  return {
    apiUrl: `${url}/api/`,
    dump: async () =>
      (await (await fetch(`${url}/_dump`)).json()) as { calls: ApiCall[]; messages: FakeMessage[] },
    stop: () =>
      new Promise<void>((resolve) => {
        child.once("exit", () => resolve());
        child.kill("SIGTERM");
      }),
  };
}

/** Median of a few auth.test calls: one Slack round trip as the adapter sees it. */
async function measureRoundTrip(apiUrl: string): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < 5; i++) {
    const t = performance.now();
    await fetch(`${apiUrl}auth.test`, {
      method: "POST",
      headers: { authorization: `Bearer ${FAKE_BOT_TOKEN}` },
    });
    times.push(performance.now() - t);
  }
  return percentile(times, 50);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export async function runSlackBench(): Promise<Record<string, unknown>> {
  const plans: RunPlan[] = [];
  for (const replicas of REPLICAS) {
    for (const answers of LEVELS) plans.push({ label: "burst", answers, replicas, everyMs: 0 });
  }
  if (SUSTAINED_S > 0) {
    const answers = Math.round((SUSTAINED_S * 1000) / SUSTAINED_EVERY_MS);
    for (const replicas of REPLICAS) {
      plans.push({ label: `sustained ${SUSTAINED_S}s`, answers, replicas, everyMs: SUSTAINED_EVERY_MS });
    }
  }
  const redis = REPLICAS.some((n) => n > 1) ? await startRedis() : null;
  const runs: Record<string, unknown>[] = [];
  try {
    for (const plan of plans) {
      const run = await runOnce(plan, plan.replicas > 1 ? redis : null);
      runs.push(run);
      const { calls: _calls, ...row } = run;
      printTable(`${plan.label}: ${plan.answers} answers, ${plan.replicas} replica(s)`, [row]);
    }
  } finally {
    await redis?.stop();
  }
  printTable(
    `Slack: answers in one workspace (fake Slack with Slack's per-method limits, windows / ${TIME_SCALE}; ` +
      `latency ${SLACK_LATENCY_MS} ms; model: first token ${MODEL_FIRST_TOKEN_MS} ms, ${ANSWER_WORDS} words every ${MODEL_TOKEN_INTERVAL_MS} ms)`,
    runs.map(({ calls: _calls, ...row }) => row),
  );
  return { timeScale: TIME_SCALE, slackLatencyMs: SLACK_LATENCY_MS, budgets: DEFAULT_BUDGETS, runs };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await runSlackBench();
}
