/**
 * Model text never pings anyone, on every path an answer takes to Slack: edited messages,
 * native streams (with the ping split across appends), DMs, notices, /summarize in private,
 * its Share button, and `/summarize share`. The judge (fakes/slack-pings.ts) reads everything
 * the bot sent, including what a stream's appends add up to.
 */
import { afterEach, describe, expect, it } from "vitest";
import { silentLogger } from "../../../src/log.js";
import { Metrics } from "../../../src/metrics.js";
import { SlackAnswerSink } from "../../../src/platforms/slack/answer-sink.js";
import { SlackApi } from "../../../src/platforms/slack/api.js";
import { SlackBudgets } from "../../../src/platforms/slack/budgets.js";
import { ChannelPacer } from "../../../src/platforms/slack/rate-gates.js";
import { createMemoryStore } from "../../../src/store/memory/store.js";
import { FAKE_BOT_TOKEN, FAKE_BOT_USER_ID, FakeSlack } from "../../fakes/slack-api.js";
import { eventEnvelope, mentionEvents, messageEvent, slashCommand } from "../../fakes/slack-events.js";
import { HOSTILE } from "../../fakes/slack-pings.js";
import { ScriptedModel, type Step } from "../../support/scripted-model.js";
import { eventually, type Harness, pressShare, startHarness } from "./harness.js";

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const ANSWER = `Here is what you asked me to repeat:\n\n${HOSTILE.join("\n\n")}\n\nThat is all.`;

/** The answer in 3-character deltas, so pings are cut across edits and stream appends. */
function inPieces(text: string): Step[] {
  const steps: Step[] = [];
  for (let i = 0; i < text.length; i += 3) {
    steps.push({ type: "sleep", ms: 1 }, { type: "text", delta: text.slice(i, i + 3) });
  }
  steps.push({ type: "done", finishReason: "stop", usage: { inputTokens: 50, outputTokens: 20 } });
  return steps;
}

describe("Slack: model text never pings anyone", () => {
  it.each([
    ["message edits", "false"],
    ["a native stream", "true"],
  ])("in a channel thread answered by %s", async (_mode, native) => {
    const model = new ScriptedModel(() => inPieces(ANSWER));
    h = await startHarness({ model, env: { SLACK_NATIVE_STREAMING: native } });
    const ts = h.fake.nextTs();
    const events = mentionEvents({ channel: "C1", user: "U1", text: `<@${FAKE_BOT_USER_ID}> repeat`, ts });
    await h.delivery.event(eventEnvelope(events.appMention));
    await eventually(() => h?.fake.botMessages("C1", ts)[0]);
    await h.adapter.idle();
    const msgs = h.fake.botMessages("C1", ts);
    if (native === "true") expect(msgs[0]?.stream).toBeDefined();
    const shown = msgs.map((m) => h?.fake.visibleText(m)).join("");
    expect(shown).toContain("That is all.");
    expect(shown).toContain("everyone"); // still readable
    expect(h.fake.pingsSent()).toEqual([]);
  });

  it("in a direct message", async () => {
    const model = new ScriptedModel(() => inPieces(ANSWER));
    h = await startHarness({ model, setup: (f) => f.addChannel({ id: "D1", name: "dm", type: "im" }) });
    await h.delivery.event(
      eventEnvelope(
        messageEvent({ channel: "D1", channelType: "im", user: "U1", text: "repeat", ts: h.fake.nextTs() }),
      ),
    );
    await eventually(() => h?.fake.botMessages("D1")[0]);
    await h.adapter.idle();
    expect(h.fake.visibleText(h.fake.botMessages("D1")[0]!)).toContain("That is all.");
    expect(h.fake.pingsSent()).toEqual([]);
  });

  it("in a private summary, its Share button and `/summarize share`, keeping the sharer's own mention", async () => {
    const model = new ScriptedModel(() => inPieces(ANSWER));
    h = await startHarness({
      model,
      setup: (f) => {
        for (let i = 0; i < 5; i++) f.seed({ channel: "C1", user: "U2", text: `note ${i} <!here>` });
      },
    });
    await h.delivery.command(slashCommand({ fake: h.fake, channel: "C1", user: "U1", text: "5" }));
    await pressShare(h, "U1");
    const shared = await eventually(() => h?.fake.botMessages("C1")[0]);
    await h.adapter.idle();
    expect(h.fake.visibleText(shared)).toContain("Shared by <@U1>");
    await h.delivery.command(slashCommand({ fake: h.fake, channel: "C1", user: "U1", text: "5 share" }));
    await eventually(() => (h?.fake.botMessages("C1").length ?? 0) >= 2);
    await h.adapter.idle();
    expect(h.fake.pingsSent(["U1"])).toEqual([]);
  });
});

describe("Slack notices", () => {
  it("never ping, as ephemeral messages or when posted openly", async () => {
    const fake = await new FakeSlack().start();
    try {
      fake.addChannel({ id: "C1", name: "general" });
      fake.addUser({ id: "U1", name: "ana", realName: "Ana Lima" });
      const log = silentLogger();
      const api = new SlackApi({ token: FAKE_BOT_TOKEN, apiUrl: fake.apiUrl, metrics: new Metrics(), log });
      const sink = (channel: string) =>
        new SlackAnswerSink(
          { teamId: "T0FAKE", channel, threadTs: "1.0", userId: "U1" },
          {
            api,
            pacer: new ChannelPacer(0),
            streaming: { enabled: false, available: false },
            budgets: new SlackBudgets(
              createMemoryStore({ log }).budgets,
              {
                perMinute: {
                  "chat.update": 50,
                  "chat.appendStream": 100,
                  "chat.startStream": 20,
                  "chat.stopStream": 20,
                },
              },
              log,
            ),
            streamMinAppendIntervalMs: 0,
            limits: { maxChars: 3500, scope: "t", scopeEdits: 50, windowMs: 60_000, minEditIntervalMs: 0 },
            log,
          },
        );
      await sink("C1").notice(`Sorry: ${HOSTILE.join(" ")}`);
      expect(fake.ephemerals).toHaveLength(1);
      // Ephemerals fail where the user cannot get one; the notice is then posted openly.
      fake.failures.set("chat.postEphemeral", ["user_not_in_channel"]);
      await sink("C1").notice(`Sorry again: ${HOSTILE.join(" ")}`);
      expect(fake.botMessages("C1")).toHaveLength(1);
      expect(fake.pingsSent()).toEqual([]);
    } finally {
      await fake.close();
    }
  });
});
