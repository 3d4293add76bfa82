/**
 * Wiring for Discord adapter tests: a fake Discord, the real core (memory store, scripted
 * model), and the adapter connected through a real discord.js Client. Bucket windows and the
 * adapter's edit budget are scaled down together so tests run in seconds.
 */
import { loadConfig } from "../../../src/config.js";
import type { Conversation, ConversationSettings } from "../../../src/core/conversation.js";
import type { ChatModel, Store, ToolRunner } from "../../../src/core/ports.js";
import { HttpServer } from "../../../src/http/server.js";
import { silentLogger } from "../../../src/log.js";
import type { Metrics } from "../../../src/metrics.js";
import type { AdminCheck, PlatformAdapter } from "../../../src/platforms/adapter.js";
import { createDiscordAdapter } from "../../../src/platforms/discord/index.js";
import type { EditBudgetShape } from "../../../src/platforms/discord/render.js";
import type { PolicySetup } from "../../../src/policy/setup.js";
import {
  type FakeChannel,
  type FakeDiscord,
  type FakeDiscordOptions,
  type FakeGuild,
  type FakeMessage,
  type FakeUser,
  startFakeDiscord,
} from "../../fakes/discord/index.js";
import { makeConversation } from "../../support/conversation.js";

/** Discord's windows x 0.1: 5 edits per 500 ms per channel. */
export const WINDOW_SCALE = 0.1;
/**
 * The adapter's budget for those windows: 5 edits per 500 ms plus the same kind of margin as in
 * production (discord.js' 50 ms reset offset and scheduling jitter on a busy test machine do
 * not scale down), one edit of a message per 100 ms.
 */
export const TEST_BUDGET: EditBudgetShape = { edits: 5, windowMs: 600, minEditIntervalMs: 100 };

export interface Replica {
  adapter: PlatformAdapter;
  conversation: Conversation;
  metrics: Metrics;
  store: Store;
}

/** Start one adapter ("replica") against `fake`. */
export async function startReplica(
  fake: FakeDiscord,
  opts: {
    model: ChatModel;
    store?: Store;
    tools?: ToolRunner;
    env?: Record<string, string>;
    settings?: Partial<ConversationSettings>;
    budget?: EditBudgetShape;
    globalRequestsPerSecond?: number;
    /** Who may run admin commands (the policy file's admins in the service). */
    admins?: AdminCheck;
    /** POLICY_FILE's pieces (src/policy/setup.ts): the turn's policy, admins, routing rules. */
    policy?: PolicySetup;
  },
): Promise<Replica> {
  const { conversation, store, metrics } = makeConversation({
    model: opts.model,
    ...(opts.policy ? { policy: opts.policy.policies } : {}),
    ...(opts.store ? { store: opts.store } : {}),
    ...(opts.tools ? { tools: opts.tools } : {}),
    ...(opts.settings ? { settings: opts.settings } : {}),
  });
  const { env } = loadConfig({
    DISCORD_TOKEN: fake.token,
    DISCORD_APPLICATION_ID: fake.applicationId,
    DISCORD_API_URL: fake.apiUrl,
    LOG_LEVEL: "silent",
    ...opts.env,
  });
  const log = silentLogger();
  const adapter = createDiscordAdapter(
    {
      env,
      conversation,
      http: new HttpServer(log),
      store,
      log,
      metrics,
      ...(opts.policy ? { admins: opts.policy.policies, replies: opts.policy.replies } : {}),
      ...(opts.admins ? { admins: opts.admins } : {}),
    },
    {
      editBudget: opts.budget ?? TEST_BUDGET,
      readyTimeoutMs: 10_000,
      ...(opts.globalRequestsPerSecond ? { globalRequestsPerSecond: opts.globalRequestsPerSecond } : {}),
    },
  );
  await adapter.start();
  return { adapter, conversation, metrics, store };
}

export interface Scene {
  fake: FakeDiscord;
  guild: FakeGuild;
  general: FakeChannel;
  alice: FakeUser;
  bob: FakeUser;
}

export async function startScene(fakeOpts: FakeDiscordOptions = {}): Promise<Scene> {
  const fake = await startFakeDiscord({ windowScale: WINDOW_SCALE, ...fakeOpts });
  const guild = fake.addGuild("Support Server");
  return {
    fake,
    guild,
    general: fake.addChannel(guild, "general"),
    alice: fake.addUser("alice"),
    bob: fake.addUser("bob"),
  };
}

/** The bot's final message in a channel, once its Stop button is gone (the answer is final). */
export function finished(fake: FakeDiscord, channelId: string, count = 1): FakeMessage[] | undefined {
  const messages = fake.botMessages(channelId);
  if (messages.length < count) return undefined;
  return messages.every((m) => m.components.length === 0 && !m.content.startsWith("…"))
    ? messages
    : undefined;
}

/** Counter values from a prom-client metric, summed over label sets matching `labels`. */
export async function metricSum(
  metric: { get(): Promise<{ values: { value: number; labels: Record<string, string | number> }[] }> },
  labels: Record<string, string> = {},
): Promise<number> {
  const { values } = await metric.get();
  return values
    .filter((v) => Object.entries(labels).every(([k, want]) => v.labels[k] === want))
    .reduce((sum, v) => sum + v.value, 0);
}
