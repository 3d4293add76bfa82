/**
 * Who a web chat user is. Sessions are issued by the server and per-user limits key on the
 * remote address, so a page cannot reset its throttle, token budget or order-lookup failure
 * allowance by making up new session ids (which it could on main: unlimited guessing).
 */
import { randomUUID } from "node:crypto";
import type { IncomingMessage as IncomingHttpRequest } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import { remoteUserOf } from "../../../src/platforms/web/routes.js";
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

describe("web chat user behind an IPv6 address", () => {
  const userOf = (remoteAddress: string) =>
    remoteUserOf({ socket: { remoteAddress } } as Pick<IncomingHttpRequest, "socket">);

  it("is one user across the fresh addresses a client can pick in its /64", () => {
    const first = userOf("2001:db8:aa:bb:1111:2222:3333:4444");
    expect(userOf("2001:db8:aa:bb::1")).toBe(first);
    expect(userOf("2001:0db8:00aa:00bb:ffff:ffff:ffff:fffe")).toBe(first);
    expect(userOf("2001:DB8:AA:BB::9%eth0")).toBe(first);
    expect(userOf("2001:db8:aa:bc::1")).not.toBe(first);
  });

  it("keeps IPv4 clients (also on a dual-stack socket) apart by their address", () => {
    expect(userOf("::ffff:192.0.2.7")).toBe("192.0.2.7");
    expect(userOf("192.0.2.7")).toBe("192.0.2.7");
    expect(userOf("192.0.2.8")).not.toBe(userOf("192.0.2.7"));
  });
});
