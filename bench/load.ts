/**
 * Load benchmark: the service as it runs in production, two replicas (real `src/main.ts`
 * processes) on one Redis, fed a sustained stream of Slack conversations through a balancer that
 * sends each of Slack's two events of a mention (app_mention and message) to either replica.
 * The fake LLM answers with realistic pacing (first token after 300 ms, 30 tokens/s, ~60 tokens);
 * the fake Slack enforces the documented rate limits on windows scaled down 30x like the Slack
 * benchmark's; both run in their own processes so their CPU is not the service's.
 *
 * Figures: conversations/s sustained, time to first visible text (the event's delivery -> Slack
 * first shows text of the answer) p50/p99, the error rate (anything but exactly one complete
 * answer per conversation; must be 0), 429s received, and each replica's memory: RSS sampled every
 * second (start, end, max, slope over the second half) and the live heap after a full GC, once
 * after warm-up and once at the end of the load (a leak grows it with every conversation; a
 * growth that does not scale with the number of conversations is warm-up, not a leak).
 *
 * `BENCH_LOAD_RATE` (conversations/s, default 6) and `BENCH_LOAD_SECONDS` (default 40) change the load.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { createInterface } from "node:readline";
import { type RawData, WebSocket } from "ws";
import { offlineAnswerPieces } from "../src/llm/demo/answers.js";
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
import { startRedis, uniquePrefix } from "../test/support/redis.js";
import { metricSum } from "../test/support/replicas.js";
import { baseEnv, type ServiceProcess, startService } from "../test/support/service-process.js";
import { percentile, printTable, round, startChildLlm } from "./support.js";

/** Conversations started per second (open loop: they start on time whether or not earlier ones ended). */
const RATE_PER_S = Number(process.env.BENCH_LOAD_RATE ?? 6);
const DURATION_S = Number(process.env.BENCH_LOAD_SECONDS ?? 40);
/** Left out of the latency figures: tokenizers load, the JIT warms up, connection pools fill. */
const WARMUP_S = 5;
/**
 * The RSS slope is taken over the second half of the run: in the first, loading the tokenizer
 * leaves ~80 MB of garbage that V8's first major GC (10-20 s in) drops, which would read as a
 * steep fall and hide any growth.
 */
const MEMORY_FROM_S = DURATION_S / 2;
/** The "realistic" model: first token after 300 ms, then 30 tokens per second. */
const FIRST_TOKEN_MS = 300;
const TOKEN_INTERVAL_MS = Math.round(1000 / 30);
const ANSWER_TOKENS = 60;
/** Slack's per-minute windows run this much faster in the fake (a minute is 2 s). */
const TIME_SCALE = 30;
/** Added to every fake Web API call (10 ms against 2 s windows ~ Slack's 100-300 ms against 60 s). */
const SLACK_LATENCY_MS = 10;
/**
 * The service processes cannot be told the fake's time scale, so they get Slack's per-method
 * budgets scaled (Tier 3/4/2 x TIME_SCALE). The budgets live in Redis, shared by both replicas:
 * no per-replica split.
 */
const SCALED_BUDGETS = {
  SLACK_CHAT_UPDATE_PER_MINUTE: String(50 * TIME_SCALE),
  SLACK_APPEND_STREAM_PER_MINUTE: String(100 * TIME_SCALE),
  SLACK_START_STREAM_PER_MINUTE: String(20 * TIME_SCALE),
  SLACK_STOP_STREAM_PER_MINUTE: String(20 * TIME_SCALE),
  SLACK_POST_INTERVAL_MS: String(Math.ceil(1000 / TIME_SCALE)),
};
/** Conversations rotate over channels: Slack allows one post per second per channel. */
const CHANNELS = 60;
const USERS = 50;
const SAMPLE_INTERVAL_MS = 1000;
/** The first full-GC heap measurement, once the warm-up's garbage (tokenizer loading) is collectable. */
const GC_MEASURE_FROM_S = 10;
/** After the last conversation started, how long its answers may take to end. */
const DRAIN_TIMEOUT_MS = 30_000;
const REPLICAS = 2;

interface Conversation {
  i: number;
  channel: string;
  ts: string;
  deliveredAt: number;
  statuses: number[];
}

interface Sample {
  at: number;
  rssMb: number;
}

interface FakeSlackProcess {
  apiUrl: string;
  dump(): Promise<{ calls: ApiCall[]; messages: FakeMessage[] }>;
  stop(): Promise<void>;
}

export async function runLoadBench(): Promise<Record<string, unknown>> {
  const stoppers: (() => Promise<unknown>)[] = [];
  try {
    return await run(stoppers);
  } finally {
    for (const stop of stoppers.reverse()) await stop().catch(() => {});
  }
}

async function run(stoppers: (() => Promise<unknown>)[]): Promise<Record<string, unknown>> {
  const redis = await startRedis();
  stoppers.push(() => redis.stop());
  const llm = await startChildLlm({
    firstTokenDelayMs: FIRST_TOKEN_MS,
    tokenIntervalMs: TOKEN_INTERVAL_MS,
    answerTokens: ANSWER_TOKENS,
  });
  stoppers.push(() => llm.stop());
  const slack = await startFakeSlack({
    timeScale: TIME_SCALE,
    latencyMs: SLACK_LATENCY_MS,
    channels: Math.max(CHANNELS, USERS),
  });
  stoppers.push(() => slack.stop());

  const env = baseEnv({
    REDIS_URL: redis.url,
    KEY_PREFIX: uniquePrefix("bench-load"),
    OPENAI_BASE_URL: llm.url,
    OPENAI_API_KEY: "sk-bench",
    SLACK_BOT_TOKEN: FAKE_BOT_TOKEN,
    SLACK_SIGNING_SECRET: FAKE_SIGNING_SECRET,
    SLACK_API_URL: slack.apiUrl,
    ...SCALED_BUDGETS,
    THROTTLE_REQUESTS: "1000000",
    DAILY_TOKEN_BUDGET: "1000000000",
    WEB_CHAT: "off",
    HOST: "127.0.0.1",
    NODE_ENV: "production",
    // The inspector lets the benchmark force a full GC before reading the heap (see gcHeapMb).
    NODE_OPTIONS: "--inspect=127.0.0.1:0",
  });
  const replicas: ServiceProcess[] = [];
  for (let r = 0; r < REPLICAS; r++) {
    const replica = await startService(env);
    replicas.push(replica);
    stoppers.push(() => replica.stop("SIGKILL"));
  }
  const deliveries = replicas.map((r) => new HttpDelivery(`${r.url}/slack/events`));
  const inspectors = replicas.map((r) => {
    const url = r.lines.map((l) => /Debugger listening on (ws:\/\/\S+)/.exec(l)?.[1]).find(Boolean);
    if (!url) throw new Error("replica printed no inspector URL");
    return url;
  });
  /** Live heap after a full GC, at the end of the warm-up and at the end of the load. */
  const liveHeap: { at: number; conversations: number; mb: number[] }[] = [];
  const measureLiveHeap = async (conversationsSoFar: number) => {
    const at = Date.now() - started;
    liveHeap.push({ at, conversations: conversationsSoFar, mb: await Promise.all(inspectors.map(gcHeapMb)) });
  };

  const samples: Sample[][] = replicas.map(() => []);
  const started = Date.now();
  const sampler = setInterval(() => {
    replicas.forEach((r, k) => {
      samples[k]?.push({ at: Date.now() - started, rssMb: rssMb(r.child.pid) });
    });
  }, SAMPLE_INTERVAL_MS);

  // Open loop: conversation i starts at i / RATE, whatever happened to the earlier ones.
  const conversations: Conversation[] = [];
  const pending: Promise<void>[] = [];
  const total = Math.round(RATE_PER_S * DURATION_S);
  const baseMicros = Date.now() * 1000;
  let measuring: Promise<void> | undefined;
  for (let i = 0; i < total; i++) {
    if (!measuring && i >= RATE_PER_S * GC_MEASURE_FROM_S) measuring = measureLiveHeap(i);
    const due = started + (i * 1000) / RATE_PER_S;
    const wait = due - Date.now();
    if (wait > 0) await sleep(wait);
    const channel = `C${i % CHANNELS}`;
    const micros = baseMicros + i;
    const ts = `${Math.floor(micros / 1e6)}.${String(micros % 1e6).padStart(6, "0")}`;
    const { appMention, message } = mentionEvents({
      channel,
      user: `U${i % USERS}`,
      text: `<@${FAKE_BOT_USER_ID}> question ${i}: can you help me with this?`,
      ts,
    });
    const conv: Conversation = { i, channel, ts, deliveredAt: Date.now(), statuses: [] };
    conversations.push(conv);
    // The balancer sends each of Slack's two events to either replica.
    for (const envelope of [eventEnvelope(appMention), eventEnvelope(message)]) {
      const to = deliveries[Math.floor(Math.random() * deliveries.length)] as HttpDelivery;
      pending.push(
        to.event(envelope).then(
          (r) => void conv.statuses.push(r.status),
          () => void conv.statuses.push(0),
        ),
      );
    }
  }
  const loadEndedAt = Date.now();
  await measuring;
  // Still under load: the last conversations are streaming, as they were at the first measurement.
  await measureLiveHeap(total);
  await Promise.all(pending);

  // Wait until every conversation's answer is final (or the drain times out).
  let dump = await slack.dump();
  const drainDeadline = Date.now() + DRAIN_TIMEOUT_MS;
  while (Date.now() < drainDeadline) {
    const byThread = indexAnswers(dump.messages);
    if (conversations.every((c) => (byThread.get(`${c.channel}:${c.ts}`) ?? []).some(isFinal))) break;
    await sleep(500);
    dump = await slack.dump();
  }
  clearInterval(sampler);
  const finishedAt = Date.now();

  // --- figures --------------------------------------------------------------------------------
  const expectedEnding = (offlineAnswerPieces(ANSWER_TOKENS).at(-1) ?? "").trim();
  const byThread = indexAnswers(dump.messages);
  const firstVisible: number[] = [];
  const answerTimes: number[] = [];
  const errors: Record<string, number> = {};
  const fail = (kind: string) => {
    errors[kind] = (errors[kind] ?? 0) + 1;
  };
  let nativeStreams = 0;
  for (const c of conversations) {
    const answers = byThread.get(`${c.channel}:${c.ts}`) ?? [];
    if (c.statuses.some((s) => s !== 200)) fail("event not acknowledged");
    if (answers.length === 0) {
      fail("no answer");
      continue;
    }
    if (answers.length > 1) fail("more than one answer");
    const answer = answers[0] as FakeMessage;
    if (!isFinal(answer)) fail("left streaming");
    const text = answer.timeline.at(-1)?.text ?? answer.text;
    if (!text.trimEnd().endsWith(expectedEnding) || text.includes("_(")) fail("incomplete or with a notice");
    if (answer.timeline[0]?.method === "chat.startStream") nativeStreams++;
    const shown = answer.timeline.find((s) => s.text.trim() !== "" && s.text !== "…");
    const counted = c.deliveredAt - started >= WARMUP_S * 1000;
    if (shown && counted) firstVisible.push(shown.at - c.deliveredAt);
    const last = answer.timeline.at(-1);
    if (last && counted) answerTimes.push(last.at - c.deliveredAt);
  }
  const failed = Object.values(errors).reduce((a, b) => a + b, 0);
  const calls = dump.calls.filter((call) => call.method !== "auth.test");
  const rateLimited: Record<string, number> = {};
  for (const call of calls)
    if (call.status === 429) rateLimited[call.method] = (rateLimited[call.method] ?? 0) + 1;
  const completed = conversations.length - (errors["no answer"] ?? 0);
  const [heapFrom, heapTo] = [liveHeap[0], liveHeap.at(-1)];
  const memory = samples.map((s, k) => {
    const from = heapFrom?.mb[k] ?? Number.NaN;
    const to = heapTo?.mb[k] ?? Number.NaN;
    const between = (heapTo?.conversations ?? 0) - (heapFrom?.conversations ?? 0);
    return {
      ...memoryFigures(`replica ${k + 1}`, s),
      liveHeapFromMb: round(from, 1),
      liveHeapToMb: round(to, 1),
      liveHeapGrowthMb: round(to - from, 2),
      // Each replica took about half of the conversations between the two measurements.
      conversationsBetween: Math.round(between / REPLICAS),
    };
  });
  const turns = await Promise.all(
    replicas.map(async (r) =>
      metricSum(await (await fetch(`${r.url}/metrics`)).text(), "chatbot_turns_total", {
        outcome: "answered",
      }),
    ),
  );

  const summary = {
    offeredPerS: RATE_PER_S,
    conversations: conversations.length,
    sustainedPerS: round(completed / ((loadEndedAt - started) / 1000), 2),
    firstVisibleP50Ms: round(percentile(firstVisible, 50), 0),
    firstVisibleP99Ms: round(percentile(firstVisible, 99), 0),
    answerP50Ms: round(percentile(answerTimes, 50), 0),
    answerP99Ms: round(percentile(answerTimes, 99), 0),
    errorRate: round(failed / conversations.length, 4),
    rateLimited429:
      Object.entries(rateLimited)
        .map(([method, n]) => `${method}: ${n}`)
        .join(", ") || "0",
    nativeStreams,
    answeredPerReplica: turns.join(" / "),
    apiCallsPerAnswer: round(calls.length / Math.max(1, completed), 1),
  };
  printTable(
    `Load: ${REPLICAS} replicas, one Redis, ${RATE_PER_S} conversations/s for ${DURATION_S} s ` +
      `(model: first token ${FIRST_TOKEN_MS} ms, 30 tokens/s, ${ANSWER_TOKENS} tokens; ` +
      `fake Slack windows / ${TIME_SCALE}, budgets shared by the replicas)`,
    [summary],
  );
  printTable(
    `Load: memory per replica: RSS sampled every second (slope over the second half, from ${MEMORY_FROM_S} s), and the live heap after a full GC at ${GC_MEASURE_FROM_S} s and at the end of the load (flat = no leak)`,
    memory,
  );
  if (failed > 0) console.log("errors:", errors);
  return {
    ...summary,
    durationS: DURATION_S,
    warmupS: WARMUP_S,
    wallS: round((finishedAt - started) / 1000, 1),
    errors,
    rateLimitedByMethod: rateLimited,
    timeScale: TIME_SCALE,
    slackLatencyMs: SLACK_LATENCY_MS,
    model: { firstTokenMs: FIRST_TOKEN_MS, tokenIntervalMs: TOKEN_INTERVAL_MS, answerTokens: ANSWER_TOKENS },
    memory,
  };
}

/** The bot's messages by `channel:thread`. */
function indexAnswers(messages: FakeMessage[]): Map<string, FakeMessage[]> {
  const byThread = new Map<string, FakeMessage[]>();
  for (const m of messages) {
    if (m.botId !== FAKE_BOT_ID || !m.threadTs) continue;
    const key = `${m.channel}:${m.threadTs}`;
    byThread.set(key, [...(byThread.get(key) ?? []), m]);
  }
  return byThread;
}

/** No open stream and no Stop button (actions block) left. */
function isFinal(m: FakeMessage): boolean {
  if (m.stream?.state === "open") return false;
  return !(m.blocks ?? []).some((b) => (b as { type?: string }).type === "actions");
}

function memoryFigures(name: string, samples: Sample[]): Record<string, unknown> {
  const after = samples.filter((s) => s.at >= MEMORY_FROM_S * 1000);
  return {
    replica: name,
    samples: samples.length,
    rssStartMb: round(samples[0]?.rssMb ?? Number.NaN, 1),
    rssEndMb: round(samples.at(-1)?.rssMb ?? Number.NaN, 1),
    rssMaxMb: round(Math.max(...samples.map((s) => s.rssMb)), 1),
    rssSlopeMbPerMin: round(slopePerMinute(after.map((s) => [s.at, s.rssMb])), 2),
  };
}

/** Least-squares slope of (ms, MB) points, in MB per minute. */
function slopePerMinute(points: [number, number][]): number {
  const n = points.length;
  if (n < 2) return Number.NaN;
  const mx = points.reduce((a, [x]) => a + x, 0) / n;
  const my = points.reduce((a, [, y]) => a + y, 0) / n;
  let num = 0;
  let den = 0;
  for (const [x, y] of points) {
    num += (x - mx) * (y - my);
    den += (x - mx) ** 2;
  }
  return den === 0 ? 0 : (num / den) * 60_000;
}

/**
 * The replica's live heap: a full GC through the inspector protocol (HeapProfiler.collectGarbage),
 * then process.memoryUsage(). Unlike samples between collections, this does not rise and fall
 * with garbage waiting to be collected, so any growth between two measurements is retained memory.
 */
async function gcHeapMb(inspectorUrl: string): Promise<number> {
  const ws = new WebSocket(inspectorUrl);
  await new Promise<void>((resolve, reject) => {
    ws.once("open", () => resolve());
    ws.once("error", reject);
  });
  let nextId = 0;
  const call = (method: string, params: Record<string, unknown> = {}) =>
    new Promise<{ result?: { result?: { value?: unknown } } }>((resolve, reject) => {
      const id = ++nextId;
      const onMessage = (data: RawData) => {
        const reply = JSON.parse(data.toString()) as {
          id?: number;
          result?: { result?: { value?: unknown } };
        };
        if (reply.id !== id) return;
        ws.off("message", onMessage);
        resolve(reply);
      };
      ws.on("message", onMessage);
      ws.send(JSON.stringify({ id, method, params }), (err) => err && reject(err));
    });
  try {
    await call("HeapProfiler.collectGarbage");
    const reply = await call("Runtime.evaluate", {
      expression: "process.memoryUsage().heapUsed",
      returnByValue: true,
    });
    return Number(reply.result?.result?.value) / 2 ** 20;
  } finally {
    ws.close();
  }
}

function rssMb(pid: number | undefined): number {
  try {
    const kb = /VmRSS:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1];
    return kb ? Number(kb) / 1024 : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

/** The fake Slack in a child process (test/fakes/slack-process.ts); `GET /_dump` reads its record. */
async function startFakeSlack(opts: Record<string, unknown>): Promise<FakeSlackProcess> {
  const child: ChildProcess = spawn(
    process.execPath,
    ["--import", "tsx", "test/fakes/slack-process.ts", JSON.stringify(opts)],
    { stdio: ["ignore", "pipe", "inherit"] },
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
        if (child.exitCode !== null) return resolve();
        child.once("exit", () => resolve());
        child.kill("SIGTERM");
      }),
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await runLoadBench();
  process.exit(0);
}
