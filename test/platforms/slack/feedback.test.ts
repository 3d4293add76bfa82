/**
 * Thumbs up / down under Slack answers, end to end against the fake Slack: Slack's feedback
 * buttons block arrives with the final text (chat.stopStream's blocks in a native stream, the
 * final chat.update in edit mode), only the asker can rate, a second click changes the rating,
 * a thumbs-down asks for a reason in a modal and offers "Talk to a person".
 */
import { afterEach, describe, expect, it } from "vitest";
import { LlmError } from "../../../src/core/errors.js";
import type { FeedbackRecord } from "../../../src/core/feedback/types.js";
import type { HandoffRequest } from "../../../src/core/ports.js";
import {
  FEEDBACK_ACTION_ID,
  FEEDBACK_HANDOFF_ACTION_ID,
  NOT_ASKER_TEXT,
} from "../../../src/platforms/slack/feedback.js";
import { FAKE_BOT_USER_ID, FAKE_TEAM_ID, type FakeMessage } from "../../fakes/slack-api.js";
import { eventEnvelope, mentionEvents } from "../../fakes/slack-events.js";
import { feedbackButtonClick, viewSubmission } from "../../fakes/slack-views.js";
import { Gate, reply, ScriptedModel, toolCalls } from "../../support/scripted-model.js";
import { metricSum } from "../discord/harness.js";
import { eventually, type Harness, startHarness } from "./harness.js";

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const ANSWER = "The capital of France is Paris.";
const toolThenAnswer = () =>
  new ScriptedModel((_req, i) =>
    i === 0
      ? toolCalls({ id: "c1", name: "lookup_fact", args: { topic: "capital" } })
      : reply(ANSWER, { gapMs: 5 }),
  );

interface FeedbackElement {
  type: string;
  action_id: string;
  positive_button: { value: string };
  negative_button: { value: string };
}

function feedbackButtons(msg: { blocks?: unknown[] }): FeedbackElement | undefined {
  for (const block of (msg.blocks ?? []) as { type?: string; elements?: FeedbackElement[] }[]) {
    if (block.type === "context_actions") return block.elements?.find((e) => e.type === "feedback_buttons");
  }
  return undefined;
}

async function ask(
  harness: Harness,
  text = "what is the capital of France?",
): Promise<{ ts: string; msg: FakeMessage }> {
  const ts = harness.fake.nextTs();
  const events = mentionEvents({ channel: "C1", user: "U1", text: `<@${FAKE_BOT_USER_ID}> ${text}`, ts });
  await harness.delivery.event(eventEnvelope(events.appMention));
  const msg = await eventually(() => harness.fake.botMessages("C1", ts)[0]);
  await harness.adapter.idle();
  return { ts, msg };
}

async function click(
  harness: Harness,
  msg: FakeMessage,
  threadTs: string,
  user: string,
  value: string,
  actionId = FEEDBACK_ACTION_ID,
) {
  await harness.delivery.action(
    feedbackButtonClick({
      responseUrl: harness.fake.newResponseUrl(),
      teamId: FAKE_TEAM_ID,
      channel: "C1",
      user,
      messageTs: msg.ts,
      threadTs,
      actionId,
      value,
    }),
  );
  await harness.adapter.idle();
}

/** Polls the store until `check` accepts its ratings (the click is handled after its ack). */
async function ratingsWhen(
  harness: Harness,
  check: (all: FeedbackRecord[]) => boolean,
): Promise<FeedbackRecord[]> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const all = await ratings(harness);
    if (check(all)) return all;
    if (Date.now() > deadline) throw new Error(`ratings not as expected: ${JSON.stringify(all)}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function ratings(harness: Harness): Promise<FeedbackRecord[]> {
  const out: FeedbackRecord[] = [];
  for await (const r of harness.store.feedback.all()) out.push(r);
  return out;
}

describe("Slack feedback", () => {
  it.each([
    ["native stream", "true", "chat.stopStream"],
    ["message edits", "false", "chat.update"],
  ])(
    "shows thumbs up / down with the final text and stores the asker's rating with the turn (%s)",
    async (_mode, native, finalMethod) => {
      h = await startHarness({
        model: toolThenAnswer(),
        feedback: true,
        env: { SLACK_NATIVE_STREAMING: native },
      });
      const { ts, msg } = await ask(h);
      expect(h.fake.visibleText(msg)).toBe(ANSWER);
      const buttons = feedbackButtons(msg);
      expect(buttons?.action_id).toBe(FEEDBACK_ACTION_ID);
      // The buttons came with the final text, in the call that ended the answer, and not before.
      const calls = h.fake.calls.filter((c) =>
        ["chat.stopStream", "chat.update", "chat.postMessage"].includes(c.method),
      );
      const withButtons = calls.filter((c) =>
        JSON.stringify(c.args.blocks ?? []).includes("feedback_buttons"),
      );
      expect(withButtons.map((c) => c.method)).toEqual([finalMethod]);
      expect(calls[calls.length - 1]?.method).toBe(finalMethod);
      if (native === "true") expect(msg.stream).toBeDefined();

      await click(h, msg, ts, "U1", buttons!.positive_button.value);
      const [record] = await ratingsWhen(h, (all) => all.length > 0);
      expect(record).toMatchObject({
        platform: "slack",
        rating: "up",
        question: "what is the capital of France?",
        answer: ANSWER,
        model: "gpt-4o-mini",
        conversation: { platform: "slack", workspaceId: FAKE_TEAM_ID, channelId: "C1", threadId: ts },
        toolCalls: [
          {
            name: "lookup_fact",
            arguments: '{"topic":"capital"}',
            result: '{"topic":"capital","fact":"Paris"}',
          },
        ],
      });
      expect(record!.tokens.output).toBeGreaterThan(0);
      expect(record!.userKey).toContain("U1");
      expect(await metricSum(h.metrics.feedback, { platform: "slack", rating: "up" })).toBe(1);
    },
  );

  it.each([
    ["native stream", "true"],
    ["message edits", "false"],
  ])(
    "still ends the answer with its whole text when Slack refuses the feedback buttons block (%s)",
    async (_mode, native) => {
      h = await startHarness({
        model: toolThenAnswer(),
        feedback: true,
        env: { SLACK_NATIVE_STREAMING: native },
      });
      h.fake.unknownBlockTypes.add("context_actions");
      const { msg } = await ask(h);
      expect(h.fake.visibleText(msg)).toBe(ANSWER);
      expect(feedbackButtons(msg)).toBeUndefined();
      if (native === "true") expect(msg.stream?.state).toBe("stopped");
      expect(h.fake.calls.filter((c) => c.error === "invalid_blocks").length).toBeGreaterThan(0);
    },
  );

  it("lets only the person who asked rate; anyone else gets a short private note", async () => {
    h = await startHarness({ model: toolThenAnswer(), feedback: true });
    const { ts, msg } = await ask(h);
    await click(h, msg, ts, "U2", feedbackButtons(msg)!.negative_button.value);
    const note = await eventually(() => h?.fake.ephemerals.find((e) => e.user === "U2"));
    expect(note.text).toBe(NOT_ASKER_TEXT);
    expect(note.threadTs).toBe(ts);
    expect(await ratings(h)).toEqual([]);
    expect(h.fake.views.opened).toEqual([]);
    expect(await metricSum(h.metrics.feedback)).toBe(0);
  });

  it("asks for a reason after a thumbs-down, stores it, offers a person, and a second click changes the rating", async () => {
    const handoffs: HandoffRequest[] = [];
    h = await startHarness({
      model: toolThenAnswer(),
      feedback: true,
      handoffs: { request: async (req) => void handoffs.push(req) },
    });
    const { ts, msg } = await ask(h);
    const buttons = feedbackButtons(msg)!;
    await click(h, msg, ts, "U1", buttons.negative_button.value);

    const modal = await eventually(() => h?.fake.views.opened[0]);
    expect(modal.view.callback_id).toBe("feedback_reason");
    const offer = await eventually(() => h?.fake.ephemerals.find((e) => e.user === "U1"));
    const talk = h.fake
      .buttons({ blocks: offer.blocks ?? [] } as FakeMessage)
      .find((b) => b.actionId === FEEDBACK_HANDOFF_ACTION_ID);
    expect(talk?.text).toBe("Talk to a person");

    await h.delivery.action(
      viewSubmission({
        view: modal,
        user: "U1",
        teamId: FAKE_TEAM_ID,
        values: { reason: { reason_input: "It should say Paris, Texas." } },
      }),
    );
    await h.adapter.idle();
    const [rated] = await ratingsWhen(h, (all) => all[0]?.reason !== undefined);
    expect(rated).toMatchObject({ rating: "down", reason: "It should say Paris, Texas." });

    await click(h, offer as unknown as FakeMessage, ts, "U1", talk!.value, FEEDBACK_HANDOFF_ACTION_ID);
    await eventually(() => handoffs[0]);
    expect(handoffs).toEqual([
      {
        conversation: { platform: "slack", workspaceId: FAKE_TEAM_ID, channelId: "C1", threadId: ts },
        userId: "U1",
        userScope: FAKE_TEAM_ID,
        reason: "answer was not helpful: It should say Paris, Texas.",
        trigger: "button",
      },
    ]);

    await click(h, msg, ts, "U1", buttons.positive_button.value);
    const [changed] = await ratings(h);
    expect(changed).toMatchObject({ rating: "up" });
    expect(changed?.reason).toBeUndefined();
    expect(await metricSum(h.metrics.feedback, { platform: "slack", rating: "down" })).toBe(1);
    expect(await metricSum(h.metrics.feedback, { platform: "slack", rating: "up" })).toBe(1);
  });

  it("shows no feedback buttons under a failed or stopped answer", async () => {
    const hold = new Gate();
    const model = new ScriptedModel((_req, i) =>
      i === 0
        ? [
            { type: "text", delta: "Half an answer" },
            { type: "fail", error: new LlmError("interrupted", "model down") },
          ]
        : reply("one two three four", { holdAfter: 2, hold }),
    );
    h = await startHarness({ model, feedback: true, env: { SLACK_NATIVE_STREAMING: "false" } });
    const failed = await ask(h, "first");
    expect(feedbackButtons(failed.msg)).toBeUndefined();

    const ts = h.fake.nextTs();
    const events = mentionEvents({ channel: "C1", user: "U1", text: `<@${FAKE_BOT_USER_ID}> second`, ts });
    await h.delivery.event(eventEnvelope(events.appMention));
    const streaming = await eventually(() => h?.fake.botMessages("C1", ts)[0]);
    expect(h.conversation.cancel(`slack:${ts}`)).toBe(true);
    hold.open();
    await h.adapter.idle();
    expect(h.fake.visibleText(streaming)).toContain("one two");
    expect(feedbackButtons(streaming)).toBeUndefined();
    expect(h.fake.calls.some((c) => JSON.stringify(c.args).includes("feedback_buttons"))).toBe(false);
  });

  it("takes a rating on whichever replica Slack sends the click to", async () => {
    h = await startHarness({
      model: toolThenAnswer(),
      feedback: true,
      env: { SLACK_NATIVE_STREAMING: "false" },
    });
    const other = await h.startReplica(toolThenAnswer());
    try {
      const { ts, msg } = await ask(h);
      const buttons = feedbackButtons(msg)!;
      const click = feedbackButtonClick({
        responseUrl: h.fake.newResponseUrl(),
        teamId: FAKE_TEAM_ID,
        channel: "C1",
        user: "U1",
        messageTs: msg.ts,
        threadTs: ts,
        actionId: FEEDBACK_ACTION_ID,
        value: buttons.negative_button.value,
      });
      await other.delivery.action(click);
      await other.adapter.idle();
      const [record] = await ratingsWhen(h, (all) => all.length === 1);
      expect(record).toMatchObject({ rating: "down", answer: ANSWER });
      // The modal was opened by the replica that got the click, with the click's trigger.
      expect(h.fake.views.opened.map((v) => v.triggerId)).toEqual([click.trigger_id]);
      expect(await metricSum(other.metrics.feedback, { platform: "slack", rating: "down" })).toBe(1);
    } finally {
      await other.close();
    }
  });
});
