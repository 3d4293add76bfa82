/**
 * The Slack adapter wired like main.ts wires it (real Bolt receiver on the service's HttpServer,
 * or Socket Mode), against the fake Slack and the real conversation core with a scripted model.
 */

import { loadConfig } from "../../../src/config.js";
import type { ConversationSettings } from "../../../src/core/conversation.js";
import type { ChatModel, Store, ToolRunner } from "../../../src/core/ports.js";
import { HttpServer } from "../../../src/http/server.js";
import { silentLogger } from "../../../src/log.js";
import type { AdminCheck } from "../../../src/platforms/adapter.js";
import {
  createSlackAdapter,
  type SlackAdapter,
  type SlackAdapterOptions,
} from "../../../src/platforms/slack/index.js";
import { SHARE_ACTION_ID } from "../../../src/platforms/slack/render.js";
import type { PolicySetup } from "../../../src/policy/setup.js";
import {
  buttonsOf,
  FAKE_APP_TOKEN,
  FAKE_BOT_TOKEN,
  FakeSlack,
  type FakeSlackOptions,
} from "../../fakes/slack-api.js";
import {
  buttonClick,
  FAKE_SIGNING_SECRET,
  HttpDelivery,
  type SlackDelivery,
  SocketDelivery,
} from "../../fakes/slack-events.js";
import { makeConversation } from "../../support/conversation.js";

export interface Replica {
  adapter: SlackAdapter;
  delivery: SlackDelivery;
  close(): Promise<void>;
}

export interface Harness {
  fake: FakeSlack;
  adapter: SlackAdapter;
  delivery: SlackDelivery;
  http: HttpServer;
  eventsUrl: string;
  conversation: ReturnType<typeof makeConversation>["conversation"];
  store: Store;
  metrics: ReturnType<typeof makeConversation>["metrics"];
  /** Another replica of the service: own core and HTTP server, same store (unless given) and Slack. */
  startReplica(model: ChatModel, own?: { store?: Store; policy?: PolicySetup }): Promise<Replica>;
  close(): Promise<void>;
}

export async function startHarness(opts: {
  model: ChatModel;
  /** Rate windows of both the fake and the adapter are divided by this (default 10: a minute is 6 s). */
  timeScale?: number;
  mode?: "http" | "socket";
  env?: Record<string, string>;
  fake?: FakeSlackOptions;
  adapter?: SlackAdapterOptions;
  settings?: Partial<ConversationSettings>;
  tools?: ToolRunner;
  setup?: (fake: FakeSlack) => void;
  /** Who may run admin commands (the policy file's admins in the service). */
  admins?: AdminCheck;
  /** Default: a fresh memory store. */
  store?: Store;
  /** POLICY_FILE's pieces (src/policy/setup.ts): the turn's policy, admins, routing rules. */
  policy?: PolicySetup;
}): Promise<Harness> {
  const timeScale = opts.timeScale ?? 10;
  const fake = await new FakeSlack({ timeScale, ...opts.fake }).start();
  fake.addChannel({ id: "C1", name: "general" });
  fake.addUser({ id: "U1", name: "ana", realName: "Ana Lima" });
  fake.addUser({ id: "U2", name: "ben", realName: "Ben Ode" });
  opts.setup?.(fake);
  const { env } = loadConfig({
    SLACK_BOT_TOKEN: FAKE_BOT_TOKEN,
    SLACK_SIGNING_SECRET: FAKE_SIGNING_SECRET,
    SLACK_API_URL: fake.apiUrl,
    ...(opts.mode === "socket" ? { SLACK_APP_TOKEN: FAKE_APP_TOKEN } : {}),
    ...opts.env,
  });
  const { conversation, store, metrics } = makeConversation({
    model: opts.model,
    ...(opts.store ? { store: opts.store } : {}),
    ...(opts.policy ? { policy: opts.policy.policies } : {}),
    ...(opts.tools ? { tools: opts.tools } : {}),
    ...(opts.settings ? { settings: opts.settings } : {}),
  });
  const log = silentLogger();
  const http = new HttpServer(log);
  const port = await http.listen(0, "127.0.0.1");
  const policyDeps = (p: PolicySetup | undefined) => (p ? { admins: p.policies, replies: p.replies } : {});
  const adapter = createSlackAdapter(
    {
      env,
      conversation,
      http,
      store,
      log,
      metrics,
      ...policyDeps(opts.policy),
      ...(opts.admins ? { admins: opts.admins } : {}),
    },
    { timeScale, ...opts.adapter },
  );
  await adapter.start();
  const startReplica = async (
    model: ChatModel,
    own: { store?: Store; policy?: PolicySetup } = {},
  ): Promise<Replica> => {
    const other = makeConversation({
      model,
      store: own.store ?? store,
      ...(own.policy ? { policy: own.policy.policies } : {}),
    });
    const otherHttp = new HttpServer(log);
    const otherPort = await otherHttp.listen(0, "127.0.0.1");
    const deps = {
      env,
      conversation: other.conversation,
      http: otherHttp,
      store: own.store ?? store,
      log,
      metrics: other.metrics,
      ...policyDeps(own.policy),
    };
    const otherAdapter = createSlackAdapter(deps, { timeScale, ...opts.adapter });
    await otherAdapter.start();
    return {
      adapter: otherAdapter,
      delivery: new HttpDelivery(`http://127.0.0.1:${otherPort}/slack/events`),
      async close() {
        await otherAdapter.stop();
        await otherAdapter.idle();
        await otherHttp.close();
      },
    };
  };
  const eventsUrl = `http://127.0.0.1:${port}/slack/events`;
  const delivery = opts.mode === "socket" ? new SocketDelivery(fake) : new HttpDelivery(eventsUrl);
  if (opts.mode === "socket") await fake.socket.waitForConnection();
  return {
    fake,
    adapter,
    delivery,
    http,
    eventsUrl,
    conversation,
    store,
    metrics,
    startReplica,
    async close() {
      await adapter.stop();
      await adapter.idle();
      await http.close();
      await store.close();
      await fake.close();
    },
  };
}

/** Wait until `check` returns a value (polling the fake's recorded state); fails after `ms`. */
export async function eventually<T>(check: () => T | undefined | null | false, ms = 30_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** The asker presses Share on their private /summarize answer (waits for it to arrive first). */
export async function pressShare(h: Harness, user: string): Promise<void> {
  const post = await eventually(() =>
    h.fake.responsePosts.find((p) => buttonsOf((p.body.blocks as unknown[]) ?? []).length > 0),
  );
  await h.adapter.idle();
  const share = buttonsOf(post.body.blocks as unknown[]).find((b) => b.actionId === SHARE_ACTION_ID);
  if (!share) throw new Error("the private summary has no Share button");
  await h.delivery.action(
    buttonClick({
      fake: h.fake,
      channel: "C1",
      user,
      messageTs: "0",
      actionId: SHARE_ACTION_ID,
      value: share.value,
    }),
  );
}
