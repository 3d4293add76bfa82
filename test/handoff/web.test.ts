/**
 * Hand-offs from the local web chat: into a Slack team channel when one is set, else onto the
 * local team page (`GET /team`), with the customer's page hearing everything over its SSE stream.
 */
import { afterEach, describe, expect, it } from "vitest";
import type { Store } from "../../src/core/ports.js";
import { silentLogger } from "../../src/log.js";
import { HANDOFF_RETURN_ACTION_ID } from "../../src/platforms/slack/handoff.js";
import { createWebChatAdapter } from "../../src/platforms/web/index.js";
import { createMemoryStore } from "../../src/store/memory/store.js";
import type { FakeSlack } from "../fakes/slack-api.js";
import { buttonClick, eventEnvelope, messageEvent } from "../fakes/slack-events.js";
import { ended, SseClient, type SseEvent } from "../platforms/web/sse-client.js";
import { rawRequest } from "../support/raw-http.js";
import { ScriptedModel } from "../support/scripted-model.js";
import {
  eventually,
  fakeSlackForHandoffs,
  type Replica,
  slackEnv,
  startReplica,
  supportModelScript,
  TEAM_CHANNEL,
} from "./harness.js";

let fake: FakeSlack | undefined;
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
  await fake?.close();
  fake = undefined;
  store = undefined;
});

async function setup(env: Record<string, string>) {
  store = createMemoryStore({ log: silentLogger() });
  const model = new ScriptedModel((req) => supportModelScript(req));
  const r = await startReplica({
    store,
    model,
    env: { WEB_CHAT: "on", ...env },
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
  const say = async (text: string) => {
    const res = await post("/api/messages", { sessionId: session, text });
    await sse.until(ended(res.body.turnId));
    return res.body.turnId;
  };
  return { r, model, base, post, session, sse, say };
}

const shown = (events: SseEvent[]) =>
  events.filter((e) => e.event === "finalize").map((e) => String(e.data.text));

describe("hand-off from the web chat", () => {
  it("goes to the Slack team channel, relays both ways, and the bot answers again knowing the team's replies", async () => {
    fake = await fakeSlackForHandoffs();
    const { r, model, sse, say } = await setup(slackEnv(fake));
    const f = fake;
    await say("My blender arrived broken");
    await say("I want to talk to a person");
    await sse.until((ev) => shown(ev).some((t) => /person from our support team/.test(t)));
    const announcement = await eventually(() =>
      f.botMessages(TEAM_CHANNEL).find((m) => m.threadTs === undefined),
    );
    expect(f.visibleText(announcement)).toMatch(/web chat/);
    await r.slack?.idle();
    await r.service.idle();

    await r.delivery?.event(
      eventEnvelope(
        messageEvent({
          channel: TEAM_CHANNEL,
          user: "U9",
          text: "Hi! Bea here, so sorry.",
          ts: f.nextTs(),
          threadTs: announcement.ts,
        }),
      ),
    );
    await sse.until((ev) => shown(ev).some((t) => /\(support team\): Hi! Bea here/.test(t)));

    const asked = model.requests.length;
    const relayedTurn = await say("Thanks Bea, it is order A-1002");
    expect(sse.of("end").find((e) => e.data.turnId === relayedTurn)?.data.outcome).toBe("relayed");
    await eventually(() =>
      f
        .botMessages(TEAM_CHANNEL, announcement.ts)
        .some((m) => /\(customer\): Thanks Bea/.test(f.visibleText(m))),
    );
    expect(model.requests.length).toBe(asked);

    await r.slack?.idle();
    await r.delivery?.action(
      buttonClick({
        fake: f,
        channel: TEAM_CHANNEL,
        user: "U9",
        messageTs: announcement.ts,
        actionId: HANDOFF_RETURN_ACTION_ID,
        value: f.buttons(announcement).at(-1)?.value ?? "",
      }),
    );
    await sse.until((ev) => shown(ev).some((t) => /handed the conversation back to me/.test(t)));
    await say("What did the team say?");
    expect(shown(sse.events).at(-1)).toMatch(/I can see 1 team message/);
  });

  it("does not let the local team page claim, answer or return a hand-off that went to the Slack team channel", async () => {
    fake = await fakeSlackForHandoffs();
    const { r, base, post, say } = await setup(slackEnv(fake));
    const f = fake;
    await say("I want to talk to a person");
    await eventually(() => f.botMessages(TEAM_CHANNEL).find((m) => m.threadTs === undefined));
    await r.service.idle();
    const [open] = await r.service.store.listActive(10);
    const id = open?.id ?? "";
    expect(open?.team?.platform).toBe("slack");
    expect((await post("/team/api/claim", { id, name: "Eve" })).status).toBe(404);
    expect((await post("/team/api/reply", { id, name: "Eve", text: "hi" })).status).toBe(404);
    expect((await post("/team/api/return", { id, name: "Eve" })).status).toBe(404);
    expect((await r.service.store.get(id))?.status).toBe("open");
    const listed = (await (await fetch(`${base}/team/api/handoffs`)).json()) as { handoffs: unknown[] };
    expect(listed.handoffs).toEqual([]);
  });

  it("goes to the local team page when no team channel is set: claim, reply, return", async () => {
    const { base, post, session, sse, say } = await setup({});
    await say("hello");
    expect((await post("/api/handoff", { sessionId: session })).status).toBe(202);
    await sse.until((ev) => shown(ev).some((t) => /person from our support team/.test(t)));

    const page = await fetch(`${base}/team`);
    expect(page.status).toBe(200);
    expect(await page.text()).toMatch(/Hand-offs from the/);
    const list = async () =>
      (
        (await (await fetch(`${base}/team/api/handoffs`)).json()) as {
          handoffs: { id: string; status: string; reason: string; lines: { text: string }[] }[];
        }
      ).handoffs;
    const [h] = await list();
    expect(h?.reason).toMatch(/Talk to a person/);
    const id = h?.id ?? "";

    expect((await post("/team/api/claim", { id, name: "Tom" })).status).toBe(200);
    await sse.until((ev) => shown(ev).some((t) => /Tom from the support team has joined/.test(t)));
    expect((await post("/team/api/claim", { id, name: "Una" })).status).toBe(409);
    expect((await post("/team/api/reply", { id, name: "Tom", text: "How can I help?" })).status).toBe(200);
    await sse.until((ev) => shown(ev).some((t) => /\*\*Tom\*\* \(support team\): How can I help\?/.test(t)));
    await say("My order never came");
    expect((await list())[0]?.lines.map((l) => l.text)).toEqual(["How can I help?", "My order never came"]);

    expect((await post("/team/api/return", { id, name: "Tom" })).status).toBe(200);
    await sse.until((ev) => shown(ev).some((t) => /handed the conversation back/.test(t)));
    expect(await list()).toEqual([]);
    // A reply sent after Return would reach no one: the page is told so.
    expect((await post("/team/api/reply", { id, name: "Tom", text: "One more thing" })).status).toBe(409);
  });

  it("forgets the customer's hand-offs with the rest of their data (Forget me)", async () => {
    const { r, post, session, sse, say } = await setup({});
    await say("hello");
    expect((await post("/api/handoff", { sessionId: session })).status).toBe(202);
    await sse.until((ev) => shown(ev).some((t) => /person from our support team/.test(t)));
    const [open] = await r.service.store.listActive(10);
    expect(open).toBeDefined();
    expect((await post("/api/forget", { sessionId: session })).status).toBe(200);
    expect(await r.service.store.get(open?.id ?? "")).toBeUndefined();
    expect(await r.service.store.listActive(10)).toEqual([]);
  });

  it("answers the team page only on the chat's own host names", async () => {
    const { base } = await setup({});
    for (const path of ["/team", "/team/api/handoffs"]) {
      expect((await rawRequest(`${base}${path}`, { headers: { host: "evil.example" } })).status).toBe(403);
    }
    const claim = await rawRequest(`${base}/team/api/claim`, {
      method: "POST",
      headers: { host: "evil.example", "content-type": "application/json" },
      body: JSON.stringify({ id: "x", name: "Eve" }),
    });
    expect(claim.status).toBe(403);
  });
});
