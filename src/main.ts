/**
 * Composition root: config -> logger -> store -> model -> tools -> core -> adapters -> HTTP,
 * and the shutdown that undoes it. The only place that knows every concrete piece.
 */
import { existsSync } from "node:fs";
import type { Server } from "node:http";
import { type Config, ConfigError, loadConfig } from "./config.js";
import { Conversation } from "./core/conversation.js";
import { Feedback } from "./core/feedback/feedback.js";
import { startExpirySweep } from "./core/handoff/expiry.js";
import { HandoffService } from "./core/handoff/service.js";
import type { ChatModel, Store } from "./core/ports.js";
import { attachmentSettings, createFileReaders } from "./files/index.js";
import { createHostChecks } from "./http/hosts.js";
import { registerOpsRoutes } from "./http/ops.js";
import { HttpServer } from "./http/server.js";
import { startDemoLlmServer } from "./llm/demo/server.js";
import { OPENAI_BASE_URL, OpenAIChatModel } from "./llm/openai-model.js";
import { createTokenCounter } from "./llm/tokens.js";
import { createLogger, type Logger } from "./log.js";
import { Metrics } from "./metrics.js";
import type { PlatformAdapter } from "./platforms/adapter.js";
import { createDiscordAdapter } from "./platforms/discord/index.js";
import { createSlackAdapter } from "./platforms/slack/index.js";
import { createWebChatAdapter } from "./platforms/web/index.js";
import { openPolicyFile, setUpPolicy } from "./policy/setup.js";
import { warnAboutUnknownTools } from "./policy/unknown-tools.js";
import { createStore } from "./store/index.js";
import { createKnowledgeBase, createToolRegistry } from "./tools/index.js";

/** Extra time after the deadline for adapters to post the last notices of stopped answers. */
const IDLE_GRACE_MS = 3_000;

const sleep = (ms: number) =>
  new Promise<void>((resolve) => {
    setTimeout(resolve, ms).unref();
  });

export interface RunningService {
  port: number;
  server: Server;
  conversation: Conversation;
  /** Graceful stop: no new events, running answers finish (up to the deadline), then close. */
  stop(): Promise<void>;
}

/** Build and start the whole service from a parsed config. */
export async function startService(config: Config, log: Logger): Promise<RunningService> {
  const { env } = config;
  const metrics = new Metrics({ defaultMetrics: true });
  const closers: (() => Promise<void>)[] = [];
  // A bad POLICY_FILE stops start-up before anything runs, naming the variable and every problem.
  const policyFile = await openPolicyFile(env, log);
  const store: Store = await createStore(env, log);
  closers.push(() => store.close());

  let baseURL = env.OPENAI_BASE_URL;
  if (config.demoModel) {
    const demo = await startDemoLlmServer({
      port: 0,
      host: "127.0.0.1",
      firstTokenDelayMs: env.DEMO_FIRST_TOKEN_MS,
      tokenIntervalMs: env.DEMO_TOKEN_INTERVAL_MS,
      keepRequests: 0,
    });
    closers.push(() => demo.close());
    baseURL = demo.url;
    log.warn(
      { demoUrl: demo.url },
      "=== OFFLINE DEMO MODEL: neither OPENAI_API_KEY nor OPENAI_BASE_URL is set, so a built-in demo " +
        "model answers (canned replies and tool calls). Set OPENAI_API_KEY for real answers. ===",
    );
  }
  // One client per model name: OPENAI_MODEL, and each model the policy file names, built on first use.
  const models = new Map<string, ChatModel>();
  const modelFor = (name: string): ChatModel => {
    let m = models.get(name);
    if (!m) {
      m = new OpenAIChatModel({
        apiKey: env.OPENAI_API_KEY,
        baseURL,
        model: name,
        maxRetries: env.OPENAI_MAX_RETRIES,
        firstTokenTimeoutMs: env.OPENAI_FIRST_TOKEN_TIMEOUT_MS,
        totalTimeoutMs: env.OPENAI_TOTAL_TIMEOUT_MS,
        log,
        metrics,
      });
      models.set(name, m);
    }
    return m;
  };
  const model = modelFor(env.OPENAI_MODEL);
  const policy = setUpPolicy(policyFile, env, store, log);
  closers.push(async () => policy.stop());
  // The help center indexes in the background; /readyz reports it until the first index is in.
  const knowledge = createKnowledgeBase({
    env,
    baseURL: baseURL ?? OPENAI_BASE_URL,
    vectors: store.vectors,
    log,
  });
  if (env.EMBEDDINGS_MODEL && config.demoModel) {
    log.warn(
      "EMBEDDINGS_MODEL is set without OPENAI_API_KEY or OPENAI_BASE_URL: the OpenAI API will refuse it",
    );
  }
  knowledge.start();
  closers.push(async () => knowledge.stop());
  // Hand-offs to the support team (docs/handoff.md); the adapters register where to post.
  const handoffs = new HandoffService({
    store: store.handoffs,
    threads: store.threads,
    summarize: (req) => conversation.summarize(req),
    log,
    metrics,
    settings: {
      ttlMs: env.HANDOFF_TTL_S * 1000,
      fallbackText: env.HANDOFF_FALLBACK_TEXT,
      teamPlatform: env.HANDOFF_SLACK_CHANNEL ? "slack" : env.HANDOFF_DISCORD_CHANNEL ? "discord" : undefined,
      botName: env.BOT_NAME,
      historyMaxTurns: env.HISTORY_MAX_TURNS,
      historyTtlMs: env.HISTORY_TTL_S * 1000,
    },
  });
  const feedback = new Feedback({
    store: store.feedback,
    metrics,
    log,
    settings: { ratingTtlMs: env.FEEDBACK_TTL_DAYS * 24 * 3_600_000, turnTtlMs: env.HISTORY_TTL_S * 1000 },
  });
  const tools = createToolRegistry({ env, kv: store.kv, log, metrics, knowledge, handoffs });
  if (policyFile)
    warnAboutUnknownTools(
      policyFile,
      tools.specs().map((t) => t.name),
      log,
    );
  const conversation = new Conversation({
    feedback,
    store,
    model,
    tokens: createTokenCounter(env.OPENAI_MODEL),
    tools,
    log,
    metrics,
    policy: policy.policies,
    models: modelFor,
    settings: {
      botName: env.BOT_NAME,
      systemPrompt: env.SYSTEM_PROMPT,
      throttle: {
        requests: env.THROTTLE_REQUESTS,
        windowMs: env.THROTTLE_WINDOW_S * 1000,
        dailyTokens: env.DAILY_TOKEN_BUDGET,
      },
      dedupTtlMs: env.DEDUP_TTL_S * 1000,
      lockTtlMs: env.LOCK_TTL_MS,
      lockWaitMs: env.LOCK_WAIT_MS,
      historyMaxTurns: env.HISTORY_MAX_TURNS,
      historyTtlMs: env.HISTORY_TTL_S * 1000,
      contextTokenBudget: env.CONTEXT_TOKEN_BUDGET,
      attachmentTokenBudget: env.ATTACHMENT_TOKEN_BUDGET,
      maxOutputTokens: env.OPENAI_MAX_OUTPUT_TOKENS,
      maxInputChars: env.MAX_INPUT_CHARS,
      maxToolRounds: env.MAX_TOOL_ROUNDS,
      maxParallelToolCalls: env.MAX_PARALLEL_TOOL_CALLS,
      attachments: attachmentSettings(env, config.demoModel),
      redact: env.REDACT_BEFORE_MODEL,
    },
    files: createFileReaders(),
  });

  // `/forget` erases a person's ratings (and answers waiting to be rated) too.
  conversation.personalData.register(store.feedback);
  conversation.useHandoffs(handoffs);
  // `/forget` erases a person's hand-offs too (their per-user index).
  conversation.personalData.register(store.handoffs);

  const http = new HttpServer(log, {
    maxConnections: env.HTTP_MAX_CONNECTIONS,
    maxConnectionsPerIp: env.HTTP_MAX_CONNECTIONS_PER_IP,
  });
  const adapters: PlatformAdapter[] = [];
  let shuttingDown = false;
  registerOpsRoutes(http, {
    store,
    adapters: () => adapters,
    metrics,
    shuttingDown: () => shuttingDown,
    checks: { knowledge: () => knowledge.state },
    log,
    // Without the web chat the service listens for Slack and probes by pod IP or public name:
    // nothing there for a rebinding page (see docs/security.md).
    allowHost: config.webChat ? createHostChecks(env.WEB_ALLOWED_HOSTS).operator : undefined,
  });
  const deps = {
    env,
    conversation,
    http,
    store,
    log,
    metrics,
    admins: policy.policies,
    replies: policy.replies,
    feedback,
    handoffs,
    handoffService: handoffs,
  };
  if (config.slack) adapters.push(createSlackAdapter(deps));
  if (config.discord) adapters.push(createDiscordAdapter(deps));
  if (config.webChat) adapters.push(createWebChatAdapter(deps));
  for (const adapter of adapters) await adapter.start();
  // Any replica may finalize a message whose answering process died (see core/orphans.ts).
  const stopSweeping = conversation.orphans.startSweeping(store.threads, env.ORPHAN_SWEEP_INTERVAL_MS);
  // Any replica may hand back a hand-off that reached HANDOFF_TTL_S (see core/handoff/expiry.ts).
  const stopExpiry = startExpirySweep(handoffs, log);
  const port = await http.listen(env.PORT, config.host);
  log.info(
    {
      port,
      host: config.host,
      store: store.kind,
      model: config.demoModel ? "offline demo" : env.OPENAI_MODEL,
      platforms: adapters.map((a) => a.platform),
    },
    `chatbot listening on port ${port}`,
  );
  if (config.webChat) log.info(`web chat: open http://localhost:${port}/ in a browser`);

  return {
    port,
    server: http.server,
    conversation,
    async stop() {
      if (shuttingDown) return;
      shuttingDown = true;
      log.info(
        { activeTurns: conversation.activeTurns, deadlineMs: env.SHUTDOWN_DEADLINE_MS },
        "shutting down",
      );
      stopSweeping();
      stopExpiry();
      await Promise.allSettled(adapters.map((a) => a.stop()));
      const closingHttp = http.close();
      // Running answers get the deadline; events an adapter acknowledged just before the signal
      // are still handled (refused with a "restarting" notice if they reach the core too late)
      // before the store they need is closed.
      const adaptersIdle = Promise.all([...adapters.map((a) => a.idle?.()), handoffs.idle()]);
      await Promise.all([
        conversation.drain(env.SHUTDOWN_DEADLINE_MS),
        Promise.race([adaptersIdle, sleep(env.SHUTDOWN_DEADLINE_MS + IDLE_GRACE_MS)]),
      ]);
      await closingHttp;
      for (const close of closers.reverse())
        await close().catch((err: unknown) => log.warn({ err }, "close failed"));
      log.info("shutdown complete");
    },
  };
}

async function main(): Promise<void> {
  // A .env file in the working directory fills in variables the environment does not set.
  if (existsSync(".env")) process.loadEnvFile(".env");
  let config: Config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\nSee .env.example for every variable and its meaning.\n`);
      process.exit(1);
    }
    throw err;
  }
  const log = createLogger({ level: config.env.LOG_LEVEL, format: config.env.LOG_FORMAT });
  process.on("unhandledRejection", (err) => log.error({ err }, "unhandled promise rejection"));
  let service: RunningService;
  try {
    service = await startService(config, log);
  } catch (err) {
    log.fatal({ err }, `start-up failed: ${err instanceof Error ? err.message : String(err)}`);
    await new Promise((r) => setTimeout(r, 50));
    process.exit(1);
  }
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    signals++;
    if (signals > 1) {
      log.warn({ signal }, "second signal: exiting now");
      process.exit(1);
    }
    log.info({ signal }, "signal received");
    service.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        log.error({ err }, "shutdown failed");
        process.exit(1);
      },
    );
  };
  process.on("SIGTERM", onSignal);
  process.on("SIGINT", onSignal);
}

// Run when executed directly (node dist/main.js, tsx src/main.ts), not when imported by tests.
const entry = process.argv[1] ?? "";
if (/[\\/]main\.(ts|js)$/.test(entry)) void main();
