/**
 * Who a web chat user is. Sessions are issued by the server and per-user limits key on the
 * remote address, so a page cannot reset its throttle, token budget or order-lookup failure
 * allowance by making up new session ids (which it could on main: unlimited guessing).
 */
import { randomUUID } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import { makeConversation } from "../../support/conversation.js";
import { reply, ScriptedModel, toolCalls } from "../../support/scripted-model.js";
import { FactTools } from "../../support/test-tools.js";
import { startWebChat, type WebChatHarness } from "./harness.js";
import { ended } from "./sse-client.js";

let harness: WebChatHarness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

describe("web chat identity", () => {
  it("refuses a session id the page made up, for messages, streams and Stop", async () => {
    const { conversation, store } = makeConversation({ model: new ScriptedModel(() => reply("hi")) });
    harness = await startWebChat({ conversation, store });
    const chosen = randomUUID();
    const post = await harness.post("/api/messages", {
      sessionId: chosen,
      text: "order 1042, ana@example.com",
    });
    // 400: not even the shape of an issued session; 401: the shape, but not issued here.
    const refused = [400, 401];
    expect(refused).toContain(post.status);
    const events = await fetch(`${harness.baseUrl}/api/events?session=${chosen}`);
    expect(refused).toContain(events.status);
    const stop = await harness.post("/api/stop", { sessionId: chosen, turnId: "web:x" });
    expect(refused).toContain(stop.status);
    // A session the server issued works; a forged signature does not.
    const issued = await harness.session();
    const forged = `${issued.split(".")[0]}.${"A".repeat(22)}`;
    expect((await harness.post("/api/messages", { sessionId: forged, text: "hi" })).status).toBe(401);
    expect((await harness.post("/api/messages", { sessionId: issued, text: "hi" })).status).toBe(202);
  });

  it("keeps a session the server still knows and replaces one it does not", async () => {
    const { conversation, store } = makeConversation({ model: new ScriptedModel(() => reply("hi")) });
    harness = await startWebChat({ conversation, store });
    const issued = await harness.session();
    expect((await harness.post("/api/sessions", { sessionId: issued })).body).toEqual({
      sessionId: issued,
      renewed: false,
    });
    const stale = await harness.post("/api/sessions", { sessionId: "from-before-a-restart" });
    expect(stale.body.renewed).toBe(true);
    expect(stale.body.sessionId).not.toBe(issued);
  });

  it("does not reset the throttle when the page opens a new session", async () => {
    const { conversation, store } = makeConversation({
      model: new ScriptedModel(() => reply("Noted.", { gapMs: 1 })),
      settings: { throttle: { requests: 2, windowMs: 60_000, dailyTokens: 1_000_000 } },
    });
    harness = await startWebChat({ conversation, store });
    const outcomes: unknown[] = [];
    for (let i = 0; i < 3; i++) {
      const sessionId = await harness.session();
      const sse = await harness.listen(sessionId);
      const { body } = await harness.post("/api/messages", { sessionId, text: `guess ${i}` });
      await sse.until(ended(body.turnId));
      outcomes.push(sse.of("end")[0]?.data.outcome);
    }
    expect(outcomes).toEqual(["answered", "answered", "throttled"]);
  });

  it("gives tools (the order lookup's failure limit) the same user in every session", async () => {
    const tools = new FactTools();
    const { conversation, store } = makeConversation({
      model: new ScriptedModel((_req, index) =>
        index % 2 === 0
          ? toolCalls({ id: `call_${index}`, name: "lookup_fact", args: { topic: "river" } })
          : reply("The Seine."),
      ),
      tools,
    });
    harness = await startWebChat({ conversation, store });
    for (let i = 0; i < 2; i++) {
      const sessionId = await harness.session();
      const sse = await harness.listen(sessionId);
      const { body } = await harness.post("/api/messages", { sessionId, text: "Which river?" });
      await sse.until(ended(body.turnId));
    }
    const users = tools.calls.map((c) => `${c.ctx.platform}:${c.ctx.workspaceId}:${c.ctx.userId}`);
    const threads = new Set(tools.calls.map((c) => c.ctx.threadKey));
    expect(users).toEqual(["web:local:127.0.0.1", "web:local:127.0.0.1"]);
    expect(threads.size).toBe(2);
  });
});
