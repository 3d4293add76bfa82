/**
 * Slack's per-method budgets with two replicas on one real Redis (each replica its own core,
 * HTTP server and Redis connection, as two processes have), against the fake Slack enforcing the
 * documented tiers on windows scaled 20x (a minute is 3 s).
 */

import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../../src/config.js";
import type { ChatModel } from "../../../src/core/ports.js";
import { HttpServer } from "../../../src/http/server.js";
import { silentLogger } from "../../../src/log.js";
import { createSlackAdapter } from "../../../src/platforms/slack/index.js";
import { createRedisStore } from "../../../src/store/redis/store.js";
import { FAKE_BOT_TOKEN, FAKE_BOT_USER_ID, FakeSlack } from "../../fakes/slack-api.js";
import { eventEnvelope, FAKE_SIGNING_SECRET, HttpDelivery, mentionEvents } from "../../fakes/slack-events.js";
import { requires } from "../../support/binaries.js";
import { makeConversation } from "../../support/conversation.js";
import { startRedis, type TestRedis, uniquePrefix } from "../../support/redis.js";
import { reply, ScriptedModel } from "../../support/scripted-model.js";
import { eventually } from "./harness.js";

const TIME_SCALE = 20;
const words = (n: number, tag: string) => Array.from({ length: n }, (_, i) => `${tag}w${i}`).join(" ");
const perQuestionModel = (length: number, gapMs: number) =>
  new ScriptedModel((req) => {
    const q = /q\d+/.exec(String(req.messages.at(-1)?.content))?.[0] ?? "q";
    return reply(words(length, q), { gapMs });
  });

// Skipped (or, under CI=true, failed) without redis-server and REDIS_URL.
const needsRedis = requires("redis");

let redis: TestRedis;
beforeAll(async () => {
  if (!needsRedis.skip) redis = await startRedis();
});
afterAll(async () => {
  await redis?.stop();
});

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function startReplica(
  fake: FakeSlack,
  prefix: string,
  model: ChatModel,
  env: Record<string, string>,
  timeScale = TIME_SCALE,
) {
  const log = silentLogger();
  const store = await createRedisStore({ url: redis.url, prefix, log });
  const { conversation, metrics } = makeConversation({ model, store });
  const http = new HttpServer(log);
  const port = await http.listen(0, "127.0.0.1");
  const { env: parsed } = loadConfig({
    SLACK_BOT_TOKEN: FAKE_BOT_TOKEN,
    SLACK_SIGNING_SECRET: FAKE_SIGNING_SECRET,
    SLACK_API_URL: fake.apiUrl,
    ...env,
  });
  const adapter = createSlackAdapter({ env: parsed, conversation, http, store, log, metrics }, { timeScale });
  await adapter.start();
  cleanups.push(async () => {
    await adapter.stop();
    await adapter.idle();
    await http.close();
    await store.close();
  });
  return { adapter, delivery: new HttpDelivery(`http://127.0.0.1:${port}/slack/events`) };
}

describe("Slack budgets shared by replicas", needsRedis, () => {
  it("keeps two replicas answering 40 mentions at once within every per-method limit, all finals complete", async () => {
    const fake = await new FakeSlack({ timeScale: TIME_SCALE }).start();
    cleanups.push(() => fake.close());
    fake.addChannel({ id: "C1", name: "general" });
    fake.addUser({ id: "U1", name: "ana", realName: "Ana Lima" });
    const prefix = uniquePrefix("budgets");
    const model = perQuestionModel(60, 10);
    const replicas = [
      await startReplica(fake, prefix, model, {}),
      await startReplica(fake, prefix, model, {}),
    ];
    const roots = Array.from({ length: 40 }, () => fake.nextTs());
    // Each mention goes to either replica, as a load balancer sends them.
    await Promise.all(
      roots.map((ts, i) =>
        replicas[i % 2]!.delivery.event(
          eventEnvelope(
            mentionEvents({ channel: "C1", user: "U1", text: `<@${FAKE_BOT_USER_ID}> question q${i}`, ts })
              .appMention,
          ),
        ),
      ),
    );
    await eventually(() => roots.every((ts) => fake.botMessages("C1", ts)[0]), 20_000);
    await Promise.all(replicas.map((r) => r.adapter.idle()));
    expect(fake.rateLimited.map((c) => c.method)).toEqual([]);
    roots.forEach((ts, i) => {
      const msgs = fake.botMessages("C1", ts);
      expect(msgs).toHaveLength(1);
      expect(msgs[0] && fake.visibleText(msgs[0])).toBe(words(60, `q${i}`));
    });
    // Together the replicas opened no more streams than one Tier 2 window allows.
    expect(fake.callsOf("chat.startStream").length).toBeLessThanOrEqual(20);
  }, 60_000);

  it("lands a stream's final text at once when the stream can get no more appends", async () => {
    const fake = await new FakeSlack({ timeScale: 1 }).start();
    cleanups.push(() => fake.close());
    fake.addChannel({ id: "C1", name: "general" });
    fake.addUser({ id: "U1", name: "ana", realName: "Ana Lima" });
    // One append (and one update) per real minute. The answer takes ~4 s: its first append
    // (after the minimum interval) uses the window up, so a final text that waited for the window
    // would take a minute and not finish within this test's timeout.
    const env = { SLACK_APPEND_STREAM_PER_MINUTE: "1", SLACK_UPDATES_PER_MINUTE: "1" };
    const { adapter, delivery } = await startReplica(
      fake,
      uniquePrefix("budgets"),
      perQuestionModel(200, 20),
      env,
      1,
    );
    const ts = fake.nextTs();
    await delivery.event(
      eventEnvelope(
        mentionEvents({ channel: "C1", user: "U1", text: `<@${FAKE_BOT_USER_ID}> q0`, ts }).appMention,
      ),
    );
    await eventually(() => fake.botMessages("C1", ts)[0], 10_000);
    await adapter.idle();
    const [msg] = fake.botMessages("C1", ts);
    expect(msg && fake.visibleText(msg)).toBe(words(200, "q0"));
    expect(fake.callsOf("chat.startStream")).toHaveLength(1);
    expect(fake.callsOf("chat.stopStream")).toHaveLength(1);
    expect(fake.rateLimited).toEqual([]);
  }, 20_000);
});
