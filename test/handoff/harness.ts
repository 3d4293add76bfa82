/**
 * Hand-off tests wire the service like main.ts does: one HandoffService per replica, its tool in
 * the registry, the core's relay hook, and the adapters registering posters and the team desk;
 * against the fake Slack (and the web chat / fake Discord where a test needs them).
 */
import { loadConfig } from "../../src/config.js";
import { Conversation } from "../../src/core/conversation.js";
import { HandoffService } from "../../src/core/handoff/service.js";
import type { ChatModel, ModelRequest, Store } from "../../src/core/ports.js";
import { HttpServer } from "../../src/http/server.js";
import { createTokenCounter } from "../../src/llm/tokens.js";
import { createLogger, silentLogger } from "../../src/log.js";
import { Metrics } from "../../src/metrics.js";
import type { AdapterDeps, PlatformAdapter } from "../../src/platforms/adapter.js";
import { createSlackAdapter, type SlackAdapter } from "../../src/platforms/slack/index.js";
import { createToolRegistry } from "../../src/tools/index.js";
import { FAKE_BOT_TOKEN, FakeSlack } from "../fakes/slack-api.js";
import { FAKE_SIGNING_SECRET, HttpDelivery } from "../fakes/slack-events.js";
import { testSettings } from "../support/conversation.js";
import { reply, type Step, toolCalls } from "../support/scripted-model.js";

export const TEAM_CHANNEL = "CTEAM";

export interface Replica {
  service: HandoffService;
  conversation: Conversation;
  metrics: Metrics;
  http: HttpServer;
  port: number;
  slack: SlackAdapter | undefined;
  delivery: HttpDelivery | undefined;
  others: PlatformAdapter[];
  deps: AdapterDeps;
  close(): Promise<void>;
}

export function fakeSlackForHandoffs(): Promise<FakeSlack> {
  return new FakeSlack({ timeScale: 10 }).start().then((fake) => {
    fake.addChannel({ id: "C1", name: "general" });
    fake.addChannel({ id: "D1", name: "dm", type: "im" });
    fake.addChannel({ id: TEAM_CHANNEL, name: "support-team" });
    fake.addUser({ id: "U1", name: "ana", realName: "Ana Lima" });
    fake.addUser({ id: "U9", name: "bea", realName: "Bea Team" });
    return fake;
  });
}

/** One replica of the service: own core, hand-off service and HTTP server; shared store and fakes. */
export async function startReplica(opts: {
  store: Store;
  model: ChatModel;
  env: Record<string, string>;
  /** Extra adapters (web chat, Discord), built from this replica's deps. */
  extra?: (deps: AdapterDeps) => PlatformAdapter[];
}): Promise<Replica> {
  const { env } = loadConfig(opts.env);
  // HANDOFF_TEST_LOG=debug shows what the replicas do.
  const level = process.env.HANDOFF_TEST_LOG;
  const log = level ? createLogger({ level, format: "pretty" }) : silentLogger();
  const metrics = new Metrics();
  const service: HandoffService = new HandoffService({
    store: opts.store.handoffs,
    threads: opts.store.threads,
    summarize: (req) => conversation.summarize(req),
    log,
    metrics,
    settings: {
      ttlMs: env.HANDOFF_TTL_S * 1000,
      fallbackText: env.HANDOFF_FALLBACK_TEXT,
      teamPlatform: env.HANDOFF_SLACK_CHANNEL ? "slack" : env.HANDOFF_DISCORD_CHANNEL ? "discord" : undefined,
      botName: testSettings.botName,
      historyMaxTurns: testSettings.historyMaxTurns,
      historyTtlMs: testSettings.historyTtlMs,
    },
  });
  const tools = createToolRegistry({ env, kv: opts.store.kv, log, metrics, handoffs: service });
  const conversation = new Conversation({
    store: opts.store,
    model: opts.model,
    tokens: createTokenCounter("gpt-4o-mini"),
    tools,
    log,
    metrics,
    settings: testSettings,
  });
  conversation.useHandoffs(service);
  conversation.personalData.register(opts.store.handoffs);
  const http = new HttpServer(log);
  const port = await http.listen(0, "127.0.0.1");
  const deps: AdapterDeps = {
    env,
    conversation,
    http,
    store: opts.store,
    log,
    metrics,
    handoffs: service,
    handoffService: service,
  };
  const slack = env.SLACK_BOT_TOKEN ? createSlackAdapter(deps, { timeScale: 10 }) : undefined;
  await slack?.start();
  const others = opts.extra?.(deps) ?? [];
  for (const a of others) await a.start();
  return {
    service,
    conversation,
    metrics,
    http,
    port,
    slack,
    delivery: slack ? new HttpDelivery(`http://127.0.0.1:${port}/slack/events`) : undefined,
    others,
    deps,
    async close() {
      await slack?.stop();
      for (const a of others) await a.stop();
      await slack?.idle();
      await service.idle();
      await http.close();
    },
  };
}

export function slackEnv(fake: FakeSlack, extra: Record<string, string> = {}): Record<string, string> {
  return {
    SLACK_BOT_TOKEN: FAKE_BOT_TOKEN,
    SLACK_SIGNING_SECRET: FAKE_SIGNING_SECRET,
    SLACK_API_URL: fake.apiUrl,
    HANDOFF_SLACK_CHANNEL: TEAM_CHANNEL,
    ...extra,
  };
}

/**
 * The model of these tests: summaries get a fixed summary; a message asking for a person gets a
 * handoff_to_human call and then a one-line answer; anything else an echo of how many team lines
 * it can see in the history.
 */
export function supportModelScript(req: ModelRequest): Step[] {
  const system = req.messages[0];
  if (system?.role === "system" && system.content.startsWith("You summarize")) {
    return reply("Ana wants to return a blender and asked for a person.");
  }
  const last = req.messages[req.messages.length - 1];
  if (last?.role === "user" && /person|human/i.test(last.content)) {
    return toolCalls({
      id: `call-${req.messages.length}`,
      name: "handoff_to_human",
      args: { reason: "asked for a person" },
    });
  }
  if (last?.role === "tool") return reply("A colleague will be with you shortly.");
  const teamLines = req.messages.filter(
    (m) => m.role === "assistant" && m.content?.includes("support team, wrote"),
  );
  return reply(`Back with the assistant; I can see ${teamLines.length} team message(s).`);
}

/** Wait until `check` returns a value; fails after `ms`. */
export async function eventually<T>(
  check: () => T | undefined | null | false | Promise<T | undefined | null | false>,
  ms = 30_000,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 20));
  }
}
