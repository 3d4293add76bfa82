/**
 * Discord benchmark: concurrent streamed answers through the real adapter (discord.js client),
 * the real core and the fake Discord with its per-channel buckets, and a paced model whose token
 * times are recorded.
 *
 * Scenarios: 1, 20, 40 and 100 answers at once in one guild (inline replies, spread over up to 10
 * channels, so several answers share each channel's bucket and the 100 share the bot's global
 * limit), with one replica (memory store) and with two replicas on one Redis, both connected to
 * the gateway and so both receiving every event (the store's dedup picks one to answer), sharing
 * the channel budgets and the global limit through the store. Figures per scenario: time from the model's first token to the first visible text, p50/p99
 * staleness (how long a generated token waits until Discord shows it), the ideal the bucket
 * allows (an answer's share of the channel's edits: one edit every N x window / 5), edits per
 * answer, and 429s. Bucket windows are scaled down (x WINDOW_SCALE) so it runs in seconds;
 * multiply times by 1 / WINDOW_SCALE for Discord's real 5-second windows.
 */
import type { ChatModel, ModelEvent, ModelRequest, Store } from "../src/core/ports.js";
import { silentLogger } from "../src/log.js";
import type { EditBudgetShape } from "../src/platforms/discord/render.js";
import { createRedisStore } from "../src/store/redis/store.js";
import type { FakeDiscord, FakeMessage } from "../test/fakes/discord/index.js";
import { finished, startReplica, startScene } from "../test/platforms/discord/harness.js";
import { startRedis, type TestRedis, uniquePrefix } from "../test/support/redis.js";
import { percentile, printTable, round } from "./support.js";

/** Discord's 5 s windows x 0.2 = 1 s. */
const WINDOW_SCALE = 0.2;
/** Discord's own bucket: 5 edits per 5 s per channel, scaled. */
const BUCKET_EDITS = 5;
const BUCKET_WINDOW_MS = 5000 * WINDOW_SCALE;
/** One REST round trip to Discord (added by the fake to every response). */
const RTT_MS = 30;
/**
 * The adapter's production budget at the same scale: 5 edits per window plus the margin for a
 * round trip and discord.js' 50 ms reset offset (which do not scale), 1 s per message scaled.
 */
const BUDGET: EditBudgetShape = {
  edits: BUCKET_EDITS,
  windowMs: BUCKET_WINDOW_MS + RTT_MS + 70,
  minEditIntervalMs: 1000 * WINDOW_SCALE,
};
/** Discord's global 50 requests/s (and the adapter's 45/s) scaled like the buckets. */
const GLOBAL_PER_SECOND = 50 / WINDOW_SCALE;
const ADAPTER_GLOBAL_PER_SECOND = 45 / WINDOW_SCALE;
const LEVELS = (process.env.BENCH_DISCORD_LEVELS ?? "1,20,40,100").split(",").map(Number);
const REPLICAS = (process.env.BENCH_DISCORD_REPLICAS ?? "1,2").split(",").map(Number);
/** Answers are spread over at most this many channels of the guild. */
const MAX_CHANNELS = 10;
/** Tokens per answer and the gap between them: ~750 characters over ~6 s (a brisk model). */
const TOKENS = 150;
const TOKEN_GAP_MS = 40;
/** The model's time to first token (gpt-4o-mini class models: a few hundred ms). */
const FIRST_TOKEN_MS = 400;

interface Track {
  firstTokenAt: number;
  /** Time each token was produced and the answer's length after it. */
  tokens: { at: number; length: number }[];
}

/** A model that streams "A<n> w1 w2 ..." at a steady pace and records when each token left it. */
class PacedModel implements ChatModel {
  readonly model = "paced";
  readonly tracks = new Map<string, Track>();

  async *stream(req: ModelRequest): AsyncIterable<ModelEvent> {
    const question = String(req.messages.at(-1)?.content ?? "");
    const tag = `A${/question (\d+)/.exec(question)?.[1] ?? "?"}`;
    const track: Track = { firstTokenAt: 0, tokens: [] };
    this.tracks.set(tag, track);
    let length = 0;
    for (let i = 0; i < TOKENS; i++) {
      await new Promise((r) => setTimeout(r, i === 0 ? FIRST_TOKEN_MS : TOKEN_GAP_MS));
      const delta = i === 0 ? tag : ` w${i}`;
      length += delta.length;
      const at = performance.now();
      if (i === 0) track.firstTokenAt = at;
      track.tokens.push({ at, length });
      yield { type: "text", delta };
    }
    yield { type: "done", finishReason: "stop", usage: { inputTokens: 100, outputTokens: TOKENS } };
  }
}

interface Scenario {
  name: string;
  mode: "inline" | "thread";
  answers: number;
  channels: number;
  replicas: number;
}

const SCENARIOS: Scenario[] = REPLICAS.flatMap((replicas) =>
  LEVELS.map((answers) => ({
    name: `${answers} in ${Math.min(answers, MAX_CHANNELS)} channel(s), ${replicas} replica(s)`,
    mode: "inline" as const,
    answers,
    channels: Math.min(answers, MAX_CHANNELS),
    replicas,
  })),
);

async function runScenario(s: Scenario, redis: TestRedis | null): Promise<Record<string, number | string>> {
  const scene = await startScene({
    windowScale: WINDOW_SCALE,
    latencyMs: RTT_MS,
    globalPerSecond: GLOBAL_PER_SECOND,
  });
  const { fake, guild, alice } = scene;
  const model = new PacedModel();
  const prefix = uniquePrefix("bench-discord");
  const replicas = [];
  for (let r = 0; r < s.replicas; r++) {
    const store: Store | undefined = redis
      ? await createRedisStore({ url: redis.url, prefix, log: silentLogger() })
      : undefined;
    replicas.push(
      await startReplica(fake, {
        model,
        budget: BUDGET,
        globalRequestsPerSecond: ADAPTER_GLOBAL_PER_SECOND,
        env: { DISCORD_REPLY_MODE: s.mode },
        settings: { throttle: { requests: 1000, windowMs: 60_000, dailyTokens: 10_000_000 } },
        ...(store ? { store } : {}),
      }),
    );
  }
  try {
    const channels = Array.from({ length: s.channels }, (_, i) =>
      i === 0 ? scene.general : fake.addChannel(guild, `c${i}`),
    );
    const questions = Array.from({ length: s.answers }, (_, i) =>
      fake.say(alice, channels[i % channels.length]!, `${fake.mention} question ${i + 1}`),
    );
    const where = (q: FakeMessage) => (s.mode === "thread" ? q.id : q.channelId);
    const perChannel = (id: string) => questions.filter((q) => where(q) === id).length;
    for (const q of questions) {
      const count = perChannel(where(q));
      await fake.waitFor(() => finished(fake, where(q), count), `answers in ${where(q)}`, 120_000);
    }
    return measure(fake, model, questions, where, s);
  } finally {
    for (const replica of replicas) {
      await replica.adapter.stop();
      if (redis) await replica.store.close();
    }
    await fake.close();
  }
}

function measure(
  fake: FakeDiscord,
  model: PacedModel,
  questions: FakeMessage[],
  where: (q: FakeMessage) => string,
  s: Scenario,
): Record<string, number | string> {
  const ttft: number[] = [];
  const staleness: number[] = [];
  const editsPerAnswer: number[] = [];
  const answers = [...new Set(questions.map(where))].flatMap((id) => fake.botMessages(id));
  for (const message of answers) {
    const tag = /^A\d+/.exec(message.content)?.[0] ?? "";
    const track = model.tracks.get(tag);
    if (!track) continue;
    const shown = message.versions.filter((v) => v.content.startsWith(tag));
    ttft.push((shown[0]?.at ?? Number.NaN) - track.firstTokenAt);
    editsPerAnswer.push(message.versions.length);
    for (const token of track.tokens) {
      const visible = shown.find((v) => v.at >= token.at && v.content.length >= token.length);
      staleness.push((visible?.at ?? Number.NaN) - token.at);
    }
  }
  // Answers sharing one bucket: at most this many at once per bucket.
  const sharing = s.mode === "thread" ? 1 : Math.ceil(s.answers / s.channels);
  const idealMs = Math.max(BUDGET.minEditIntervalMs, (sharing * BUCKET_WINDOW_MS) / BUCKET_EDITS);
  const p99 = percentile(staleness, 99);
  return {
    scenario: s.name,
    replicas: s.replicas,
    answers: answers.length,
    "first text p50 ms": round(percentile(ttft, 50), 0),
    "first text p50 / RTT": round(percentile(ttft, 50) / RTT_MS, 2),
    "first text max ms": round(Math.max(...ttft), 0),
    "staleness p50 ms": round(percentile(staleness, 50), 0),
    "staleness p99 ms": round(p99, 0),
    "ideal ms": round(idealMs, 0),
    "p99 / ideal": round(p99 / idealMs, 2),
    "edits per answer": round(
      editsPerAnswer.reduce((a, b) => a + b, 0) / Math.max(editsPerAnswer.length, 1),
      1,
    ),
    "429s": fake.rateLimitedCount,
    "429s by route": rateLimitedByRoute(fake),
  };
}

/** "PATCH /channels/:id/messages/:id x3, ...": which routes drew the 429s. */
function rateLimitedByRoute(fake: FakeDiscord): string {
  const counts = new Map<string, number>();
  for (const r of fake.requests) {
    if (r.status !== 429) continue;
    counts.set(r.route, (counts.get(r.route) ?? 0) + 1);
  }
  return [...counts].map(([route, n]) => `${route} x${n}`).join(", ");
}

export async function runDiscordBench(): Promise<Record<string, unknown>> {
  const rows: Record<string, number | string>[] = [];
  const redis = SCENARIOS.some((sc) => sc.replicas > 1) ? await startRedis() : null;
  try {
    for (const scenario of SCENARIOS) {
      rows.push(await runScenario(scenario, scenario.replicas > 1 ? redis : null));
    }
  } finally {
    await redis?.stop();
  }
  printTable(
    `Discord: concurrent answers of ${TOKENS} tokens (first after ${FIRST_TOKEN_MS} ms, then every ${TOKEN_GAP_MS} ms), REST round trip ${RTT_MS} ms, ` +
      `buckets ${BUCKET_EDITS} per ${BUCKET_WINDOW_MS} ms (Discord's 5 s x ${WINDOW_SCALE})`,
    rows,
  );
  return {
    windowScale: WINDOW_SCALE,
    rttMs: RTT_MS,
    levels: LEVELS,
    tokens: TOKENS,
    tokenGapMs: TOKEN_GAP_MS,
    firstTokenMs: FIRST_TOKEN_MS,
    scenarios: rows,
  };
}

if (process.argv[1]?.endsWith("bench/discord.ts")) {
  runDiscordBench().then(
    () => process.exit(0),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
