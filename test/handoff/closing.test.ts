/**
 * How a hand-off ends (core/handoff/service.ts), against the memory store and a recording team
 * desk: when the team channel stops taking posts, what the history holds after Return, and what
 * `/forget` erases of what the customer wrote to the team.
 */
import { afterEach, describe, expect, it } from "vitest";
import type { ConversationPoster, TeamDesk } from "../../src/core/handoff/ports.js";
import type { HandoffRecord, TeamThreadRef } from "../../src/core/handoff/record.js";
import { HandoffService } from "../../src/core/handoff/service.js";
import { HANDOFF_TEXT } from "../../src/core/handoff/texts.js";
import type { HandoffRequest, MessageSink, Store } from "../../src/core/ports.js";
import { type ConversationRef, type TranscriptLine, threadKeyOf, userKeyOf } from "../../src/core/types.js";
import { silentLogger } from "../../src/log.js";
import { Metrics } from "../../src/metrics.js";
import { createMemoryStore } from "../../src/store/memory/store.js";
import { message, testSettings } from "../support/conversation.js";
import { RecordingSink } from "../support/recording-sink.js";

const conversation: ConversationRef = {
  platform: "slack",
  workspaceId: "T1",
  channelId: "D1",
  threadId: "main",
};
const customer = { platform: "slack" as const, userScope: "T1", userId: "U1" };

class RecordingPoster implements ConversationPoster {
  readonly platform = "slack" as const;
  readonly said: string[] = [];
  /** Set to make posting into the customer's conversation fail (they left it). */
  gone = false;
  async post(_conv: ConversationRef, text: string): Promise<void> {
    if (this.gone) throw new Error("channel_not_found");
    this.said.push(text);
  }
}

class RecordingDesk implements TeamDesk {
  readonly platform = "slack" as const;
  readonly relayed: string[] = [];
  /** Set to make posting into the team thread fail (the bot was removed from the channel). */
  unreachable = false;
  async announce(rec: HandoffRecord): Promise<TeamThreadRef> {
    return { platform: "slack", channelId: "CTEAM", threadId: `t-${rec.id}`, messageId: `t-${rec.id}` };
  }
  summarySink(): MessageSink {
    return new RecordingSink();
  }
  readonly notes: string[] = [];
  readonly updates: string[] = [];
  async note(_team: TeamThreadRef, text: string): Promise<void> {
    this.notes.push(text);
  }
  async relay(_team: TeamThreadRef, author: string, text: string): Promise<void> {
    if (this.unreachable) throw new Error("not_in_channel");
    this.relayed.push(`${author}: ${text}`);
  }
  async update(rec: HandoffRecord): Promise<void> {
    this.updates.push(rec.status);
  }
}

let store: Store | undefined;
afterEach(async () => {
  await store?.close();
  store = undefined;
});

async function setup(request: Partial<HandoffRequest> = {}) {
  store = createMemoryStore({ log: silentLogger() });
  const summarized: TranscriptLine[][] = [];
  const service = new HandoffService({
    store: store.handoffs,
    threads: store.threads,
    summarize: async (req) => {
      summarized.push(req.lines);
      return { outcome: "answered", text: "summary" } as never;
    },
    log: silentLogger(),
    metrics: new Metrics(),
    settings: {
      ttlMs: 3_600_000,
      fallbackText: "Write to support@example.com.",
      teamPlatform: "slack",
      botName: testSettings.botName,
      historyMaxTurns: testSettings.historyMaxTurns,
      historyTtlMs: testSettings.historyTtlMs,
    },
  });
  const poster = new RecordingPoster();
  const desk = new RecordingDesk();
  service.registerPoster(poster);
  service.registerDesk(desk);
  await service.request({
    conversation,
    ...customer,
    userName: "Ana",
    reason: "refund",
    trigger: "command",
    ...request,
  });
  await service.idle();
  const open = await service.store.activeFor(threadKeyOf(conversation));
  if (!open) throw new Error("the hand-off did not open");
  const customerSays = (text: string) =>
    service.relayCustomer(message({ ...conversation, userId: "U1", userScope: "T1", kind: "dm", text }));
  return { service, poster, desk, id: open.id, threads: store.threads, customerSays, summarized };
}

describe("the end of a hand-off", () => {
  it("gives the conversation back to the assistant, and tells the customer, when the team channel stops taking posts", async () => {
    const { service, poster, desk, id, threads, customerSays } = await setup();
    expect(await customerSays("Is anyone there?")).toBe(true);
    desk.unreachable = true;
    // Not relayed: the turn answers this message instead of leaving the customer waiting on no one.
    expect(await customerSays("Hello??")).toBe(false);
    expect(await service.store.activeFor(threadKeyOf(conversation))).toBeUndefined();
    expect((await service.store.get(id))?.status).toBe("closed");
    expect(poster.said.at(-1)).toBe(HANDOFF_TEXT.teamUnreachable);
    // The message the team never saw is not in the history twice (the answering turn saves it).
    const saved = (await threads.load(threadKeyOf(conversation))).flatMap((t) => t.entries);
    expect(saved.filter((e) => e.role === "user").map((e) => e.content)).toEqual(["Is anyone there?"]);
    expect(desk.relayed).toEqual(["Ana: Is anyone there?"]);
  });

  it("tells the model the hand-off is over after Return, even when nobody wrote anything", async () => {
    const { service, id, threads } = await setup();
    expect(await service.giveBack(id, "Bea")).toBe(true);
    const saved = (await threads.load(threadKeyOf(conversation))).flatMap((t) => t.entries);
    expect(saved.at(-1)).toEqual({ role: "assistant", content: HANDOFF_TEXT.returned("Bea") });
  });

  it("keeps the team's replies and the customer's messages in order, then the return", async () => {
    const { service, id, threads, customerSays } = await setup();
    await customerSays("My order never came");
    await service.teamReply({
      team: { platform: "slack", channelId: "CTEAM", threadId: `t-${id}` },
      messageId: "1.1",
      author: "Bea",
      text: "Sorry! Checking now.",
    });
    await customerSays("Thanks");
    await service.giveBack(id, "Bea");
    const saved = (await threads.load(threadKeyOf(conversation))).flatMap((t) => t.entries);
    expect(saved.map((e) => e.role)).toEqual(["user", "assistant", "user", "assistant"]);
    expect(saved.map((e) => e.content)).toEqual([
      "My order never came",
      "[Bea, a person from the support team, wrote:] Sorry! Checking now.",
      "Thanks",
      HANDOFF_TEXT.returned("Bea"),
    ]);
  });

  it("erases what the customer wrote to the team with /forget, even with no other turn in the conversation", async () => {
    const { service, id, threads, customerSays } = await setup();
    await customerSays("My card number ends in 4242");
    await service.giveBack(id, "Bea");
    expect(await threads.load(threadKeyOf(conversation))).toHaveLength(1);
    await threads.forgetUser(userKeyOf(customer));
    expect(await threads.load(threadKeyOf(conversation))).toEqual([]);
  });

  it("shows the team the message the model handed off on, even when it was the customer's first", async () => {
    const { summarized } = await setup({
      trigger: "tool",
      question: "I need a refund exception for order A-1002, get me a human",
    });
    expect(summarized).toEqual([
      [
        expect.objectContaining({
          author: "Ana",
          text: "I need a refund exception for order A-1002, get me a human",
        }),
      ],
    ]);
  });

  it("tells the team when a reply cannot reach the customer, and still shows who claimed it", async () => {
    const { service, poster, desk, id, threads } = await setup();
    poster.gone = true;
    expect(
      await service.teamReply({
        team: { platform: "slack", channelId: "CTEAM", threadId: `t-${id}` },
        messageId: "1.1",
        author: "Bea",
        text: "Hi, Bea here",
      }),
    ).toBe(true);
    // One for "Bea has joined", one for the reply itself.
    expect(desk.notes.filter((n) => n === HANDOFF_TEXT.undelivered)).toHaveLength(2);
    expect(desk.updates).toEqual(["claimed"]);
    expect(await service.store.transcript(id)).toEqual([]);
    await service.giveBack(id, "Bea");
    const saved = (await threads.load(threadKeyOf(conversation))).flatMap((t) => t.entries);
    expect(saved.map((e) => e.content).join("\n")).not.toContain("Hi, Bea here");
  });

  it("opens no hand-off after hand-off when one person asks in conversation after conversation", async () => {
    const { service, poster } = await setup();
    const elsewhere = { ...conversation, channelId: "C2", threadId: "1700000000.000100" };
    await service.request({ conversation: elsewhere, ...customer, reason: "again", trigger: "command" });
    expect(poster.said.at(-1)).toBe(HANDOFF_TEXT.tooSoon);
    expect(await service.store.activeFor(threadKeyOf(elsewhere))).toBeUndefined();
    // Asking again where a person already has it still says so.
    await service.request({ conversation, ...customer, reason: "again", trigger: "command" });
    expect(poster.said.at(-1)).toBe(HANDOFF_TEXT.alreadyOpen);
    // Someone else is not held back.
    await service.request({
      conversation: elsewhere,
      ...customer,
      userId: "U2",
      reason: "mine",
      trigger: "command",
    });
    expect(await service.store.activeFor(threadKeyOf(elsewhere))).toBeDefined();
  });

  it("tells a team member who replies after Return that the customer no longer hears them", async () => {
    const { service, poster, desk, id } = await setup();
    await service.giveBack(id, "Bea");
    const told = poster.said.length;
    const late = {
      team: { platform: "slack" as const, channelId: "CTEAM", threadId: `t-${id}` },
      messageId: "9.9",
      author: "Bea",
      text: "One more thing!",
    };
    expect(await service.teamReply(late)).toBe(true);
    expect(await service.teamReply(late)).toBe(true);
    expect(poster.said.length).toBe(told);
    expect(desk.notes.filter((n) => n === HANDOFF_TEXT.replyAfterReturn)).toHaveLength(1);
  });

  it("makes a message that arrives as the hand-off is returned wait until the team's lines are in the history", async () => {
    const { service, id, threads, customerSays } = await setup();
    await customerSays("Where is my order?");
    const key = threadKeyOf(conversation);
    const transcript = service.store.transcript.bind(service.store);
    let turnGotThread: boolean | undefined;
    // A turn that starts while Return is saving the hand-off tries to take the thread.
    service.store.transcript = async (hid) => {
      const got = await threads.acquire(key, "a-turn", 5_000);
      turnGotThread = got.acquired;
      if (got.acquired) await threads.release(key, "a-turn");
      return transcript(hid);
    };
    expect(await service.giveBack(id, "Bea")).toBe(true);
    expect(turnGotThread).toBe(false);
    // And the thread is free again afterwards.
    expect((await threads.acquire(key, "next-turn", 5_000)).acquired).toBe(true);
  });
});
