/**
 * The whole conversation core wired the way main.ts wires it, against local fakes: the memory
 * store, a real OpenAIChatModel talking to the demo LLM server, the real token counter, and the
 * real tool registry with the weather tool pointed at the fake Open-Meteo. For adapter and
 * end-to-end tests that need real answers with real tool calls.
 */

import { type Env, loadConfig } from "../../src/config.js";
import { Conversation, type ConversationSettings } from "../../src/core/conversation.js";
import { Feedback } from "../../src/core/feedback/feedback.js";
import { attachmentSettings, createFileReaders } from "../../src/files/index.js";
import type { DemoLlmServerOptions } from "../../src/llm/demo/server.js";
import { createTokenCounter } from "../../src/llm/tokens.js";
import { silentLogger } from "../../src/log.js";
import { Metrics } from "../../src/metrics.js";
import { createMemoryStore, type MemoryStore } from "../../src/store/memory/store.js";
import { createToolRegistry, type ToolRegistry } from "../../src/tools/index.js";
import { createTestModel, type DemoLlmServer, startFakeLlm } from "../fakes/llm.js";
import { type FakeOpenMeteo, startFakeOpenMeteo } from "../fakes/open-meteo.js";
import { testSettings } from "./conversation.js";

export interface TestCore {
  env: Env;
  conversation: Conversation;
  store: MemoryStore;
  tools: ToolRegistry;
  metrics: Metrics;
  /** Set when started with `feedback: true`. */
  feedback?: Feedback | undefined;
  llm: DemoLlmServer;
  meteo: FakeOpenMeteo;
  close(): Promise<void>;
}

export async function startTestCore(
  opts: {
    /** Demo LLM pacing and scripts (no delays unless asked). */
    llm?: DemoLlmServerOptions;
    /** Extra environment, e.g. { BOT_NAME: "Helper" }. */
    env?: Record<string, string>;
    settings?: Partial<ConversationSettings>;
    /** Thumbs up / down on answers (as main.ts wires it). */
    feedback?: boolean;
  } = {},
): Promise<TestCore> {
  const log = silentLogger();
  const metrics = new Metrics();
  const [llm, meteo] = await Promise.all([startFakeLlm(opts.llm), startFakeOpenMeteo()]);
  const env = loadConfig({
    WEATHER_API_URL: meteo.weatherUrl,
    GEOCODING_API_URL: meteo.geocodingUrl,
    ...opts.env,
  }).env;
  const store = createMemoryStore({ log });
  const tools = createToolRegistry({ env, kv: store.kv, log, metrics });
  const { model } = createTestModel(llm.url);
  const feedback = opts.feedback
    ? new Feedback({
        store: store.feedback,
        metrics,
        log,
        settings: {
          ratingTtlMs: env.FEEDBACK_TTL_DAYS * 24 * 3_600_000,
          turnTtlMs: env.HISTORY_TTL_S * 1000,
        },
      })
    : undefined;
  const conversation = new Conversation({
    feedback,
    store,
    model,
    tokens: createTokenCounter(model.model),
    tools,
    log,
    metrics,
    settings: {
      ...testSettings,
      botName: env.BOT_NAME,
      attachments: attachmentSettings(env, false),
      ...opts.settings,
    },
    files: createFileReaders(),
  });
  return {
    env,
    conversation,
    store,
    tools,
    metrics,
    feedback,
    llm,
    meteo,
    async close() {
      await conversation.drain(1000);
      await Promise.all([llm.close(), meteo.close(), store.close()]);
    },
  };
}
