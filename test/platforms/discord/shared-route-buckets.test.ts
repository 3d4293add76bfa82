import { afterEach, describe, expect, it } from "vitest";
import { PlatformError } from "../../../src/core/errors.js";
import type { RateBudgetStore } from "../../../src/core/ports.js";
import { silentLogger } from "../../../src/log.js";
import { Metrics } from "../../../src/metrics.js";
import { createRest } from "../../../src/platforms/discord/rest.js";
import { sharedRouteOf } from "../../../src/platforms/discord/route-budgets.js";
import { ChannelSink } from "../../../src/platforms/discord/sink.js";
import { createMemoryStore } from "../../../src/store/memory/store.js";
import { type FakeDiscord, startFakeDiscord } from "../../fakes/discord/index.js";

/** The fake's send bucket: Discord's 5 per 5 s, scaled to 1 s so the test runs in seconds. */
const SEND_LIMIT = 5;
const SEND_WINDOW_MS = 1000;

describe("Discord channel buckets shared by replicas", () => {
  let fake: FakeDiscord;
  const log = silentLogger();

  afterEach(async () => {
    await fake?.close();
  });

  /** One replica's REST client and answer sink for `channelId`, sharing `budgets` (the store). */
  function replica(budgets: RateBudgetStore | null, channelId: string): ChannelSink {
    const rest = createRest({
      apiUrl: fake.apiUrl,
      token: fake.token,
      metrics: new Metrics(),
      log,
      ...(budgets ? { shared: { budgets, scope: "discord:app1" } } : {}),
    });
    return new ChannelSink(
      { rest, kv: createMemoryStore({ log }).kv, log, rootTtlMs: 60_000 },
      { kind: "channel", channelId, sourceMessageId: "0", replyToSource: false, rootId: null },
      { userId: "1", messageId: "2" },
    );
  }

  async function postFromTwoReplicas(budgets: RateBudgetStore | null, count: number) {
    fake = await startFakeDiscord({
      rules: { createMessage: { limit: SEND_LIMIT, windowMs: SEND_WINDOW_MS } },
    });
    const channel = fake.addChannel(fake.addGuild("g"), "general");
    const [a, b] = [replica(budgets, channel.id), replica(budgets, channel.id)];
    await Promise.all(
      Array.from({ length: count }, (_, i) => (i % 2 ? a : b).post(`message ${i}`, "done").catch(() => null)),
    );
    return fake.botMessages(channel.id).length;
  }

  it("keeps two replicas posting in one channel within its send bucket: every message, no 429", async () => {
    const budgets = createMemoryStore({ log }).budgets; // the store both replicas use
    const posted = await postFromTwoReplicas(budgets, 12);
    expect(posted).toBe(12);
    expect(fake.rateLimitedCount).toBe(0);
  });

  it("keeps two replicas editing in one channel within its edit bucket: a full bucket is a wait, never a 429", async () => {
    fake = await startFakeDiscord({
      rules: { editMessage: { limit: SEND_LIMIT, windowMs: SEND_WINDOW_MS } },
    });
    const channel = fake.addChannel(fake.addGuild("g"), "general");
    const budgets = createMemoryStore({ log }).budgets;
    const [a, b] = [replica(budgets, channel.id), replica(budgets, channel.id)];
    const ref = await a.post("v0", "streaming");
    const outcomes = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        (i % 2 ? a : b).edit(ref, `v${i + 1}`, "streaming").then(
          () => "edited",
          (err: unknown) => (err instanceof PlatformError ? err.code : "other"),
        ),
      ),
    );
    expect(outcomes.filter((o) => o === "edited").length).toBeGreaterThanOrEqual(SEND_LIMIT);
    expect(outcomes.every((o) => o === "edited" || o === "ratelimited")).toBe(true);
    expect(fake.rateLimitedCount).toBe(0);
  });

  it("draws 429s from the same burst when each replica keeps the bucket to itself", async () => {
    // The case the shared bucket exists for: without it both replicas spend the channel's sends.
    await postFromTwoReplicas(null, 12);
    expect(fake.rateLimitedCount).toBeGreaterThan(0);
  });

  it("shares the channel routes with buckets of their own, message edits included", () => {
    const api = "http://127.0.0.1:1/api/v10";
    expect(sharedRouteOf("POST", `${api}/channels/123/messages`)).toEqual({
      channelId: "123",
      route: "POST /channels/:id/messages",
    });
    expect(sharedRouteOf("POST", `${api}/channels/123/typing`)?.route).toBe("POST /channels/:id/typing");
    expect(sharedRouteOf("POST", `${api}/channels/123/messages/456/threads`)?.route).toBe(
      "POST /channels/:id/messages/:id/threads",
    );
    expect(sharedRouteOf("PATCH", `${api}/channels/123/messages/456`)?.route).toBe(
      "PATCH /channels/:id/messages/:id",
    );
    expect(sharedRouteOf("PATCH", `${api}/channels/123`)).toBeNull();
    expect(sharedRouteOf("POST", `${api}/interactions/1/tok/callback`)).toBeNull();
  });
});
