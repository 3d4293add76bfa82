/**
 * Hand-offs that nobody finishes in time, and team replies that cross a Return
 * (core/handoff/service.ts, core/handoff/expiry.ts), against the memory store with a controlled
 * clock and a customer conversation whose posts can be held.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { ConversationPoster, TeamDesk } from "../../src/core/handoff/ports.js";
import type { HandoffRecord, TeamThreadRef } from "../../src/core/handoff/record.js";
import { HandoffService } from "../../src/core/handoff/service.js";
import { HANDOFF_TEXT } from "../../src/core/handoff/texts.js";
import type { MessageSink, Store } from "../../src/core/ports.js";
import { type ConversationRef, threadKeyOf } from "../../src/core/types.js";
import { silentLogger } from "../../src/log.js";
import { Metrics } from "../../src/metrics.js";
import { createMemoryStore } from "../../src/store/memory/store.js";
import { createRedisStore } from "../../src/store/redis/store.js";
import { requires } from "../support/binaries.js";
import { message, testSettings } from "../support/conversation.js";
import { RecordingSink } from "../support/recording-sink.js";
import {
  deleteKeys,
  startRedis,
  type TestRedis,
  uniquePrefix,
  usingExternalRedis,
} from "../support/redis.js";

const conversation: ConversationRef = {
  platform: "slack",
  workspaceId: "T1",
  channelId: "D1",
  threadId: "main",
};
const TTL_MS = 600_000;

class HoldablePoster implements ConversationPoster {
  readonly platform = "slack" as const;
  readonly said: string[] = [];
  /** While set, a post containing this text waits until `release()`. */
  holdOn: string | undefined;
  private held: (() => void) | undefined;
  private reached: (() => void) | undefined;
  readonly heldReached = new Promise<void>((resolve) => {
    this.reached = resolve;
  });
  async post(_conv: ConversationRef, text: string): Promise<void> {
    if (this.holdOn && text.includes(this.holdOn)) {
      await new Promise<void>((resolve) => {
        this.held = resolve;
        this.reached?.();
      });
    }
    this.said.push(text);
  }
  release(): void {
    this.held?.();
  }
}

class RecordingDesk implements TeamDesk {
  readonly platform = "slack" as const;
  readonly notes: string[] = [];
  readonly updates: string[] = [];
  async announce(rec: HandoffRecord): Promise<TeamThreadRef> {
    return { platform: "slack", channelId: "CTEAM", threadId: `t-${rec.id}`, messageId: `t-${rec.id}` };
  }
  summarySink(): MessageSink {
    return new RecordingSink();
  }
  async note(_team: TeamThreadRef, text: string): Promise<void> {
    this.notes.push(text);
  }
  async relay(): Promise<void> {}
  async update(rec: HandoffRecord): Promise<void> {
    this.updates.push(rec.status);
  }
}

let store: Store | undefined;
const others: Store[] = [];
afterEach(async () => {
  for (const s of others.splice(0)) await s.close();
  await store?.close();
  store = undefined;
});

/** Two replicas: on one memory store, or (`second`) each on its own connection to one Redis. */
async function setup(second?: () => Promise<Store>, first?: Store) {
  store = first ?? createMemoryStore({ log: silentLogger() });
  const secondStore = second ? await second() : store;
  if (secondStore !== store) others.push(secondStore);
  let now = 1_000_000;
  const clock = { advance: (ms: number) => (now += ms) };
  const replica = (on: Store) =>
    new HandoffService({
      store: on.handoffs,
      threads: on.threads,
      summarize: async () => ({ outcome: "answered", text: "summary" }) as never,
      log: silentLogger(),
      metrics: new Metrics(),
      now: () => now,
      settings: {
        ttlMs: TTL_MS,
        fallbackText: "Write to support@example.com.",
        teamPlatform: "slack",
        botName: testSettings.botName,
        historyMaxTurns: testSettings.historyMaxTurns,
        historyTtlMs: testSettings.historyTtlMs,
      },
    });
  const poster = new HoldablePoster();
  const desk = new RecordingDesk();
  const one = replica(store);
  const two = replica(secondStore);
  for (const s of [one, two]) {
    s.registerPoster(poster);
    s.registerDesk(desk);
  }
  await one.request({
    conversation,
    userScope: "T1",
    userId: "U1",
    userName: "Ana",
    reason: "refund",
    trigger: "command",
  });
  await one.idle();
  const open = await one.store.activeFor(threadKeyOf(conversation));
  if (!open) throw new Error("the hand-off did not open");
  const team = { platform: "slack" as const, channelId: "CTEAM", threadId: `t-${open.id}` };
  const history = async () =>
    (await (store as Store).threads.load(threadKeyOf(conversation))).flatMap((t) => t.entries);
  return { one, two, poster, desk, id: open.id, team, clock, history };
}

describe("a hand-off nobody finishes in time", () => {
  it("goes back to the assistant once, telling the customer and the team, even with two replicas sweeping", async () => {
    const { one, two, poster, desk, id, clock, history } = await setup();
    expect(await one.expireDue(50)).toBe(0);
    clock.advance(TTL_MS);
    const swept = await Promise.all([one.expireDue(50), two.expireDue(50)]);
    expect(swept[0] + swept[1]).toBe(1);
    expect(poster.said.filter((t) => t === HANDOFF_TEXT.expired)).toHaveLength(1);
    expect(desk.notes.filter((t) => t === HANDOFF_TEXT.expiredTeam)).toHaveLength(1);
    expect((await one.store.get(id))?.status).toBe("closed");
    expect(await one.store.activeFor(threadKeyOf(conversation))).toBeUndefined();
    expect((await history()).at(-1)).toEqual({ role: "assistant", content: HANDOFF_TEXT.expired });
    expect(await one.expireDue(50)).toBe(0);
  });

  it("tells a team member who replies after it expired that the customer no longer hears them", async () => {
    const { one, poster, desk, team, clock } = await setup();
    clock.advance(TTL_MS);
    await one.expireDue(50);
    const told = poster.said.length;
    expect(await one.teamReply({ team, messageId: "5.5", author: "Bea", text: "Sorry for the wait!" })).toBe(
      true,
    );
    expect(poster.said.length).toBe(told);
    expect(desk.notes.at(-1)).toBe(HANDOFF_TEXT.replyAfterReturn);
  });

  it("hands a claimed hand-off back when the team replies after its deadline, before any sweep", async () => {
    const { one, poster, desk, team, clock } = await setup();
    await one.claim((await one.store.activeFor(threadKeyOf(conversation)))?.id ?? "", "Bea");
    clock.advance(TTL_MS + 1);
    await one.teamReply({ team, messageId: "6.6", author: "Bea", text: "Still there?" });
    expect(poster.said.at(-1)).toBe(HANDOFF_TEXT.expired);
    expect(poster.said.join("\n")).not.toContain("Still there?");
    expect(desk.notes).toContain(HANDOFF_TEXT.replyAfterReturn);
  });

  it("answers a customer who writes after the deadline instead of relaying to a thread nobody reads", async () => {
    const { one, poster, clock } = await setup();
    clock.advance(TTL_MS);
    const msg = message({ ...conversation, userId: "U1", userScope: "T1", kind: "dm", text: "Hello?" });
    expect(await one.relayCustomer(msg)).toBe(false);
    expect(poster.said.at(-1)).toBe(HANDOFF_TEXT.expired);
  });
});

describe("a team reply that crosses Return", () => {
  it("reaches the customer before 'handed back' and is in the history, in order", async () => {
    const { one, two, poster, id, team, history } = await setup();
    poster.holdOn = "On its way";
    const reply = one.teamReply({ team, messageId: "7.7", author: "Bea", text: "On its way, sorry!" });
    await poster.heldReached;
    // Return pressed on the other replica while the reply is on its way to the customer: it
    // either finishes at once or finds the conversation locked by the reply.
    const threads = (store as Store).threads;
    const acquire = threads.acquire.bind(threads);
    let refused: () => void = () => {};
    const foundLocked = new Promise<void>((resolve) => {
      refused = resolve;
    });
    threads.acquire = async (...args) => {
      const got = await acquire(...args);
      if (!got.acquired) refused();
      return got;
    };
    const back = two.giveBack(id, "Bea");
    await Promise.race([back, foundLocked]);
    poster.release();
    await Promise.all([reply, back]);
    const said = poster.said.filter((t) => t.includes("On its way") || t === HANDOFF_TEXT.returned("Bea"));
    expect(said).toEqual([HANDOFF_TEXT.teamReply("Bea", "On its way, sorry!"), HANDOFF_TEXT.returned("Bea")]);
    expect((await history()).map((e) => e.content)).toEqual([
      "[Bea, a person from the support team, wrote:] On its way, sorry!",
      HANDOFF_TEXT.returned("Bea"),
    ]);
  });
});

describe("a hand-off nobody finishes in time, two replicas on one Redis", requires("redis"), () => {
  let redis: TestRedis;
  let prefix = "";
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await redis?.stop();
  });
  afterEach(async () => {
    if (usingExternalRedis()) await deleteKeys(redis.url, prefix);
  });

  it("goes back to the assistant once when both replicas sweep at the same moment", async () => {
    prefix = uniquePrefix("handoff-expiry");
    const connect = () => createRedisStore({ url: redis.url, prefix, log: silentLogger() });
    const { one, two, poster, desk, id, clock } = await setup(connect, await connect());
    clock.advance(TTL_MS);
    const swept = await Promise.all([one.expireDue(50), two.expireDue(50)]);
    expect(swept[0] + swept[1]).toBe(1);
    expect(poster.said.filter((t) => t === HANDOFF_TEXT.expired)).toHaveLength(1);
    expect(desk.notes.filter((t) => t === HANDOFF_TEXT.expiredTeam)).toHaveLength(1);
    expect((await one.store.get(id))?.status).toBe("closed");
  });
});
