/**
 * Slack acknowledgement benchmark: how fast one replica acknowledges a burst of signed events.
 * Slack redelivers an event that is not acknowledged within 3 s (and disables event delivery for
 * an app that keeps failing), so the ack must not wait for the turns the events start.
 *
 * Each run starts a fresh service process (src/main.ts, as deployed) against the fake Slack and
 * the fake LLM (each in its own process), then sends, all at once and signed:
 * 0. BURST `GET /healthz`: the transport floor (connections, HTTP, this machine's load);
 * 1. BURST channel messages without a mention (acked and ignored): the baseline;
 * 2. BURST `app_mention` events in BURST channels (each starts a turn).
 * Ack time is measured by the sender, from the request to the response. Figures per run: ack
 * p50/p99/max of both bursts, acks over 3 s, and how many mentions got their answer started.
 *
 * BENCH_ACK_CPU_PROF=<dir> runs the service with `node --cpu-prof` (profile written at exit).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { FAKE_BOT_TOKEN, FAKE_BOT_USER_ID } from "../test/fakes/slack-api.js";
import {
  eventEnvelope,
  FAKE_SIGNING_SECRET,
  HttpDelivery,
  mentionEvents,
  messageEvent,
} from "../test/fakes/slack-events.js";
import { percentile, printTable, round, startChildLlm } from "./support.js";

const BURST = Number(process.env.BENCH_ACK_BURST ?? 300);
const RUNS = Number(process.env.BENCH_ACK_RUNS ?? 3);
/** Slack's redelivery deadline. */
const SLACK_ACK_DEADLINE_MS = 3000;
/** The fake Slack's windows run this much faster, so 300 answers do not all wait on 429s. */
const FAKE_SLACK_TIME_SCALE = 30;
/** How long after the mention burst the run waits for answers to start before it stops. */
const SETTLE_MS = 3000;
const CPU_PROF_DIR = process.env.BENCH_ACK_CPU_PROF;
/** Events sent (and one answer run) before measuring, as on a service that has been up a while. */
const WARMUP = 20;
const WARMUP_SETTLE_MS = 2000;

interface Child {
  url: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

/** A child process that prints a line from which `find` reads its base URL. */
async function startChild(
  args: string[],
  env: NodeJS.ProcessEnv,
  find: (line: string) => string | null,
): Promise<Child> {
  const child = spawn(process.execPath, args, { env, stdio: ["ignore", "pipe", "inherit"] });
  const stdout = child.stdout;
  if (!stdout) throw new Error("no stdout from child process");
  const url = await new Promise<string>((resolve, reject) => {
    const lines = createInterface({ input: stdout });
    lines.on("line", (line) => {
      const found = find(line);
      if (found) resolve(found);
    });
    child.once("exit", (code) => reject(new Error(`${args.join(" ")} exited with ${code}`)));
  });
  stdout.resume();
  return {
    url,
    child,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once("exit", () => resolve());
        child.kill("SIGTERM");
      }),
  };
}

/** Send `count` requests at once; how long each took to answer, and how many were not 200. */
async function timedRequests(
  count: number,
  send: (i: number) => Promise<number>,
): Promise<{ ms: number[]; failed: number }> {
  const ms: number[] = [];
  let failed = 0;
  await Promise.all(
    Array.from({ length: count }, async (_, i) => {
      const started = performance.now();
      const status = await send(i).catch(() => 0);
      ms.push(performance.now() - started);
      if (status !== 200) failed++;
    }),
  );
  return { ms, failed };
}

function timedAcks(delivery: HttpDelivery, envelopes: Record<string, unknown>[]) {
  return timedRequests(envelopes.length, async (i) => (await delivery.event(envelopes[i]!)).status);
}

function summary(label: string, acks: { ms: number[]; failed: number }): Record<string, unknown> {
  return {
    burst: label,
    events: acks.ms.length,
    ackP50Ms: round(percentile(acks.ms, 50), 0),
    ackP99Ms: round(percentile(acks.ms, 99), 0),
    ackMaxMs: round(Math.max(...acks.ms), 0),
    over3s: acks.ms.filter((m) => m > SLACK_ACK_DEADLINE_MS).length,
    non200: acks.failed,
  };
}

async function turnsStarted(serviceUrl: string): Promise<number> {
  const text = await (await fetch(`${serviceUrl}/metrics`)).text();
  let started = 0;
  for (const line of text.split("\n")) {
    if (line.startsWith("chatbot_active_streams{") || line.startsWith("chatbot_turns_total{")) {
      started += Number(line.split(" ").at(-1) ?? 0);
    }
  }
  return started;
}

async function runOnce(run: number, llmUrl: string): Promise<Record<string, unknown>[]> {
  const fake = await startChild(
    [
      "--import",
      "tsx",
      "test/fakes/slack-process.ts",
      JSON.stringify({ timeScale: FAKE_SLACK_TIME_SCALE, latencyMs: 10, channels: BURST }),
    ],
    process.env,
    (line) => (line.startsWith("http") ? line : null),
  );
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH ?? "",
    HOME: process.env.HOME ?? "/tmp",
    PORT: "0",
    LOG_FORMAT: "json",
    LOG_LEVEL: "info",
    SLACK_BOT_TOKEN: FAKE_BOT_TOKEN,
    SLACK_SIGNING_SECRET: FAKE_SIGNING_SECRET,
    SLACK_API_URL: `${fake.url}/api/`,
    OPENAI_API_KEY: "sk-bench",
    OPENAI_BASE_URL: llmUrl,
    THROTTLE_REQUESTS: "1000000",
    DAILY_TOKEN_BUDGET: "1000000000",
    // All BURST requests come from this one address at once (as through a load balancer): with
    // the default 64 connections per address the server would close the rest before any ack.
    HTTP_MAX_CONNECTIONS: String(Math.max(256, BURST * 2)),
    HTTP_MAX_CONNECTIONS_PER_IP: String(Math.max(64, BURST * 2)),
  };
  const nodeArgs = CPU_PROF_DIR ? [`--cpu-prof`, `--cpu-prof-dir=${CPU_PROF_DIR}`] : [];
  const service = await startChild([...nodeArgs, "--import", "tsx", "src/main.ts"], env, (line) => {
    const m = /"msg":"chatbot listening on port (\d+)"/.exec(line);
    return m ? `http://127.0.0.1:${m[1]}` : null;
  });
  // Ready: Slack's auth.test answered and the receiver is up.
  for (let i = 0; i < 200; i++) {
    const res = await fetch(`${service.url}/readyz`).catch(() => null);
    if (res?.status === 200) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  const delivery = new HttpDelivery(`${service.url}/slack/events`);
  const base = Math.floor(Date.now() / 1000);
  const ts = (i: number, offset: number) => `${base}.${String(offset + i).padStart(6, "0")}`;
  // Warm-up, not measured: a few events of each kind, as a service that has been up a while.
  await timedAcks(
    delivery,
    Array.from({ length: WARMUP }, (_, i) =>
      eventEnvelope(messageEvent({ channel: `C${i}`, user: `U${i}`, text: `warm ${i}`, ts: ts(i, 5000) })),
    ),
  );
  await delivery.event(
    eventEnvelope(
      mentionEvents({ channel: "C0", user: "U0", text: `<@${FAKE_BOT_USER_ID}> hello`, ts: ts(0, 6000) })
        .appMention,
    ),
  );
  await new Promise((r) => setTimeout(r, WARMUP_SETTLE_MS));

  // Transport floor: the same number of requests that do no Slack work at all.
  const health = await timedRequests(BURST, () => fetch(`${service.url}/healthz`).then((r) => r.status));
  await new Promise((r) => setTimeout(r, 500));
  const ignored = await timedAcks(
    delivery,
    Array.from({ length: BURST }, (_, i) =>
      eventEnvelope(messageEvent({ channel: `C${i}`, user: `U${i}`, text: `chatter ${i}`, ts: ts(i, 0) })),
    ),
  );
  await new Promise((r) => setTimeout(r, 500));
  const mentions = await timedAcks(
    delivery,
    Array.from({ length: BURST }, (_, i) =>
      eventEnvelope(
        mentionEvents({
          channel: `C${i}`,
          user: `U${i}`,
          text: `<@${FAKE_BOT_USER_ID}> where is my order q${i}?`,
          ts: ts(i, 1000),
        }).appMention,
      ),
    ),
  );
  await new Promise((r) => setTimeout(r, SETTLE_MS));
  // The warm-up mention is one of the turns counted.
  const started = (await turnsStarted(service.url).catch(() => Number.NaN)) - 1;
  await service.stop();
  await fake.stop();
  return [
    { run, ...summary("GET /healthz (floor)", health) },
    { run, ...summary("ignored messages", ignored) },
    { run, ...summary("app_mention", mentions), turnsStartedAfter3s: started },
  ];
}

export async function runSlackAckBench(): Promise<Record<string, unknown>> {
  const llm = await startChildLlm({ firstTokenDelayMs: 300, tokenIntervalMs: 30 });
  const rows: Record<string, unknown>[] = [];
  try {
    for (let run = 1; run <= RUNS; run++) rows.push(...(await runOnce(run, llm.url)));
  } finally {
    await llm.stop();
  }
  printTable(
    `Slack acks: ${BURST} signed events at once to one replica (service process, fake Slack and LLM in their own processes); ${RUNS} runs`,
    rows,
  );
  return { burst: BURST, runs: rows };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await runSlackAckBench();
}
