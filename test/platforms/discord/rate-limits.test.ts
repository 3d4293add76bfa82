import { Routes } from "discord.js";
import pino from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { PlatformError, StoreError } from "../../../src/core/errors.js";
import type { RateBudgetStore } from "../../../src/core/ports.js";
import { silentLogger } from "../../../src/log.js";
import { Metrics } from "../../../src/metrics.js";
import { createRest } from "../../../src/platforms/discord/rest.js";
import { ChannelSink } from "../../../src/platforms/discord/sink.js";
import { createMemoryStore } from "../../../src/store/memory/store.js";
import { type FakeChannel, type FakeDiscord, startFakeDiscord } from "../../fakes/discord/index.js";
import { metricSum } from "./harness.js";

/** The fake's message bucket window where a test waits for a bucket to refill (Discord's is 5 s). */
const WINDOW_MS = 300;
/**
 * The window where a test needs the bucket to stay empty: longer than any test here runs, so a
 * busy machine cannot let it refill between two calls (with 300 ms it did).
 */
const NO_REFILL_MS = 60_000;

describe("Discord rate limits", () => {
  let fake: FakeDiscord;
  let channel: FakeChannel;
  const log = silentLogger();
  const kv = createMemoryStore({ log }).kv;

  afterEach(async () => {
    await fake?.close();
  });

  async function setup(limit: number, windowMs = WINDOW_MS): Promise<void> {
    fake = await startFakeDiscord({
      rules: { createMessage: { limit, windowMs }, editMessage: { limit, windowMs } },
    });
    channel = fake.addChannel(fake.addGuild("g"), "general");
  }

  function sinkWith(metrics: Metrics): ChannelSink {
    const rest = createRest({ apiUrl: fake.apiUrl, token: fake.token, metrics, log });
    return new ChannelSink(
      { rest, kv, log, rootTtlMs: 60_000 },
      { kind: "channel", channelId: channel.id, sourceMessageId: "0", replyToSource: false, rootId: null },
      { userId: "1", messageId: "2" },
    );
  }

  it("keeps two replicas together within the bot's global limit, with no per-replica share to set", async () => {
    fake = await startFakeDiscord({ globalPerSecond: 10 });
    const budgets = createMemoryStore({ log }).budgets; // the store both replicas use
    const replica = () =>
      createRest({
        apiUrl: fake.apiUrl,
        token: fake.token,
        metrics: new Metrics(),
        log,
        globalRequestsPerSecond: 10,
        shared: { budgets, scope: "discord:app1" },
      });
    const [a, b] = [replica(), replica()];
    await Promise.all(Array.from({ length: 30 }, (_, i) => (i % 2 ? a : b).get(Routes.user("@me"))));
    // A route without a bucket of its own: only the global limit applies.
    expect(fake.requests.filter((r) => r.route === "GET /users/@me")).toHaveLength(30);
    expect(fake.rateLimitedCount).toBe(0);
  });

  it("books a burst of requests on different routes with one store call", async () => {
    fake = await startFakeDiscord({ globalPerSecond: 50 });
    const channels = Array.from({ length: 8 }, (_, i) => fake.addChannel(fake.addGuild(`g${i}`), "general"));
    const memory = createMemoryStore({ log }).budgets;
    const batches: number[] = [];
    const budgets: RateBudgetStore = {
      ...memory,
      bookEach: (req) => {
        batches.push(req.ids.length);
        return memory.bookEach(req);
      },
    };
    const rest = createRest({
      apiUrl: fake.apiUrl,
      token: fake.token,
      metrics: new Metrics(),
      log,
      globalRequestsPerSecond: 45,
      shared: { budgets, scope: "discord:app1" },
    });
    // One request per channel: discord.js sends them at once (one queue per route and channel).
    await Promise.all(channels.map((c) => rest.get(Routes.channel(c.id))));
    expect(fake.requests.filter((r) => r.route === "GET /channels/:id")).toHaveLength(8);
    expect(batches).toEqual([8]);
  });

  it("keeps a request held up on its way within the global limit: its slot counts until it is answered", async () => {
    fake = await startFakeDiscord({ globalPerSecond: 10 });
    const rest = createRest({
      apiUrl: fake.apiUrl,
      token: fake.token,
      metrics: new Metrics(),
      log,
      globalRequestsPerSecond: 10,
      shared: { budgets: createMemoryStore({ log }).budgets, scope: "discord:app1" },
    });
    // The first request reaches Discord 300 ms after it left: Discord's second starts then, and
    // a limit counted from when requests were allowed out would let the eleventh into it.
    fake.rest.arrivalDelays.push(300);
    for (let i = 0; i < 11; i++) await rest.get(Routes.user("@me"));
    const arrivals = fake.requests.filter((r) => r.route === "GET /users/@me").map((r) => r.at);
    expect(arrivals).toHaveLength(11);
    expect(arrivals[10]! - arrivals[0]!).toBeGreaterThanOrEqual(1000);
    expect(fake.rateLimitedCount).toBe(0);
  });

  it("sends anyway while the store is down, says so once, and keeps the limit again when it is back", async () => {
    // Discord allows more than the bot's 10 a second here: the requests sent uncounted during the
    // outage must not turn into 429s that would hide what the limit does afterwards.
    fake = await startFakeDiscord({ globalPerSecond: 50 });
    const memory = createMemoryStore({ log }).budgets;
    let down = true;
    const budgets: RateBudgetStore = {
      grant: (req) => memory.grant(req),
      book: (req) => memory.book(req),
      bookEach: (req) =>
        down ? Promise.reject(new StoreError("redis bookEach failed: not connected")) : memory.bookEach(req),
      settle: (req) => memory.settle(req),
    };
    const lines: { msg: string }[] = [];
    const logger = pino({ level: "info" }, { write: (line: string) => lines.push(JSON.parse(line)) });
    const rest = createRest({
      apiUrl: fake.apiUrl,
      token: fake.token,
      metrics: new Metrics(),
      log: logger,
      globalRequestsPerSecond: 10,
      shared: { budgets, scope: "discord:app1" },
    });

    for (let i = 0; i < 15; i++) await rest.get(Routes.user("@me"));
    expect(fake.requests).toHaveLength(15);
    expect(lines.filter((l) => l.msg.includes("global limit unavailable"))).toHaveLength(1);

    down = false;
    for (let i = 0; i < 11; i++) await rest.get(Routes.user("@me"));
    // Ten a second again: the eleventh waited for the first's slot to leave the window.
    const arrivals = fake.requests.slice(15).map((r) => r.at);
    expect(arrivals).toHaveLength(11);
    expect(arrivals[10]! - arrivals[0]!).toBeGreaterThanOrEqual(1000);
    expect(lines.filter((l) => l.msg.includes("kept in the store again"))).toHaveLength(1);
    expect(fake.rateLimitedCount).toBe(0);
  });

  it("hands an exhausted edit bucket to the scheduler as a wait, without sending the request", async () => {
    await setup(2, NO_REFILL_MS);
    const metrics = new Metrics();
    const sink = sinkWith(metrics);
    const ref = await sink.post("v0", "streaming");

    await sink.edit(ref, "v1", "streaming");
    await sink.edit(ref, "v2", "streaming");
    const err = await sink.edit(ref, "v3", "streaming").catch((e: unknown) => e);

    expect(err).toBeInstanceOf(PlatformError);
    expect((err as PlatformError).code).toBe("ratelimited");
    expect((err as PlatformError).retryAfterMs).toBeGreaterThan(0);
    expect((err as PlatformError).retryAfterMs).toBeLessThanOrEqual(NO_REFILL_MS + 100);
    expect(fake.requests.filter((r) => r.route === "PATCH /channels/:id/messages/:id")).toHaveLength(2);
    expect(fake.rateLimitedCount).toBe(0);
    expect(await metricSum(metrics.platformCalls, { method: "PATCH /channels/:id/messages/:id" })).toBe(2);
  });

  it("reports a real 429 with Discord's retry time and counts it", async () => {
    await setup(1, NO_REFILL_MS);
    // Two processes sharing one bucket: the second cannot know the first used it up.
    const ref = await sinkWith(new Metrics()).post("an answer", "streaming");
    await sinkWith(new Metrics()).edit(ref, "edited by another replica", "streaming");
    const metrics = new Metrics();
    const err = await sinkWith(metrics)
      .edit(ref, "edited by this replica", "streaming")
      .catch((e: unknown) => e);

    expect((err as PlatformError).code).toBe("ratelimited");
    expect((err as PlatformError).retryAfterMs).toBeGreaterThan(0);
    expect(fake.rateLimitedCount).toBe(1);
    expect(await metricSum(metrics.platformRateLimited, { method: "PATCH /channels/:id/messages/:id" })).toBe(
      1,
    );
  });

  it("waits out the channel's send bucket for a new message instead of pausing the edits", async () => {
    await setup(1);
    const sink = sinkWith(new Metrics());
    await sink.post("first part", "done");

    await sink.post("second part", "streaming");
    await sink.notice("You're sending messages faster than I can answer.");

    expect(fake.botMessages(channel.id).map((m) => m.content)).toEqual([
      "first part",
      "second part",
      "You're sending messages faster than I can answer.",
    ]);
  });

  it("translates Discord errors into platform errors with their meaning", async () => {
    await setup(5);
    const sink = sinkWith(new Metrics());
    const err = await sink.edit("1234567890123456789", "text", "done").catch((e: unknown) => e);

    expect(err).toBeInstanceOf(PlatformError);
    expect((err as PlatformError).code).toBe("unknown_message");
    expect((err as PlatformError).isRateLimit).toBe(false);
  });
});
