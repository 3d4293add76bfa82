import {
  Conversation,
  type ConversationDeps,
  type ConversationSettings,
} from "../../src/core/conversation.js";
import { Feedback } from "../../src/core/feedback/feedback.js";
import type { ChatModel, Store, ToolRunner } from "../../src/core/ports.js";
import type { IncomingMessage } from "../../src/core/types.js";
import { createFileReaders } from "../../src/files/index.js";
import { createTokenCounter } from "../../src/llm/tokens.js";
import { silentLogger } from "../../src/log.js";
import { Metrics } from "../../src/metrics.js";
import { createMemoryStore } from "../../src/store/memory/store.js";
import { FactTools } from "./test-tools.js";

export const testSettings: ConversationSettings = {
  botName: "Test Bot",
  throttle: { requests: 100, windowMs: 60_000, dailyTokens: 1_000_000 },
  dedupTtlMs: 600_000,
  lockTtlMs: 5_000,
  lockWaitMs: 10_000,
  historyMaxTurns: 50,
  historyTtlMs: 3_600_000,
  contextTokenBudget: 8_000,
  attachmentTokenBudget: 40_000,
  maxOutputTokens: 512,
  maxInputChars: 8_000,
  maxToolRounds: 3,
  maxParallelToolCalls: 4,
};

/** A Conversation over the memory store (unless given another) with a test tool. */
export function makeConversation(opts: {
  model: ChatModel;
  store?: Store;
  tools?: ToolRunner;
  settings?: Partial<ConversationSettings>;
  /** Thumbs up / down on answers (as main.ts wires it); off when absent. */
  feedback?: boolean;
  /** The policy file's settings per place, and the models it names. */
  policy?: ConversationDeps["policy"];
  models?: ConversationDeps["models"];
  now?: () => number;
}) {
  const log = silentLogger();
  const store = opts.store ?? createMemoryStore({ log });
  const metrics = new Metrics();
  const feedback = opts.feedback
    ? new Feedback({
        store: store.feedback,
        metrics,
        log,
        settings: { ratingTtlMs: 30 * 24 * 3_600_000, turnTtlMs: 3_600_000 },
      })
    : undefined;
  const conversation = new Conversation({
    feedback,
    store,
    model: opts.model,
    tokens: createTokenCounter("gpt-4o-mini"),
    tools: opts.tools ?? new FactTools(),
    log,
    metrics,
    settings: { ...testSettings, ...opts.settings },
    // Attached images and PDFs are read as in production (sharp, PDF.js).
    files: createFileReaders(),
    policy: opts.policy,
    models: opts.models,
    ...(opts.now ? { now: opts.now } : {}),
  });
  // As main.ts: /forget erases ratings too.
  if (feedback) conversation.personalData.register(store.feedback);
  return { conversation, store, metrics, feedback };
}

let counter = 0;
/** A web-chat-like message; override any field. */
export function message(overrides: Partial<IncomingMessage> = {}): IncomingMessage {
  counter++;
  return {
    platform: "web",
    workspaceId: "local",
    channelId: "c1",
    threadId: "t1",
    userId: "u1",
    messageId: `m${counter}-${Date.now()}`,
    text: "hello",
    kind: "dm",
    ...overrides,
  };
}
