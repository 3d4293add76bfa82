/**
 * Several real service processes (`src/main.ts`, as `npm start` runs it) sharing one Redis, one
 * fake Slack and one fake LLM, as replicas behind a load balancer share them in production.
 * Tests deliver signed Slack events to whichever replica they like, kill or stop replicas, and read
 * what the fake Slack shows and what each replica's /metrics counts.
 */
import { readFileSync } from "node:fs";
import { type DemoLlmServer, type RespondHook, startDemoLlmServer } from "../../src/llm/demo/server.js";
import {
  FAKE_BOT_TOKEN,
  FAKE_BOT_USER_ID,
  type FakeMessage,
  FakeSlack,
  type FakeSlackOptions,
} from "../fakes/slack-api.js";
import {
  type DeliveryResult,
  eventEnvelope,
  FAKE_SIGNING_SECRET,
  HttpDelivery,
  mentionEvents,
  messageEvent,
} from "../fakes/slack-events.js";
import { startRedis, type TestRedis, uniquePrefix } from "./redis.js";
import { baseEnv, type ServiceProcess, startService } from "./service-process.js";

/**
 * The fake Slack's per-minute windows run this much faster (a minute is 2 s), like the Slack
 * benchmark's. The service processes cannot be told the scale, so they get the scaled chat.update
 * budget through SLACK_UPDATES_PER_MINUTE; their other client-side pacing (1 post per second per
 * channel, 20 native streams per minute) stays real and is therefore stricter than the fake.
 */
export const SLACK_TIME_SCALE = 30;
/** Slack's chat.update Tier 3 (50 per minute) at SLACK_TIME_SCALE. */
export const SCALED_UPDATES_PER_MINUTE = 50 * SLACK_TIME_SCALE;

export interface Replica extends ServiceProcess {
  name: string;
  /** Signed deliveries to this replica's POST /slack/events. */
  slack: HttpDelivery;
  /** The Prometheus text of its /metrics. */
  metrics(): Promise<string>;
  /** Resident set size of the process in bytes (Linux /proc), or NaN elsewhere. */
  rssBytes(): number;
}

export interface ReplicaSetOptions {
  /** How many replicas to start now (more with `startReplica`). */
  replicas?: number;
  /** Variables for every replica (on top of the shared Slack/Redis/LLM ones). */
  env?: Record<string, string>;
  /** Script of the fake LLM; undefined answers with the demo model. */
  respond?: RespondHook;
  fakeSlack?: FakeSlackOptions;
  /** Channels (public, bot is a member) and users the fake Slack knows. */
  channels?: string[];
  users?: string[];
  /** Reuse a Redis (the caller stops it); by default one is started and stopped with the set. */
  redis?: TestRedis;
}

export interface ReplicaSet {
  redis: TestRedis;
  prefix: string;
  slack: FakeSlack;
  llm: DemoLlmServer;
  replicas: Replica[];
  /** Start another replica on the same Redis, Slack and LLM; `env` adds or overrides variables. */
  startReplica(env?: Record<string, string>): Promise<Replica>;
  /** Kill every replica still running (SIGKILL) and stop the fakes. Safe to call twice. */
  close(): Promise<void>;
}

export async function startReplicaSet(opts: ReplicaSetOptions = {}): Promise<ReplicaSet> {
  const ownRedis = !opts.redis;
  const redis = opts.redis ?? (await startRedis());
  const prefix = uniquePrefix("replicas");
  const slack = await new FakeSlack({ timeScale: SLACK_TIME_SCALE, ...opts.fakeSlack }).start();
  for (const id of opts.channels ?? ["C1"]) slack.addChannel({ id });
  for (const id of opts.users ?? ["U1"])
    slack.addUser({ id, name: id.toLowerCase(), realName: `User ${id}` });
  const llm = await startDemoLlmServer({ ...(opts.respond ? { respond: opts.respond } : {}) });
  const replicas: Replica[] = [];
  const shared = {
    REDIS_URL: redis.url,
    KEY_PREFIX: prefix,
    OPENAI_BASE_URL: llm.url,
    OPENAI_API_KEY: "sk-test",
    OPENAI_MAX_RETRIES: "0",
    SLACK_BOT_TOKEN: FAKE_BOT_TOKEN,
    SLACK_SIGNING_SECRET: FAKE_SIGNING_SECRET,
    SLACK_API_URL: slack.apiUrl,
    SLACK_UPDATES_PER_MINUTE: String(SCALED_UPDATES_PER_MINUTE),
    WEB_CHAT: "off",
    HOST: "127.0.0.1",
    ...opts.env,
  };
  let closed = false;
  const set: ReplicaSet = {
    redis,
    prefix,
    slack,
    llm,
    replicas,
    async startReplica(env = {}) {
      if (closed) throw new Error("replica set already closed");
      const name = String.fromCharCode(65 + replicas.length);
      const replica = asReplica(name, await startService(baseEnv({ ...shared, ...env })));
      replicas.push(replica);
      return replica;
    },
    async close() {
      if (closed) return;
      closed = true;
      await Promise.all(replicas.map((r) => r.stop("SIGKILL")));
      await llm.close();
      await slack.close();
      if (ownRedis) await redis.stop();
    },
  };
  try {
    // One after the other: two tsx compilations at once on two cores only slow each other down.
    for (let i = 0; i < (opts.replicas ?? 2); i++) await set.startReplica();
  } catch (err) {
    await set.close();
    throw err;
  }
  return set;
}

function asReplica(name: string, service: ServiceProcess): Replica {
  // The replica process is node itself (no wrapper), so its pid is the service's.
  const pid = service.child.pid;
  // Kill it with this test process, whatever happens to the test.
  const kill = () => service.child.kill("SIGKILL");
  process.once("exit", kill);
  service.child.once("exit", () => process.off("exit", kill));
  return {
    ...service,
    name,
    slack: new HttpDelivery(`${service.url}/slack/events`),
    async metrics() {
      return (await fetch(`${service.url}/metrics`)).text();
    },
    rssBytes() {
      try {
        const status = readFileSync(`/proc/${pid}/status`, "utf8");
        const kb = /VmRSS:\s+(\d+)\s+kB/.exec(status)?.[1];
        return kb ? Number(kb) * 1024 : Number.NaN;
      } catch {
        return Number.NaN;
      }
    },
  };
}

// --- waiting ----------------------------------------------------------------------------------

/** Poll `check` until it returns a truthy value; fail after `timeoutMs` saying what was awaited. */
export async function waitFor<T>(
  what: string,
  check: () => T | undefined | null | false | Promise<T | undefined | null | false>,
  timeoutMs = 45_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

// --- metrics ----------------------------------------------------------------------------------

/** Sum of every sample of `name` whose labels include all of `labels`. */
export function metricSum(text: string, name: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  for (const line of text.split("\n")) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const m = /^[^{ ]+(?:\{(.*)\})? ([^ ]+)/.exec(line);
    if (!m) continue;
    const have = m[1] ?? "";
    if (Object.entries(labels).every(([k, v]) => have.includes(`${k}="${v}"`))) sum += Number(m[2]);
  }
  return sum;
}

/** `metricSum` over several replicas (stopped ones are skipped). */
export async function clusterMetric(
  replicas: Replica[],
  name: string,
  labels: Record<string, string> = {},
): Promise<number> {
  let sum = 0;
  for (const r of replicas) {
    if (r.child.exitCode !== null || r.child.signalCode !== null) continue;
    sum += metricSum(await r.metrics(), name, labels);
  }
  return sum;
}

// --- Slack conversations ------------------------------------------------------------------------

/** What a user writes in Slack: recorded in the fake (so history calls find it) and as events. */
export interface UserPost {
  ts: string;
  channel: string;
  threadTs: string;
  /** The events Slack sends for it: app_mention + message for a mention, message for a reply. */
  envelopes: Record<string, unknown>[];
}

/** A top-level post mentioning the bot; its answer goes in the thread under it. */
export function postMention(slack: FakeSlack, channel: string, user: string, text: string): UserPost {
  const msg = slack.seed({ channel, user, text: `<@${FAKE_BOT_USER_ID}> ${text}` });
  const { appMention, message } = mentionEvents({ channel, user, text: msg.text, ts: msg.ts });
  return {
    ts: msg.ts,
    channel,
    threadTs: msg.ts,
    envelopes: [eventEnvelope(appMention), eventEnvelope(message)],
  };
}

/** A reply in a thread the bot takes part in, with or without mentioning it. */
export function postReply(
  slack: FakeSlack,
  channel: string,
  threadTs: string,
  user: string,
  text: string,
  mention = false,
): UserPost {
  const full = mention ? `<@${FAKE_BOT_USER_ID}> ${text}` : text;
  const msg = slack.seed({ channel, user, text: full, threadTs });
  const envelopes = mention
    ? (() => {
        const { appMention, message } = mentionEvents({ channel, user, text: full, ts: msg.ts, threadTs });
        return [eventEnvelope(appMention), eventEnvelope(message)];
      })()
    : [eventEnvelope(messageEvent({ channel, user, text: full, ts: msg.ts, threadTs }))];
  return { ts: msg.ts, channel, threadTs, envelopes };
}

/** Deliver every envelope of `post` to each replica in `to` at once (Slack retrying, a balancer spreading). */
export async function deliver(post: UserPost, to: Replica[]): Promise<DeliveryResult[]> {
  return Promise.all(post.envelopes.flatMap((envelope) => to.map((r) => r.slack.event(envelope))));
}

/** The bot's messages in a thread (under the user's post), oldest first. */
export function answersIn(slack: FakeSlack, post: { channel: string; threadTs: string }): FakeMessage[] {
  return slack.botMessages(post.channel, post.threadTs).sort((a, b) => Number(a.ts) - Number(b.ts));
}

/** True once a bot message reached its final state: no open stream and no Stop button. */
export function isFinal(slack: FakeSlack, msg: FakeMessage): boolean {
  return msg.stream?.state !== "open" && slack.buttons(msg).length === 0;
}

// --- fake LLM scripts ---------------------------------------------------------------------------

/** The text of the last user message of a chat request, and the user messages before it. */
export function questionOf(messages: { role: string; content?: unknown }[]): {
  question: string;
  earlier: string[];
} {
  const users = messages.filter((m) => m.role === "user").map((m) => textOf(m.content));
  return { question: users.at(-1) ?? "", earlier: users.slice(0, -1) };
}

function textOf(content: unknown): string {
  if (typeof content === "string") return content;
  if (Array.isArray(content))
    return content.map((p) => (typeof p?.text === "string" ? (p.text as string) : "")).join("");
  return "";
}

/**
 * An answer that shows which question it answers and which questions of the thread the model
 * was shown before it: "answer to q2 after q1" (or "after nothing").
 */
export function echoAnswer(question: string, earlier: string[]): string {
  return `answer to ${question} after ${earlier.length > 0 ? earlier.join(" ") : "nothing"}`;
}

/** A fake LLM script that streams `echoAnswer` word by word with the given pacing. */
export function echoingLlm(pacing: { firstChunkDelayMs?: number; intervalMs?: number } = {}): RespondHook {
  return (req) => {
    const { question, earlier } = questionOf(req.messages);
    const words = echoAnswer(question, earlier).split(" ");
    return {
      kind: "stream",
      parts: words.map((w, i) => ({ text: i === 0 ? w : ` ${w}` })),
      ...pacing,
    };
  };
}
