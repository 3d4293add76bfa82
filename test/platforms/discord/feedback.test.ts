/**
 * Thumbs up / down under Discord answers, end to end against the fake Discord and a real
 * discord.js client: the buttons come with the final edit, only the asker can rate, a second
 * click changes the rating, a thumbs-down opens a modal whose reason is stored, then offers
 * "Talk to a person".
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import { LlmError } from "../../../src/core/errors.js";
import type { FeedbackRecord } from "../../../src/core/feedback/types.js";
import type { HandoffRequest } from "../../../src/core/ports.js";
import type { FakeMessage } from "../../fakes/discord/index.js";
import { Gate, reply, ScriptedModel, toolCalls } from "../../support/scripted-model.js";
import { metricSum, type Replica, type Scene, startReplica, startScene } from "./harness.js";

let scene: Scene | undefined;
let replica: Replica | undefined;
afterEach(async () => {
  await replica?.adapter.stop();
  await scene?.fake.close();
  replica = undefined;
  scene = undefined;
});

const ANSWER = "The capital of France is Paris.";
const toolThenAnswer = () =>
  new ScriptedModel((_req, i) =>
    i === 0
      ? toolCalls({ id: "c1", name: "lookup_fact", args: { topic: "capital" } })
      : reply(ANSWER, { gapMs: 5 }),
  );

interface Button {
  custom_id: string;
  label?: string;
  style: number;
}
const buttonsOf = (components: unknown[]): Button[] =>
  (components as { components?: Button[] }[]).flatMap((row) => row.components ?? []);
const thumbs = (m: { components: unknown[] }) =>
  buttonsOf(m.components).filter((b) => b.custom_id.startsWith("chatbot:fb:"));

async function answered(s: Scene): Promise<{ question: FakeMessage; answer: FakeMessage }> {
  const question = s.fake.say(s.alice, s.general, `${s.fake.mention} what is the capital of France?`);
  const answer = await s.fake.waitFor(
    () => s.fake.botMessages(question.id).find((m) => thumbs(m).length === 2),
    "the answer with its thumbs",
  );
  return { question, answer };
}

async function ratings(r: Replica): Promise<FeedbackRecord[]> {
  const out: FeedbackRecord[] = [];
  for await (const rec of r.store.feedback.all()) out.push(rec);
  return out;
}

describe("Discord feedback", () => {
  it("adds thumbs up / down with the final edit and stores the asker's rating with the turn", async () => {
    scene = await startScene();
    replica = await startReplica(scene.fake, { model: toolThenAnswer(), feedback: true });
    const { question, answer } = await answered(scene);
    expect(answer.content).toBe(ANSWER);
    // While it streamed the message had its Stop button, never the thumbs.
    const earlier = answer.versions.slice(0, -1);
    expect(earlier.length).toBeGreaterThan(0);
    expect(earlier.some((v) => JSON.stringify(v.components).includes("chatbot:fb:"))).toBe(false);

    const up = thumbs(answer).find((b) => b.custom_id.includes(":up:"))!;
    const click = scene.fake.clickButton(scene.alice, answer, up.custom_id);
    await scene.fake.waitFor(() => click.callbacks.length > 0, "the click answered");
    // The answer now shows the chosen thumb highlighted.
    expect(click.callbacks[0]?.type).toBe(7);
    const shown = buttonsOf(
      (click.callbacks[0]?.data as { components?: unknown[] } | undefined)?.components ?? [],
    );
    expect(shown.map((b) => b.style)).toEqual([3, 2]);

    const [record] = await vi.waitFor(async () => {
      const all = await ratings(replica!);
      expect(all).toHaveLength(1);
      return all;
    });
    expect(record).toMatchObject({
      platform: "discord",
      userKey: `discord:${scene.alice.id}`,
      turnId: `discord:${question.id}`,
      rating: "up",
      question: "what is the capital of France?",
      answer: ANSWER,
      toolCalls: [{ name: "lookup_fact", result: '{"topic":"capital","fact":"Paris"}' }],
    });
    expect(await metricSum(replica.metrics.feedback, { platform: "discord", rating: "up" })).toBe(1);
  });

  it("lets only the person who asked rate; anyone else is told so privately", async () => {
    scene = await startScene();
    replica = await startReplica(scene.fake, { model: toolThenAnswer(), feedback: true });
    const { answer } = await answered(scene);
    const down = thumbs(answer).find((b) => b.custom_id.includes(":down:"))!;
    const click = scene.fake.clickButton(scene.bob, answer, down.custom_id);
    await scene.fake.waitFor(() => click.callbacks.length > 0, "the refusal");
    expect(click.callbacks[0]).toMatchObject({
      type: 4,
      data: { content: "Only the person who asked can rate this answer.", flags: 64 },
    });
    expect(await ratings(replica)).toEqual([]);
  });

  it("asks for a reason after a thumbs-down, stores it, offers a person, and a second click changes the rating", async () => {
    scene = await startScene();
    const handoffs: HandoffRequest[] = [];
    replica = await startReplica(scene.fake, {
      model: toolThenAnswer(),
      feedback: true,
      handoffs: { request: async (req) => void handoffs.push(req) },
    });
    const { fake, alice } = scene;
    const { question, answer } = await answered(scene);
    const down = thumbs(answer).find((b) => b.custom_id.includes(":down:"))!;
    const click = fake.clickButton(alice, answer, down.custom_id);
    await fake.waitFor(() => click.modal, "the reason modal");

    const submit = fake.submitModal(click, { reason: "It should say Paris, Texas." });
    await fake.waitFor(() => submit.callbacks.length > 0, "the modal answered");
    expect(submit.callbacks[0]).toMatchObject({ type: 4, data: { flags: 64 } });
    const offer = fake.message(submit.originalMessageId ?? "");
    const talk = buttonsOf(offer?.components ?? []).find((b) => b.label === "Talk to a person");
    expect(talk).toBeDefined();
    const [rated] = await ratings(replica);
    expect(rated).toMatchObject({ rating: "down", reason: "It should say Paris, Texas." });

    const talkClick = fake.clickButton(alice, offer!, talk!.custom_id);
    await fake.waitFor(() => handoffs[0], "the hand-off request");
    expect(talkClick.callbacks[0]?.type).toBe(7);
    expect(handoffs).toEqual([
      {
        conversation: {
          platform: "discord",
          workspaceId: scene.guild.id,
          channelId: scene.general.id,
          threadId: question.id,
        },
        userId: alice.id,
        reason: "answer was not helpful: It should say Paris, Texas.",
        trigger: "button",
      },
    ]);

    const up = thumbs(answer).find((b) => b.custom_id.includes(":up:"))!;
    const second = fake.clickButton(alice, answer, up.custom_id);
    await fake.waitFor(() => second.callbacks.length > 0, "the second click answered");
    const [changed] = await ratings(replica);
    expect(changed?.rating).toBe("up");
    expect(changed?.reason).toBeUndefined();
    expect(await metricSum(replica.metrics.feedback, { platform: "discord", rating: "down" })).toBe(1);
    expect(await metricSum(replica.metrics.feedback, { platform: "discord", rating: "up" })).toBe(1);
  });

  it("shows no thumbs under an answer that failed", async () => {
    scene = await startScene();
    const model = new ScriptedModel(() => [
      { type: "text", delta: "Half an answer" },
      { type: "fail", error: new LlmError("interrupted", "model down") },
    ]);
    replica = await startReplica(scene.fake, { model, feedback: true });
    const question = scene.fake.say(scene.alice, scene.general, `${scene.fake.mention} hello?`);
    await vi.waitFor(
      async () => expect(await metricSum(replica!.metrics.turns, { outcome: "error" })).toBe(1),
      {
        timeout: 30_000,
      },
    );
    const [failed] = scene.fake.botMessages(question.id);
    expect(failed?.content).toContain("Half an answer");
    expect(failed?.components).toEqual([]);
  });

  it("shows no thumbs under an answer its asker stopped", async () => {
    scene = await startScene();
    const hold = new Gate();
    const model = new ScriptedModel(() => reply("one two three four five", { holdAfter: 2, hold }));
    replica = await startReplica(scene.fake, { model, feedback: true });
    const { fake, alice, general } = scene;
    const question = fake.say(alice, general, `${fake.mention} count for me`);
    const streaming = await fake.waitFor(
      () => fake.botMessages(question.id).find((m) => m.content.includes("two")),
      "the answer streaming",
    );
    expect(replica.conversation.cancel(`discord:${question.id}`)).toBe(true);
    hold.open();
    await vi.waitFor(
      async () => expect(await metricSum(replica!.metrics.turns, { outcome: "stopped" })).toBe(1),
      { timeout: 30_000 },
    );
    const stopped = fake.message(streaming.id);
    expect(stopped?.content).toContain("one two");
    expect(stopped?.components).toEqual([]);
  });
});
