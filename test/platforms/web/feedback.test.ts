/**
 * The web chat's feedback API against the real core: thumbs under finished answers only, the
 * rating stored with its turn and counted, a second click changing it, the thumbs-down reason,
 * and "Talk to a person".
 */
import { afterEach, describe, expect, it } from "vitest";
import { LlmError } from "../../../src/core/errors.js";
import type { FeedbackRecord } from "../../../src/core/feedback/types.js";
import type { HandoffRequest } from "../../../src/core/ports.js";
import { makeConversation } from "../../support/conversation.js";
import { reply, ScriptedModel, type Step, toolCalls } from "../../support/scripted-model.js";
import { metricSum } from "../discord/harness.js";
import { startWebChat, type WebChatHarness } from "./harness.js";
import { ended } from "./sse-client.js";

const ANSWER = "The capital of France is Paris.";
let harness: WebChatHarness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

async function start(script: (i: number) => Step[], handoffs?: HandoffRequest[]) {
  const model = new ScriptedModel((_req, i) => script(i));
  const { conversation, store, metrics, feedback } = makeConversation({ model, feedback: true });
  harness = await startWebChat({
    conversation,
    store,
    feedback,
    ...(handoffs ? { handoffs: { request: async (req: HandoffRequest) => void handoffs.push(req) } } : {}),
  });
  return { h: harness, store, metrics };
}

async function ask(h: WebChatHarness, sessionId: string, text: string) {
  const sse = await h.listen(sessionId);
  const res = await h.post("/api/messages", { sessionId, text });
  const turnId = String(res.body.turnId);
  await sse.until(ended(turnId));
  return { turnId, finals: sse.of("finalize").filter((e) => e.data.turnId === turnId) };
}

async function all(store: { feedback: { all(): AsyncIterable<FeedbackRecord> } }): Promise<FeedbackRecord[]> {
  const out: FeedbackRecord[] = [];
  for await (const r of store.feedback.all()) out.push(r);
  return out;
}

describe("web chat feedback", () => {
  it("marks a finished answer rateable and stores and counts the rating with its turn", async () => {
    const { h, store, metrics } = await start((i) =>
      i === 0 ? toolCalls({ id: "c1", name: "lookup_fact", args: { topic: "capital" } }) : reply(ANSWER),
    );
    const sessionId = await h.session();
    const { turnId, finals } = await ask(h, sessionId, "What is the capital of France?");
    expect(finals.map((e) => e.data.rateable)).toEqual([true]);

    const rated = await h.post("/api/feedback", { sessionId, turnId, rating: "up" });
    expect(rated).toEqual({ status: 200, body: { rating: "up", handoff: false } });
    const [record] = await all(store);
    expect(record).toMatchObject({
      platform: "web",
      turnId,
      rating: "up",
      question: "What is the capital of France?",
      answer: ANSWER,
      conversation: { platform: "web", threadId: sessionId.split(".")[0] },
      toolCalls: [{ name: "lookup_fact", result: '{"topic":"capital","fact":"Paris"}' }],
    });
    expect(await metricSum(metrics.feedback, { platform: "web", rating: "up" })).toBe(1);

    // A second click changes the rating; the reason of a thumbs-down is kept with it.
    await h.post("/api/feedback", { sessionId, turnId, rating: "down" });
    await h.post("/api/feedback", { sessionId, turnId, rating: "down", reason: "Too short." });
    const [changed] = await all(store);
    expect(changed).toMatchObject({ rating: "down", reason: "Too short." });
    expect(await metricSum(metrics.feedback, { platform: "web", rating: "down" })).toBe(1);
  });

  it("refuses a rating from another session for this session's answer", async () => {
    const { h, store } = await start(() => reply(ANSWER));
    const mine = await h.session();
    const other = await h.session();
    const { turnId } = await ask(h, mine, "What is the capital of France?");
    const refused = await h.post("/api/feedback", { sessionId: other, turnId, rating: "down" });
    expect(refused.status).toBe(404);
    expect(await all(store)).toEqual([]);
    const rated = await h.post("/api/feedback", { sessionId: mine, turnId, rating: "up" });
    expect(rated.status).toBe(200);
  });

  it("does not mark a failed answer rateable and refuses a rating for an answer it does not know", async () => {
    const { h, store } = await start(() => [
      { type: "text", delta: "Half" },
      { type: "fail", error: new LlmError("interrupted", "gone") },
    ]);
    const sessionId = await h.session();
    const { turnId, finals } = await ask(h, sessionId, "hello");
    expect(finals.every((e) => e.data.rateable === undefined)).toBe(true);
    const refused = await h.post("/api/feedback", { sessionId, turnId, rating: "up" });
    expect(refused).toEqual({ status: 404, body: { error: "This answer is too old to rate." } });
    expect(await all(store)).toEqual([]);
    const bad = await h.post("/api/feedback", { sessionId, turnId, rating: "meh" });
    expect(bad.status).toBe(400);
  });

  it("hands the conversation to a person from a thumbs-down", async () => {
    const handoffs: HandoffRequest[] = [];
    const { h } = await start(() => reply(ANSWER), handoffs);
    const sessionId = await h.session();
    const { turnId } = await ask(h, sessionId, "hello");
    const rated = await h.post("/api/feedback", { sessionId, turnId, rating: "down", reason: "Wrong city." });
    expect(rated.body).toEqual({ rating: "down", handoff: true });
    const asked = await h.post("/api/feedback/handoff", { sessionId, turnId });
    expect(asked.status).toBe(202);
    expect(handoffs).toEqual([
      {
        conversation: {
          platform: "web",
          workspaceId: "local",
          channelId: "web",
          threadId: sessionId.split(".")[0],
        },
        userId: expect.any(String),
        reason: "answer was not helpful: Wrong city.",
        trigger: "button",
      },
    ]);
  });

  it("forgets the person's ratings with the rest of their data (Forget me)", async () => {
    const { h, store } = await start(() => reply(ANSWER));
    const sessionId = await h.session();
    const { turnId } = await ask(h, sessionId, "hello");
    await h.post("/api/feedback", { sessionId, turnId, rating: "down", reason: "Not what I asked." });
    expect(await all(store)).toHaveLength(1);

    const res = await h.post("/api/forget", { sessionId });
    expect(res.status).toBe(200);
    expect(res.body.deleted).toEqual(
      expect.arrayContaining([
        { kind: "conversations", count: 1 },
        { kind: "ratings", count: 1 },
      ]),
    );
    expect(await all(store)).toEqual([]);
    // Nothing of theirs is left to rate either.
    const again = await h.post("/api/feedback", { sessionId, turnId, rating: "up" });
    expect(again.status).toBe(404);
  });
});
