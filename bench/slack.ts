/**
 * Slack benchmark: 1, 5, 20 and 100 answers streaming at once in one workspace, through the real
 * adapter (Bolt receiver over HTTP, signed events) and the real core, into the fake Slack Web API
 * enforcing the documented limits (chat.update Tier 3 = 50/min per workspace, 1 post per second
 * per channel, stream methods' tiers). Windows are scaled down (TIME_SCALE) so a run takes seconds;
 * the adapter is told the same scale, as a deployment would be told the real windows.
 *
 * The model is in-process and paced (first token after MODEL_FIRST_TOKEN_MS, then a word every
 * MODEL_TOKEN_INTERVAL_MS) and writes plain words, so what Slack shows can be compared to what the
 * model had written at any moment. Figures per run:
 * - first visible text: the model's first token -> Slack first shows the answer (vs. one round trip);
 * - staleness: for every model token, how long until Slack showed it; p50/p99, next to the ideal
 *   the budget allows (streams x window / updates per window);
 * - Web API calls per answer, 429s received, and whether every final message was complete.
 */
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { loadConfig } from "../src/config.js";
import { Conversation } from "../src/core/conversation.js";
import type { ChatModel, ModelEvent, ModelRequest, ToolRunner } from "../src/core/ports.js";
import { HttpServer } from "../src/http/server.js";
import { createTokenCounter } from "../src/llm/tokens.js";
import { silentLogger } from "../src/log.js";
import { Metrics } from "../src/metrics.js";
import { createSlackAdapter } from "../src/platforms/slack/index.js";
import { createMemoryStore } from "../src/store/memory/store.js";
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
import { BENCH_SETTINGS, percentile, printTable, round } from "./support.js";

/** Slack's per-minute windows run 30x faster: a minute is 2 s. */
const TIME_SCALE = Number(process.env.BENCH_SLACK_TIME_SCALE ?? 30);
/**
 * Added to every fake Web API call. Real Slack answers in ~100-300 ms against 60 s windows; 10 ms
 * against 2 s windows keeps about the same proportion.
 */
const SLACK_LATENCY_MS = 10;
const LEVELS = (process.env.BENCH_SLACK_LEVELS ?? "1,5,20,100").split(",").map(Number);
/** The edits-only comparison (SLACK_NATIVE_STREAMING=false) at the levels where budgets bind. */
const EDIT_LEVELS = LEVELS.filter((n) => n >= 20);
const MODEL_FIRST_TOKEN_MS = 100;
const MODEL_TOKEN_INTERVAL_MS = 25;
const ANSWER_WORDS = 40;
/** SLACK_UPDATES_PER_MINUTE default, matching the fake's chat.update Tier 3 budget. */
const UPDATES_PER_MINUTE = 50;

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

async function runLevel(streams: number, native: boolean): Promise<Record<string, unknown>> {
  const log = silentLogger();
  const metrics = new Metrics();
  // One channel per answer: the workspace-wide chat.update budget is what they share.
  const fake = await startFakeSlack({
    timeScale: TIME_SCALE,
    latencyMs: SLACK_LATENCY_MS,
    channels: streams,
  });
  const { env } = loadConfig({
    SLACK_BOT_TOKEN: FAKE_BOT_TOKEN,
    SLACK_SIGNING_SECRET: FAKE_SIGNING_SECRET,
    SLACK_API_URL: fake.apiUrl,
    SLACK_NATIVE_STREAMING: String(native),
    SLACK_UPDATES_PER_MINUTE: String(UPDATES_PER_MINUTE),
  });
  const store = createMemoryStore({ log });
  const model = new PacedModel();
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
  const http = new HttpServer(log);
  const port = await http.listen(0, "127.0.0.1");
  const adapter = createSlackAdapter(
    { env, conversation, http, store, log, metrics },
    { timeScale: TIME_SCALE },
  );
  await adapter.start();
  const delivery = new HttpDelivery(`http://127.0.0.1:${port}/slack/events`);
  const rttMs = await measureRoundTrip(fake.apiUrl);
  const callsBefore = (await fake.dump()).calls.length;

  const roots = Array.from(
    { length: streams },
    (_, i) => `${Math.floor(Date.now() / 1000)}.${String(i).padStart(6, "0")}`,
  );
  const started = Date.now();
  await Promise.all(
    roots.map((ts, i) =>
      delivery.event(
        eventEnvelope(
          mentionEvents({
            channel: `C${i}`,
            user: `U${i}`,
            text: `<@${FAKE_BOT_USER_ID}> question q${i}`,
            ts,
          }).appMention,
        ),
      ),
    ),
  );
  while (model.timelines.size < streams) await sleep(5);
  await adapter.idle();
  const wallMs = Date.now() - started;
  const dump = await fake.dump();
  const botMessages = (channel: string, threadTs: string) =>
    dump.messages.filter((m) => m.botId === FAKE_BOT_ID && m.channel === channel && m.threadTs === threadTs);
  const visibleText = (m: FakeMessage) => m.timeline.at(-1)?.text ?? m.text;

  const firstVisible: number[] = [];
  const staleness: number[] = [];
  const finalLag: number[] = [];
  let staleFrames = 0;
  let complete = 0;
  roots.forEach((ts, i) => {
    const timeline = model.timelines.get(`q${i}`);
    const msg = botMessages(`C${i}`, ts)[0];
    if (!timeline || !msg) return;
    const shown = msg.timeline.map((s) => ({ at: s.at, length: s.text === "…" ? 0 : s.text.length }));
    if (visibleText(msg) === timeline.text && botMessages(`C${i}`, ts).length === 1) complete++;
    const first = shown.find((s) => s.length > 0);
    if (first) firstVisible.push(first.at - timeline.firstTokenAt);
    for (const d of timeline.deltas) {
      const seen = shown.find((s) => s.at >= d.at && s.length >= d.length);
      if (seen) staleness.push(seen.at - d.at);
    }
    // After the model is done, anything but the final frame is wasted budget and delay.
    const doneAt = timeline.deltas.at(-1)?.at ?? 0;
    finalLag.push((msg.timeline.at(-1)?.at ?? doneAt) - doneAt);
    staleFrames += dump.calls.filter(
      (c) =>
        c.at > doneAt &&
        c.args.ts === msg.ts &&
        (c.method === "chat.appendStream" ||
          (c.method === "chat.update" && JSON.stringify(c.args.blocks).includes('"actions"'))),
    ).length;
  });
  const calls = dump.calls.slice(callsBefore);
  const byMethod: Record<string, number> = {};
  for (const c of calls) byMethod[c.method] = (byMethod[c.method] ?? 0) + 1;
  const windowMs = 60_000 / TIME_SCALE;
  const idealMs = (streams * windowMs) / UPDATES_PER_MINUTE;

  await adapter.stop();
  await http.close();
  await store.close();
  await fake.stop();

  return {
    mode: native ? "native stream" : "edits",
    streams,
    wallMs,
    rttMs: round(rttMs, 1),
    firstVisibleP50Ms: round(percentile(firstVisible, 50), 0),
    firstVisibleP99Ms: round(percentile(firstVisible, 99), 0),
    stalenessP50Ms: round(percentile(staleness, 50), 0),
    stalenessP99Ms: round(percentile(staleness, 99), 0),
    idealStalenessMs: round(idealMs, 0),
    p99VsIdeal: round(percentile(staleness, 99) / idealMs, 2),
    // The ideal ignores the round trip every shown update costs.
    p99LessRttVsIdeal: round((percentile(staleness, 99) - rttMs) / idealMs, 2),
    finalLagP99Ms: round(percentile(finalLag, 99), 0),
    staleFramesAfterDone: staleFrames,
    callsPerAnswer: round(calls.length / streams, 1),
    rateLimited429: calls.filter((c) => c.status === 429).length,
    complete: `${complete}/${streams}`,
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
  const runs: Record<string, unknown>[] = [];
  for (const streams of LEVELS) runs.push(await runLevel(streams, true));
  for (const streams of EDIT_LEVELS) runs.push(await runLevel(streams, false));
  printTable(
    `Slack: concurrent answers in one workspace (fake Slack, windows / ${TIME_SCALE}: a minute is ${60 / TIME_SCALE} s; ` +
      `chat.update ${UPDATES_PER_MINUTE}/window; model: first token ${MODEL_FIRST_TOKEN_MS} ms, ${ANSWER_WORDS} words every ${MODEL_TOKEN_INTERVAL_MS} ms)`,
    runs.map(({ calls: _calls, ...row }) => row),
  );
  return {
    timeScale: TIME_SCALE,
    slackLatencyMs: SLACK_LATENCY_MS,
    updatesPerMinute: UPDATES_PER_MINUTE,
    runs,
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await runSlackBench();
}
