import { describe, expect, it } from "vitest";
import { silentLogger } from "../../../src/log.js";
import { SlackBudgets } from "../../../src/platforms/slack/budgets.js";
import { routeMessage, type SlackMessageEvent } from "../../../src/platforms/slack/events.js";
import { ChannelPacer } from "../../../src/platforms/slack/rate-gates.js";
import { parseMessageLink, parseSummarizeArgs } from "../../../src/platforms/slack/summarize-args.js";
import { MemoryKeyspace } from "../../../src/store/memory/keyspace.js";
import { createMemoryStore } from "../../../src/store/memory/store.js";

const bot = { teamId: "T1", botUserId: "UBOT", botId: "BBOT" };
const ev = (over: Partial<SlackMessageEvent>): SlackMessageEvent => ({
  type: "message",
  channel: "C1",
  ts: "1700000000.000100",
  user: "U1",
  text: "hi",
  channel_type: "channel",
  ...over,
});

describe("which Slack messages get an answer", () => {
  it("answers a mention in a thread under it, and maps app_mention and message to the same turn", () => {
    const a = routeMessage(ev({ type: "app_mention", text: "<@UBOT> where is my order?" }), bot);
    const b = routeMessage(ev({ text: "<@UBOT> where is my order?" }), bot);
    expect(a).toEqual(b);
    expect(a).toMatchObject({
      action: "answer",
      msg: {
        messageId: "1700000000.000100",
        threadId: "1700000000.000100",
        kind: "mention",
        text: "where is my order?",
      },
      reply: { channel: "C1", threadTs: "1700000000.000100" },
      needsFollowupCheck: false,
    });
  });

  it("keys a mention inside a thread to that thread", () => {
    const r = routeMessage(
      ev({ text: "<@UBOT> and now?", ts: "1700000000.000200", thread_ts: "1700000000.000100" }),
      bot,
    );
    expect(r).toMatchObject({ msg: { threadId: "1700000000.000100", messageId: "1700000000.000200" } });
  });

  it("treats a thread reply without mention as a follow-up candidate, and ignores top-level chatter", () => {
    expect(routeMessage(ev({ ts: "1700000000.000300", thread_ts: "1700000000.000100" }), bot)).toMatchObject({
      action: "answer",
      needsFollowupCheck: true,
    });
    expect(routeMessage(ev({}), bot)).toMatchObject({ action: "ignore" });
  });

  it("answers DMs: one conversation per DM channel, one per thread inside it", () => {
    expect(routeMessage(ev({ channel: "D1", channel_type: "im" }), bot)).toMatchObject({
      msg: { kind: "dm", threadId: "dm" },
      reply: { channel: "D1", threadTs: undefined },
    });
    expect(routeMessage(ev({ channel: "D1", channel_type: "im", thread_ts: "1.2" }), bot)).toMatchObject({
      msg: { kind: "dm", threadId: "1.2" },
      reply: { threadTs: "1.2" },
    });
  });

  it("ignores bots, its own messages, edits and joins", () => {
    expect(routeMessage(ev({ bot_id: "B2", text: "<@UBOT> hi" }), bot).action).toBe("ignore");
    expect(routeMessage(ev({ user: "UBOT" }), bot).action).toBe("ignore");
    expect(routeMessage(ev({ subtype: "message_changed", text: "<@UBOT> hi" }), bot).action).toBe("ignore");
    expect(routeMessage(ev({ subtype: "channel_join", text: "<@U1> joined" }), bot).action).toBe("ignore");
    expect(routeMessage(ev({ subtype: "thread_broadcast", text: "<@UBOT> hi" }), bot).action).toBe("answer");
  });
});

describe("/summarize arguments", () => {
  it("reads counts, time windows, thread links and share in any order", () => {
    expect(parseSummarizeArgs("")).toEqual({ ok: true, args: { count: 200, share: false } });
    expect(parseSummarizeArgs("50 share")).toEqual({ ok: true, args: { count: 50, share: true } });
    expect(parseSummarizeArgs("3h")).toMatchObject({ ok: true, args: { windowMs: 3 * 3_600_000 } });
    expect(
      parseSummarizeArgs(
        "<https://acme.slack.com/archives/C0123/p1700000000123456?thread_ts=1700000000.000001&cid=C0123>",
      ),
    ).toMatchObject({ ok: true, args: { thread: { channel: "C0123", ts: "1700000000.000001" } } });
  });

  it("explains the usage for help and for words it does not know", () => {
    expect(parseSummarizeArgs("help")).toMatchObject({ ok: false });
    const bad = parseSummarizeArgs("yesterday");
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.help).toContain("`yesterday`");
    expect(parseSummarizeArgs("5000")).toMatchObject({ ok: false });
  });

  it("finds the thread root of a message link", () => {
    expect(parseMessageLink("https://x.slack.com/archives/C1/p1700000000123456")).toEqual({
      channel: "C1",
      ts: "1700000000.123456",
    });
    expect(parseMessageLink("https://example.com/nope")).toBeNull();
  });
});

describe("client-side Slack pacing", () => {
  it("sends a channel's posts one at a time, spaced from the previous answer; other channels do not wait", async () => {
    const pacer = new ChannelPacer(50);
    const log: string[] = [];
    const post = (name: string, ms: number) => async () => {
      log.push(`start ${name} ${Date.now()}`);
      await new Promise((r) => setTimeout(r, ms));
      log.push(`end ${name} ${Date.now()}`);
      return name;
    };
    const results = await Promise.all([
      pacer.run("C1", post("a", 20)),
      pacer.run("C1", post("b", 0)),
      pacer.run("C2", post("c", 0)),
    ]);
    expect(results).toEqual(["a", "b", "c"]);
    const at = (entry: string) => Number(log.find((l) => l.startsWith(entry))?.split(" ")[2]);
    expect(at("start b") - at("end a")).toBeGreaterThanOrEqual(49);
    expect(at("start c")).toBeLessThan(at("end a"));
  });

  it("opens native streams only while their later stops fit Slack's Tier 2 budget, across replicas", async () => {
    let now = 1_000_000;
    const keyspace = new MemoryKeyspace({ now: () => now });
    const log = silentLogger();
    const limits = {
      perMinute: { "chat.update": 50, "chat.appendStream": 100, "chat.startStream": 3, "chat.stopStream": 3 },
    };
    // Two replicas on one store.
    const one = new SlackBudgets(createMemoryStore({ log, keyspace }).budgets, limits, log);
    const two = new SlackBudgets(createMemoryStore({ log, keyspace }).budgets, limits, log);
    const first = await one.openStream("T1");
    expect([await two.openStream("T1"), await one.openStream("T1")].every(Boolean)).toBe(true);
    expect(await two.openStream("T1")).toBeNull();
    expect(await one.openStream("T2")).not.toBeNull(); // another workspace has its own budget
    one.closeStream("T1", first!, true);
    now += 1000;
    // One stop made in the window + two booked = 3: still full until the window passes.
    expect(await two.openStream("T1")).toBeNull();
    now += 70_000;
    expect(await two.openStream("T1")).not.toBeNull();
    keyspace.close();
  });
});
