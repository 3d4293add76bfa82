import { afterEach, describe, expect, it } from "vitest";
import type { ModelRequest } from "../../../src/core/ports.js";
import { makeConversation } from "../../support/conversation.js";
import { Gate, reply, ScriptedModel, type Step, toolCalls } from "../../support/scripted-model.js";
import { startWebChat, type WebChatHarness } from "./harness.js";
import { ended } from "./sse-client.js";

const ANSWER = "Paris is the capital of France, and the Seine runs right through it.";

let harness: WebChatHarness | undefined;

afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

async function start(
  script: (req: ModelRequest, index: number) => Step[] = () => reply(ANSWER, { gapMs: 15 }),
  options: Parameters<typeof startWebChat>[0]["options"] = {},
) {
  const model = new ScriptedModel(script);
  const { conversation, store } = makeConversation({ model });
  harness = await startWebChat({ conversation, store, options });
  return { model, conversation, h: harness };
}

describe("web chat page", () => {
  it("serves the page with every script under the CSP nonce, all from this server and cached for long", async () => {
    const { h } = await start();
    const res = await fetch(`${h.baseUrl}/`);
    const html = await res.text();
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/html");
    const csp = res.headers.get("content-security-policy") ?? "";
    const nonce = /'nonce-([^']+)'/.exec(csp)?.[1];
    expect(nonce).toBeTruthy();
    // Scripts run only with the nonce: no inline handlers, no eval, nothing from elsewhere.
    expect(csp).toContain(`script-src 'nonce-${nonce}'`);
    expect(csp).not.toMatch(/unsafe-eval|unsafe-inline'[^;]*script|https?:/);
    const scripts = [...html.matchAll(/<script[^>]*>/g)].map((m) => m[0]);
    expect(scripts).toHaveLength(3);
    for (const tag of scripts) expect(tag).toContain(`nonce="${nonce}"`);
    // No external assets: nothing is loaded from another origin.
    expect(html).not.toMatch(/(src|href)=["']?(https?:)?\/\//);
    expect(html).toContain("<title>Support Assistant</title>");

    const sources = [...html.matchAll(/<script[^>]* src="([^"]+)"/g)].map((m) => m[1] ?? "");
    expect(sources.map((src) => src.replace(/-[0-9a-f]{12}\.js$/, ""))).toEqual([
      "assets/marked",
      "assets/purify",
    ]);
    for (const src of sources) {
      const asset = await fetch(`${h.baseUrl}/${src}`);
      expect(asset.status).toBe(200);
      expect(asset.headers.get("content-type")).toContain("javascript");
      expect(asset.headers.get("cache-control")).toContain("immutable");
      expect((await asset.text()).length).toBeGreaterThan(10_000);
    }
  });
});

describe("POST /api/messages", () => {
  it("answers 202 with the turn id and streams the answer over SSE", async () => {
    const { h } = await start();
    const sessionId = await h.session();
    const sse = await h.listen(sessionId);
    const res = await h.post("/api/messages", { sessionId, text: "Tell me about Paris" });
    expect(res.status).toBe(202);
    expect(res.body.turnId).toBe(`web:${res.body.messageId}`);
    await sse.until(ended(res.body.turnId));
    expect(sse.of("end")[0]?.data.outcome).toBe("answered");
  });

  it("refuses a message without a session id with a JSON 400", async () => {
    const { h } = await start();
    const res = await h.post("/api/messages", { text: "hi" });
    expect(res.status).toBe(400);
    expect(String(res.body.error)).toContain("sessionId");
  });

  it("refuses an empty message with a JSON 400", async () => {
    const { h } = await start();
    const res = await h.post("/api/messages", { sessionId: await h.session(), text: "   " });
    expect(res.status).toBe(400);
    expect(String(res.body.error)).toContain("empty");
  });

  it("refuses a body that is not JSON with a JSON 400", async () => {
    const { h } = await start();
    const res = await h.post("/api/messages", "{not json");
    expect(res.status).toBe(400);
    expect(res.body.error).toBe("the body is not valid JSON");
  });

  it("refuses a body over the size limit with 413", async () => {
    const { h, model } = await start(undefined, { maxBodyBytes: 2048 });
    const res = await h.post("/api/messages", { sessionId: await h.session(), text: "x".repeat(5000) });
    expect(res.status).toBe(413);
    expect(String(res.body.error)).toContain("2048");
    expect(model.requests).toHaveLength(0);
  });

  it("refuses posts from another web site and bodies that are not JSON", async () => {
    const { h } = await start();
    const body = { sessionId: await h.session(), text: "hi" };
    const crossSite = await h.post("/api/messages", body, { origin: "https://evil.example" });
    expect(crossSite.status).toBe(403);
    const form = await h.post("/api/messages", "text=hi", {
      "content-type": "application/x-www-form-urlencoded",
    });
    expect(form.status).toBe(415);
    const sameSite = await h.post("/api/messages", body, { origin: h.baseUrl });
    expect(sameSite.status).toBe(202);
  });

  it("remembers earlier messages of the same session and not of another", async () => {
    const { h, model } = await start(() => reply("Noted.", { gapMs: 1 }));
    const sessionId = await h.session();
    const sse = await h.listen(sessionId);
    const first = await h.post("/api/messages", { sessionId, text: "My name is Ada." });
    await sse.until(ended(first.body.turnId));
    const second = await h.post("/api/messages", { sessionId, text: "What is my name?" });
    await sse.until(ended(second.body.turnId));
    const other = await h.session();
    const otherSse = await h.listen(other);
    const third = await h.post("/api/messages", { sessionId: other, text: "What is my name?" });
    await otherSse.until(ended(third.body.turnId));

    const said = (i: number) => JSON.stringify(model.requests[i]?.messages ?? []);
    expect(said(1)).toContain("My name is Ada.");
    expect(said(2)).not.toContain("My name is Ada.");
    expect(otherSse.of("user").map((e) => e.data.text)).toEqual(["What is my name?"]);
  });
});

describe("when the core fails", () => {
  it("still ends the turn in the page, with a notice", async () => {
    const { conversation, store } = makeConversation({ model: new ScriptedModel(() => reply("unused")) });
    conversation.handle = async () => {
      throw new Error("bug in the core");
    };
    harness = await startWebChat({ conversation, store });
    const sessionId = await harness.session();
    const sse = await harness.listen(sessionId);
    const { body } = await harness.post("/api/messages", { sessionId, text: "hi" });
    await sse.until(ended(body.turnId));
    expect(sse.of("notice")[0]?.data.text).toBe("Something went wrong on my side. Please try again.");
    expect(sse.of("end")[0]?.data.outcome).toBe("failed");
  });
});

describe("GET /api/events", () => {
  it("sends the answer as a post, then edits, then one final edit with the whole text", async () => {
    const { h } = await start();
    const sessionId = await h.session();
    const sse = await h.listen(sessionId);
    const { body } = await h.post("/api/messages", {
      sessionId,
      text: "Tell me about Paris",
      clientId: "c-1",
    });
    await sse.until(ended(body.turnId));

    const types = sse.events.filter((e) => e.event !== "status").map((e) => e.event);
    expect(types[0]).toBe("sync");
    expect(types[1]).toBe("user");
    expect(types[2]).toBe("post");
    expect(types.at(-2)).toBe("finalize");
    expect(types.at(-1)).toBe("end");
    expect(types.slice(3, -2).every((t) => t === "edit")).toBe(true);
    expect(sse.of("edit").length).toBeGreaterThan(0);

    expect(sse.of("user")[0]?.data).toMatchObject({ text: "Tell me about Paris", clientId: "c-1" });
    const texts = sse.events
      .filter((e) => ["post", "edit"].includes(e.event))
      .map((e) => String(e.data.text));
    for (let i = 1; i < texts.length; i++) expect(texts[i]?.startsWith(texts[i - 1] ?? "")).toBe(true);
    expect(sse.of("finalize")[0]?.data).toMatchObject({ text: ANSWER, state: "done", turnId: body.turnId });
    expect(sse.of("status")[0]?.data.text).toBe("thinking...");
  });

  it("shows the tool status while a tool runs and the tool's result in the answer", async () => {
    const { h } = await start((_req, index) =>
      index === 0
        ? toolCalls({ id: "call_1", name: "lookup_fact", args: { topic: "river" } })
        : reply("The river is the Seine.", { gapMs: 5 }),
    );
    const sessionId = await h.session();
    const sse = await h.listen(sessionId);
    const { body } = await h.post("/api/messages", { sessionId, text: "Which river?" });
    await sse.until(ended(body.turnId));
    expect(sse.of("status").map((e) => e.data.text)).toContain("looking it up...");
    expect(sse.of("finalize")[0]?.data.text).toBe("The river is the Seine.");
  });

  it("delivers an answer that finished before the page connected", async () => {
    const { h, conversation } = await start(() => reply(ANSWER));
    const sessionId = await h.session();
    const { body } = await h.post("/api/messages", { sessionId, text: "Tell me about Paris" });
    await expect.poll(() => conversation.activeTurns).toBe(0);
    const sse = await h.listen(sessionId);
    await sse.until(ended(body.turnId));
    expect(sse.of("finalize")[0]?.data.text).toBe(ANSWER);
    // Edits of one message are compacted to the latest: the replay is short.
    expect(sse.of("edit")).toHaveLength(0);
  });

  it("resumes after a reconnect from the last event it saw, without repeating events", async () => {
    const { h } = await start(() => reply(ANSWER, { gapMs: 30 }));
    const sessionId = await h.session();
    const first = await h.listen(sessionId);
    const { body } = await h.post("/api/messages", { sessionId, text: "Tell me about Paris" });
    await first.until((events) => events.some((e) => e.event === "edit"));
    const lastSeen = first.lastId ?? "";
    first.close();

    const second = await h.listen(sessionId, { "last-event-id": lastSeen });
    await second.until(ended(body.turnId));
    const seq = (id: string | undefined) => Number(id?.split("-")[1]);
    const replayed = second.events.filter((e) => e.id !== undefined);
    expect(replayed.every((e) => seq(e.id) > seq(lastSeen))).toBe(true);
    expect(second.of("user")).toHaveLength(0);
    expect(second.of("finalize")[0]?.data.text).toBe(ANSWER);
  });

  it("sends every event to all tabs of a session and none to other sessions", async () => {
    const { h } = await start();
    const sessionId = await h.session();
    const tabA = await h.listen(sessionId);
    const tabB = await h.listen(sessionId);
    const stranger = await h.listen(await h.session());
    const { body } = await h.post("/api/messages", { sessionId, text: "Tell me about Paris" });
    await tabA.until(ended(body.turnId));
    await tabB.until(ended(body.turnId));
    expect(tabB.of("finalize")[0]?.data.text).toBe(ANSWER);
    expect(tabA.events.map((e) => e.id)).toEqual(tabB.events.map((e) => e.id));
    expect(stranger.events.map((e) => e.event)).toEqual(["sync"]);
  });

  it("refuses a stream without a valid session id", async () => {
    const { h } = await start();
    const res = await fetch(`${h.baseUrl}/api/events?session=%3Cscript%3E`);
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: string }).error).toContain("session");
  });

  it("keeps idle streams alive with heartbeat comments", async () => {
    const { h } = await start(undefined, { heartbeatMs: 20 });
    const sse = await h.listen(await h.session());
    await expect.poll(() => sse.comments).toBeGreaterThanOrEqual(2);
  });
});

describe("POST /api/stop", () => {
  it("stops a streaming answer and ends it as stopped", async () => {
    // The answer holds after two words until stopped, so the stop always finds it running.
    const { h } = await start(() =>
      reply("one two three four five six seven eight nine ten", { holdAfter: 2, hold: new Gate() }),
    );
    const sessionId = await h.session();
    const sse = await h.listen(sessionId);
    const { body } = await h.post("/api/messages", { sessionId, text: "Count slowly" });
    await sse.until((events) => events.some((e) => e.event === "post"));
    const stop = await h.post("/api/stop", { sessionId, turnId: body.turnId });
    expect(stop).toEqual({ status: 200, body: { stopped: true } });
    await sse.until(ended(body.turnId));
    const final = sse.of("finalize")[0]?.data;
    expect(final?.state).toBe("stopped");
    expect(String(final?.text)).not.toContain("ten");
    expect(sse.of("end")[0]?.data.outcome).toBe("stopped");
  });

  it("does not stop a turn of another session", async () => {
    const { h } = await start(() => reply("one two three four five", { gapMs: 50 }));
    const sessionId = await h.session();
    const sse = await h.listen(sessionId);
    const { body } = await h.post("/api/messages", { sessionId, text: "Count" });
    const stop = await h.post("/api/stop", { sessionId: await h.session(), turnId: body.turnId });
    expect(stop.body).toEqual({ stopped: false });
    await sse.until(ended(body.turnId));
    expect(sse.of("end")[0]?.data.outcome).toBe("answered");
  });

  it("refuses a stop request without a turn id with a JSON 400", async () => {
    const { h } = await start();
    const res = await h.post("/api/stop", { sessionId: await h.session() });
    expect(res.status).toBe(400);
    expect(String(res.body.error)).toContain("turnId");
  });
});

describe("shutdown", () => {
  it("refuses new messages once stopped and closes open streams", async () => {
    const { h } = await start();
    const sessionId = await h.session();
    const sse = await h.listen(sessionId);
    await h.adapter.stop();
    expect(h.adapter.isReady()).toBe(false);
    const res = await h.post("/api/messages", { sessionId, text: "hi" });
    expect(res.status).toBe(503);
    // The stream ended, so the HTTP server can close without waiting for the tab.
    await h.http.close();
    expect(sse.events.map((e) => e.event)).toEqual(["sync"]);
  });

  it("lets a running answer finish on open tabs during shutdown, then closes the streams", async () => {
    // The answer holds after one word until the adapter has stopped, so it is certainly running then.
    const running = new Gate();
    const { h, conversation } = await start(() =>
      reply("one two three four five six", { holdAfter: 1, hold: running }),
    );
    const sessionId = await h.session();
    const sse = await h.listen(sessionId);
    const { body } = await h.post("/api/messages", { sessionId, text: "Count" });
    await sse.until((events) => events.some((e) => e.event === "post"));
    await h.adapter.stop();
    running.open();
    const closing = h.http.close();
    await conversation.drain(10_000);
    await closing;
    await sse.until(ended(body.turnId));
    expect(sse.of("finalize")[0]?.data).toMatchObject({ state: "done", text: "one two three four five six" });
  });
});
