import { afterEach, describe, expect, it } from "vitest";
import { FAKE_BOT_USER_ID, type FakeMessage, type FakeSlackOptions } from "../../fakes/slack-api.js";
import { eventEnvelope, mentionEvents } from "../../fakes/slack-events.js";
import { reply, ScriptedModel } from "../../support/scripted-model.js";
import { eventually, type Harness, startHarness } from "./harness.js";

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const words = (n: number, tag: string) => Array.from({ length: n }, (_, i) => `${tag}w${i}`).join(" ");

async function mentionAll(harness: Harness, count: number, channel = "C1"): Promise<string[]> {
  const roots: string[] = [];
  for (let i = 0; i < count; i++) roots.push(harness.fake.nextTs());
  await Promise.all(
    roots.map((ts, i) =>
      harness.delivery.event(
        eventEnvelope(
          mentionEvents({ channel, user: "U1", text: `<@${FAKE_BOT_USER_ID}> question q${i}`, ts })
            .appMention,
        ),
      ),
    ),
  );
  return roots;
}

/**
 * One long answer by edits with SLACK_MAX_MESSAGE_CHARS=`maxChars`: its messages, after
 * checking it took several and Slack refused none of the calls.
 */
async function answerInMessages(
  text: string,
  maxChars: string,
  fake: FakeSlackOptions = {},
): Promise<FakeMessage[]> {
  h = await startHarness({
    model: new ScriptedModel(() => reply(text)),
    env: { SLACK_NATIVE_STREAMING: "false", SLACK_MAX_MESSAGE_CHARS: maxChars },
    fake,
  });
  const [root] = await mentionAll(h, 1);
  await eventually(() => h?.fake.botMessages("C1", root)[0]);
  await h.adapter.idle();
  const msgs = h.fake.botMessages("C1", root);
  expect(msgs.length).toBeGreaterThanOrEqual(3);
  expect(h.fake.calls.filter((c) => c.error)).toEqual([]);
  return msgs;
}

/** Each answer names its question, so we can check every final message is the whole answer. */
const perQuestionModel = (length: number, gapMs: number) =>
  new ScriptedModel((req) => {
    const q = /q\d+/.exec(String(req.messages.at(-1)?.content))?.[0] ?? "q";
    return reply(words(length, q), { gapMs });
  });

describe("Slack rate limits", () => {
  for (const native of [false, true]) {
    it(`streams 20 answers at once in one workspace without 429s, every final message complete (${native ? "native streams" : "edits"})`, async () => {
      h = await startHarness({
        model: perQuestionModel(60, 10),
        timeScale: 20,
        env: { SLACK_NATIVE_STREAMING: String(native) },
      });
      const roots = await mentionAll(h, 20);
      await eventually(() => roots.every((ts) => h?.fake.botMessages("C1", ts)[0]), 20_000);
      await h.adapter.idle();
      expect(h.fake.rateLimited).toEqual([]);
      roots.forEach((ts, i) => {
        const msgs = h?.fake.botMessages("C1", ts) ?? [];
        expect(msgs).toHaveLength(1);
        expect(msgs[0] && h?.fake.visibleText(msgs[0])).toBe(words(60, `q${i}`));
      });
      if (native) {
        // Only as many native streams as Slack's Tier 2 start/stop budget allows; the rest were edited.
        expect(h.fake.callsOf("chat.startStream").length).toBeLessThanOrEqual(20);
      }
      const edits = h.fake.callsOf("chat.update").length + h.fake.callsOf("chat.appendStream").length;
      expect(edits).toBeGreaterThan(0);
    }, 30_000);
  }

  it("waits out a 429's Retry-After and still delivers the final text", async () => {
    h = await startHarness({
      model: perQuestionModel(40, 10),
      timeScale: 60,
      env: { SLACK_NATIVE_STREAMING: "false" },
      // Slack allows far fewer updates than the adapter was told: 429s are bound to happen.
      fake: { rates: { "chat.update": { limit: 3, windowMs: 60_000, per: "workspace" } } },
    });
    const roots = await mentionAll(h, 3);
    await eventually(() => roots.every((ts) => h?.fake.botMessages("C1", ts)[0]), 20_000);
    await h.adapter.idle();
    expect(h.fake.rateLimited.length).toBeGreaterThan(0);
    roots.forEach((ts, i) => {
      const [msg] = h?.fake.botMessages("C1", ts) ?? [];
      expect(msg && h?.fake.visibleText(msg)).toBe(words(40, `q${i}`));
      expect(msg && h?.fake.buttons(msg)).toEqual([]);
    });
    expect(h.metrics.platformRateLimited.get).toBeDefined();
    const counted = (await h.metrics.platformRateLimited.get()).values.reduce((n, v) => n + v.value, 0);
    expect(counted).toBe(h.fake.rateLimited.length);
  }, 30_000);

  it("continues an expired native stream with chat.update in the same message", async () => {
    h = await startHarness({
      model: perQuestionModel(80, 15),
      // Slack ends streams after ~5 minutes; here after 300 ms, mid-answer.
      fake: { streamLifetimeMs: 300 },
    });
    const [root] = await mentionAll(h, 1);
    await eventually(() => h?.fake.botMessages("C1", root)[0]);
    await h.adapter.idle();
    const msgs = h.fake.botMessages("C1", root);
    expect(msgs).toHaveLength(1);
    const methods = msgs[0]?.timeline.map((t) => t.method) ?? [];
    expect(methods[0]).toBe("chat.startStream");
    expect(methods).toContain("chat.update");
    expect(h.fake.calls.some((c) => c.error === "message_not_in_streaming_state")).toBe(true);
    expect(msgs[0] && h.fake.visibleText(msgs[0])).toBe(words(80, "q0"));
  });

  it("splits long answers into several messages before Slack's limits, so msg_too_long never happens", async () => {
    const para = (i: number) => `Paragraph ${i}: ${"lorem ipsum dolor sit amet ".repeat(20).trim()}.`;
    const long = Array.from({ length: 20 }, (_, i) => para(i)).join("\n\n");
    const msgs = await answerInMessages(long, "3500", { maxTextChars: 4000 });
    const shown = msgs.map((m) => h?.fake.visibleText(m) ?? "");
    for (const text of shown) expect(text.length).toBeLessThanOrEqual(3500);
    expect(shown.join(" ").replace(/\s+/g, " ")).toBe(long.replace(/\s+/g, " "));
  });

  it("keeps every message of a long answer within one markdown block at the largest SLACK_MAX_MESSAGE_CHARS", async () => {
    const code = Array.from({ length: 400 }, (_, i) => `row(${i}, "${"x".repeat(30)}");`).join("\n");
    const para = (i: number) => `Paragraph ${i}: ${"lorem ipsum dolor sit amet ".repeat(30).trim()}.`;
    const long = [
      para(0),
      `\`\`\`ts\n${code}\n\`\`\``,
      ...Array.from({ length: 12 }, (_, i) => para(i + 1)),
    ].join("\n\n");
    const msgs = await answerInMessages(long, "10000");
    for (const m of msgs) {
      const blocks = (m.blocks ?? []) as { type: string; text?: string }[];
      const markdown = blocks.filter((b) => b.type === "markdown").map((b) => b.text ?? "");
      expect(markdown).toHaveLength(1);
      expect(markdown[0]?.length).toBeLessThanOrEqual(10_000);
      expect(((markdown[0] ?? "").match(/```/g) ?? []).length % 2).toBe(0); // fences closed in each
    }
  });

  it("stops the answer when the user stops the stream in Slack", async () => {
    h = await startHarness({ model: perQuestionModel(200, 15) });
    const [root] = await mentionAll(h, 1);
    const msg = await eventually(() => h?.fake.botMessages("C1", root)[0]);
    h.fake.stopStreamByUser(msg.ts);
    await h.adapter.idle();
    const text = h.fake.visibleText(msg);
    expect(text).toMatch(/_\(stopped\)_$/);
    expect(text).not.toContain("q0w199");
  });
});
