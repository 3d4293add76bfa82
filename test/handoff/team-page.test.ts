/**
 * The local team page when the customer's page cannot be reached: the person replying is told
 * (an error status the page shows), and the summary stays, with the note shown beside it.
 */
import { afterEach, describe, expect, it } from "vitest";
import { HANDOFF_TEXT } from "../../src/core/handoff/texts.js";
import type { Store } from "../../src/core/ports.js";
import { silentLogger } from "../../src/log.js";
import { createWebChatAdapter } from "../../src/platforms/web/index.js";
import { createMemoryStore } from "../../src/store/memory/store.js";
import { ended, SseClient } from "../platforms/web/sse-client.js";
import { ScriptedModel } from "../support/scripted-model.js";
import { type Replica, startReplica, supportModelScript } from "./harness.js";

let store: Store | undefined;
const replicas: Replica[] = [];
const clients: SseClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  for (const r of replicas.splice(0)) {
    r.http.server.closeAllConnections();
    await r.close();
  }
  await store?.close();
  store = undefined;
});

interface Listed {
  id: string;
  summary?: string;
  note?: string;
}

describe("the team page when the customer's page cannot be reached", () => {
  it("answers the reply with an error, keeps the summary and shows the note beside it", async () => {
    store = createMemoryStore({ log: silentLogger() });
    const r = await startReplica({
      store,
      model: new ScriptedModel((req) => supportModelScript(req)),
      env: { WEB_CHAT: "on" },
      extra: (deps) => [createWebChatAdapter(deps)],
    });
    replicas.push(r);
    const base = `http://127.0.0.1:${r.port}`;
    const post = async (path: string, body: unknown) => {
      const res = await fetch(base + path, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
      });
      const text = await res.text();
      return { status: res.status, body: (text ? JSON.parse(text) : {}) as Record<string, unknown> };
    };
    const session = String((await post("/api/sessions", {})).body.sessionId);
    const sse = await SseClient.connect(`${base}/api/events?session=${encodeURIComponent(session)}`);
    clients.push(sse);
    await sse.until((events) => events.some((e) => e.event === "sync"));
    const said = await post("/api/messages", { sessionId: session, text: "My blender is broken" });
    await sse.until(ended(said.body.turnId));
    expect((await post("/api/handoff", { sessionId: session })).status).toBe(202);
    await r.service.idle();
    const list = async () =>
      ((await (await fetch(`${base}/team/api/handoffs`)).json()) as { handoffs: Listed[] }).handoffs;
    const [before] = await list();
    expect(before?.summary).toMatch(/Ana wants/);
    const id = before?.id ?? "";

    // The customer's page is gone (the web chat can no longer take the message).
    r.service.registerPoster({
      platform: "web",
      post: async () => {
        throw new Error("web chat is full");
      },
    });
    const reply = await post("/team/api/reply", { id, name: "Tom", text: "Hello, Tom here" });
    expect(reply.status).toBe(502);
    expect(String(reply.body.error)).toMatch(/could not deliver/i);
    const [after] = await list();
    expect(after?.summary).toBe(before?.summary);
    expect(after?.note).toBe(HANDOFF_TEXT.undelivered.replace(/^_(.*)_$/s, "$1"));
  });
});
