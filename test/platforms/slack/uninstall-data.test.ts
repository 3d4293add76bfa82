/**
 * Uninstalling deletes everything the service keeps about that workspace (docs/slack-install.md,
 * docs/privacy.md), end to end against the fake Slack in OAuth mode: ratings, hand-offs, the
 * per-person conversation index entries, the admins' channel switches and the bot's thread
 * marks, while another workspace's stay.
 */
import { randomUUID } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import { loadConfig } from "../../../src/config.js";
import type { FeedbackRecord } from "../../../src/core/feedback/types.js";
import type { HandoffRecord } from "../../../src/core/handoff/record.js";
import type { ConversationRef } from "../../../src/core/types.js";
import { silentLogger } from "../../../src/log.js";
import { botThreadKey } from "../../../src/platforms/slack/events.js";
import { FEEDBACK_ACTION_ID } from "../../../src/platforms/slack/feedback.js";
import { setUpPolicy } from "../../../src/policy/setup.js";
import { storeKeys } from "../../../src/store/keys.js";
import { createMemoryStore } from "../../../src/store/memory/store.js";
import { FAKE_BOT_USER_ID, type FakeMessage } from "../../fakes/slack-api.js";
import { eventEnvelope, mentionEvents } from "../../fakes/slack-events.js";
import { feedbackButtonClick } from "../../fakes/slack-views.js";
import { reply, ScriptedModel } from "../../support/scripted-model.js";
import { eventually, startHarness } from "./harness.js";
import { install, type OAuthHarness, startOAuthHarness } from "./oauth-harness.js";

let h: OAuthHarness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const answering = () =>
  new ScriptedModel((req) => reply(`Answer to: ${String(req.messages.at(-1)?.content)}`));

/** Ana asks the bot in `channel` of workspace `teamId`; resolves with the answer once it is final. */
async function ask(
  harness: OAuthHarness,
  teamId: string,
  channel: string,
  org: { enterpriseId?: string; orgWide?: boolean } = {},
): Promise<{ ts: string; msg: FakeMessage }> {
  const ts = harness.fake.nextTs();
  const { appMention } = mentionEvents({
    channel,
    user: "UANA",
    text: `<@${FAKE_BOT_USER_ID}> my order?`,
    ts,
  });
  await harness.service.delivery.event({
    ...eventEnvelope({ ...appMention, team: teamId }),
    team_id: teamId,
    ...(org.enterpriseId ? { enterprise_id: org.enterpriseId } : {}),
    authorizations: [
      {
        team_id: org.orgWide ? null : teamId,
        enterprise_id: org.enterpriseId ?? null,
        user_id: FAKE_BOT_USER_ID,
        is_bot: true,
        is_enterprise_install: org.orgWide === true,
      },
    ],
    ...(org.orgWide ? { is_enterprise_install: true } : {}),
  });
  const msg = await eventually(() => {
    const m = harness.fake.botMessages(channel, ts)[0];
    return m && ratingValue(m) ? m : undefined;
  });
  await harness.service.adapter.idle();
  return { ts, msg };
}

/** The thumbs-up button's value under an answer, if it has the buttons. */
function ratingValue(msg: { blocks?: unknown[] }): string | undefined {
  for (const block of (msg.blocks ?? []) as { type?: string; elements?: Record<string, unknown>[] }[]) {
    const buttons = block.elements?.find((e) => e.type === "feedback_buttons") as
      | { positive_button?: { value?: string } }
      | undefined;
    if (buttons?.positive_button?.value) return buttons.positive_button.value;
  }
  return undefined;
}

async function ratings(harness: OAuthHarness): Promise<FeedbackRecord[]> {
  const out: FeedbackRecord[] = [];
  for await (const r of harness.store.feedback.all()) out.push(r);
  return out;
}

function handoffIn(conversation: ConversationRef): HandoffRecord {
  return {
    id: randomUUID(),
    conversation,
    userKey: `slack:${conversation.workspaceId}:UANA`,
    userId: "UANA",
    reason: "asked for a person",
    trigger: "command",
    status: "open",
    openedAt: Date.now(),
  };
}

describe("uninstall deletes the workspace's data (OAuth)", () => {
  it("removes the workspace's ratings, hand-offs, person-index entries, channel switches and thread marks, and keeps another workspace's", async () => {
    const log = silentLogger();
    const store = createMemoryStore({ log });
    const policy = setUpPolicy(null, loadConfig({}).env, store, log);
    h = await startOAuthHarness({ model: answering(), store, feedback: true, policy });
    const { fake } = h;
    for (const [team, channel] of [
      ["T1", "CA"],
      ["T2", "CB"],
    ] as const) {
      fake.oauth.installables.set(team, { teamId: team, teamName: `Team ${team}` });
      fake.addChannel({ id: channel, name: `general-${team.toLowerCase()}` });
      await install(h.service.baseUrl, team);
    }
    const a = await ask(h, "T1", "CA");
    const b = await ask(h, "T2", "CB");
    // Ana rates both answers (thumbs up), as she would in Slack.
    for (const [team, channel, asked] of [
      ["T1", "CA", a],
      ["T2", "CB", b],
    ] as const) {
      await h.service.delivery.action(
        feedbackButtonClick({
          responseUrl: fake.newResponseUrl(),
          teamId: team,
          channel,
          user: "UANA",
          messageTs: asked.msg.ts,
          threadTs: asked.ts,
          actionId: FEEDBACK_ACTION_ID,
          value: ratingValue(asked.msg) ?? "",
        }),
      );
    }
    await eventually(async () => (await ratings(h!)).length === 2);
    // A hand-off in each workspace, and an admin's switch on each channel.
    const handoffA = handoffIn(where("T1", "CA", a.ts));
    const handoffB = handoffIn(where("T2", "CB", b.ts));
    await store.handoffs.open(handoffA, 3_600_000);
    await store.handoffs.open(handoffB, 3_600_000);
    const placeA = { platform: "slack" as const, workspaceId: "T1", channelId: "CA" };
    const placeB = { platform: "slack" as const, workspaceId: "T2", channelId: "CB" };
    await policy.replies.switches.set(placeA, "on");
    await policy.replies.switches.set(placeB, "on");
    const keys = storeKeys("chatbot:");
    const indexOf = (userKey: string) =>
      (store.keyspace.zset(keys.people(userKey)) ?? []).map((m) => m.member);
    expect(indexOf("slack:T1:UANA")).toHaveLength(1);
    expect(await store.kv.get(botThreadKey("T1", "CA", a.ts))).toBe("1");

    expect((await h.service.delivery.event(uninstalled("T1"))).status).toBe(200);
    await h.service.adapter.idle();

    expect((await ratings(h)).map((r) => r.conversation.workspaceId)).toEqual(["T2"]);
    expect(await store.handoffs.get(handoffA.id)).toBeUndefined();
    expect((await store.handoffs.get(handoffB.id))?.id).toBe(handoffB.id);
    expect(indexOf("slack:T1:UANA")).toEqual([]);
    expect(indexOf("slack:T2:UANA")).toHaveLength(1);
    expect(await policy.replies.switches.get(placeA, { fresh: true })).toBeNull();
    expect(await policy.replies.switches.get(placeB, { fresh: true })).toBe("on");
    expect(await store.kv.get(botThreadKey("T1", "CA", a.ts))).toBeNull();
    expect(await store.kv.get(botThreadKey("T2", "CB", b.ts))).toBe("1");
    expect(await store.threads.load(`slack:T2:CB:${b.ts}`)).toHaveLength(1);
  });
});

describe("uninstall deletes the workspace's data (org-wide install on Enterprise Grid)", () => {
  it("removes the answers waiting to be rated, hand-offs and person-index entries of every workspace of the org", async () => {
    const log = silentLogger();
    const store = createMemoryStore({ log });
    h = await startOAuthHarness({ model: answering(), store, feedback: true });
    const { fake } = h;
    fake.oauth.installables.set("E1", { enterpriseId: "E1", enterpriseName: "Big Org", orgWide: true });
    fake.addChannel({ id: "CX", name: "x" });
    fake.addChannel({ id: "CY", name: "y" });
    await install(h.service.baseUrl, "E1");
    const asked: { ts: string; msg: FakeMessage }[] = [];
    for (const [team, channel] of [
      ["T3", "CX"],
      ["T4", "CY"],
    ] as const) {
      asked.push(await ask(h, team, channel, { enterpriseId: "E1", orgWide: true }));
    }
    const turnIds = asked.map((a) => (JSON.parse(ratingValue(a.msg) ?? "{}") as { t?: string }).t ?? "");
    expect(turnIds.every((t) => t !== "")).toBe(true);
    const handoffs = [
      { ...handoffIn(where("T3", "CX", asked[0]?.ts ?? "")), userKey: "slack:E1:UANA" },
      { ...handoffIn(where("T4", "CY", asked[1]?.ts ?? "")), userKey: "slack:E1:UANA" },
    ];
    for (const handoff of handoffs) await store.handoffs.open(handoff, 3_600_000);
    const keys = storeKeys("chatbot:");
    const indexOf = (userKey: string) =>
      (store.keyspace.zset(keys.people(userKey)) ?? []).map((m) => m.member);
    expect(indexOf("slack:E1:UANA")).toHaveLength(2);

    expect((await h.service.delivery.event(uninstalled("T3", "E1"))).status).toBe(200);
    await h.service.adapter.idle();

    expect(await store.installations.ids()).toEqual([]);
    for (const turnId of turnIds) {
      const late = await store.feedback.rate({
        userKey: "slack:E1:UANA",
        turnId,
        rating: "up",
        now: Date.now(),
        ttlMs: 3_600_000,
      });
      expect(late).toBeNull();
    }
    for (const handoff of handoffs) expect(await store.handoffs.get(handoff.id)).toBeUndefined();
    expect(indexOf("slack:E1:UANA")).toEqual([]);
  });
});

describe("an org-wide install remembers the workspaces it served", () => {
  it("finds a workspace's records after its threads have left the installation's thread index", async () => {
    const store = createMemoryStore({ log: silentLogger() });
    h = await startOAuthHarness({ model: answering(), store, feedback: true });
    h.fake.oauth.installables.set("E1", { enterpriseId: "E1", enterpriseName: "Big Org", orgWide: true });
    h.fake.addChannel({ id: "CX", name: "x" });
    await install(h.service.baseUrl, "E1");
    const asked = await ask(h, "T3", "CX", { enterpriseId: "E1", orgWide: true });
    const turnId = (JSON.parse(ratingValue(asked.msg) ?? "{}") as { t?: string }).t ?? "";
    // The thread index lives an hour past the histories; a rating lives FEEDBACK_TTL_DAYS.
    await store.workspaceThreads.drop("E:E1");

    expect((await h.service.delivery.event(uninstalled("T3", "E1"))).status).toBe(200);
    await h.service.adapter.idle();

    const late = await store.feedback.rate({
      userKey: "slack:E1:UANA",
      turnId,
      rating: "up",
      now: Date.now(),
      ttlMs: 3_600_000,
    });
    expect(late).toBeNull();
  });
});

describe("uninstall deletes the workspace's data (single-workspace mode)", () => {
  it("removes the workspace's ratings, hand-offs, person-index entries and channel switches", async () => {
    const log = silentLogger();
    const store = createMemoryStore({ log });
    const policy = setUpPolicy(null, loadConfig({}).env, store, log);
    const single = await startHarness({ model: answering(), store, feedback: true, policy });
    try {
      const ts = single.fake.nextTs();
      const { appMention } = mentionEvents({
        channel: "C1",
        user: "UANA",
        text: `<@${FAKE_BOT_USER_ID}> hi`,
        ts,
      });
      await single.delivery.event(eventEnvelope(appMention));
      const msg = await eventually(() => {
        const m = single.fake.botMessages("C1", ts)[0];
        return m && ratingValue(m) ? m : undefined;
      });
      await single.adapter.idle();
      await single.delivery.action(
        feedbackButtonClick({
          responseUrl: single.fake.newResponseUrl(),
          teamId: "T0FAKE",
          channel: "C1",
          user: "UANA",
          messageTs: msg.ts,
          threadTs: ts,
          actionId: FEEDBACK_ACTION_ID,
          value: ratingValue(msg) ?? "",
        }),
      );
      const rated = async () => {
        const out: FeedbackRecord[] = [];
        for await (const r of store.feedback.all()) out.push(r);
        return out;
      };
      await eventually(async () => (await rated()).length === 1);
      const handoff = handoffIn(where("T0FAKE", "C1", ts));
      await store.handoffs.open(handoff, 3_600_000);
      const place = { platform: "slack" as const, workspaceId: "T0FAKE", channelId: "C1" };
      await policy.replies.switches.set(place, "on");

      expect((await single.delivery.event(uninstalled("T0FAKE"))).status).toBe(200);
      await single.adapter.idle();

      expect(await rated()).toEqual([]);
      expect(await store.handoffs.get(handoff.id)).toBeUndefined();
      expect(store.keyspace.zset(storeKeys("chatbot:").people("slack:T0FAKE:UANA"))).toBeUndefined();
      expect(await policy.replies.switches.get(place, { fresh: true })).toBeNull();
      expect(await store.threads.load(`slack:T0FAKE:C1:${ts}`)).toEqual([]);
    } finally {
      await single.close();
    }
  });
});

function where(team: string, channel: string, ts: string): ConversationRef {
  return { platform: "slack", workspaceId: team, channelId: channel, threadId: ts };
}

function uninstalled(teamId: string, enterpriseId?: string) {
  const orgWide = enterpriseId !== undefined;
  return {
    ...eventEnvelope({ type: "app_uninstalled", event_ts: String(Date.now() / 1000) }),
    team_id: teamId,
    ...(orgWide ? { enterprise_id: enterpriseId } : {}),
    authorizations: [
      {
        team_id: orgWide ? null : teamId,
        enterprise_id: enterpriseId ?? null,
        user_id: FAKE_BOT_USER_ID,
        is_bot: true,
        is_enterprise_install: orgWide,
      },
    ],
  };
}
