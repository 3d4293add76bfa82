import { Redis } from "ioredis";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { Store } from "../../../src/core/ports.js";
import { silentLogger } from "../../../src/log.js";
import { SLACK_BOT_SCOPES } from "../../../src/platforms/slack/install-routes.js";
import { storeKeys } from "../../../src/store/keys.js";
import { createRedisStore } from "../../../src/store/redis/store.js";
import { FAKE_BOT_USER_ID, type FakeSlack } from "../../fakes/slack-api.js";
import { eventEnvelope, mentionEvents } from "../../fakes/slack-events.js";
import { requires } from "../../support/binaries.js";
import {
  deleteKeys,
  startRedis,
  type TestRedis,
  uniquePrefix,
  usingExternalRedis,
} from "../../support/redis.js";
import { reply, ScriptedModel } from "../../support/scripted-model.js";
import { eventually, startHarness } from "./harness.js";
import { install, type OAuthHarness, openInstallPage, startOAuthHarness } from "./oauth-harness.js";

const needsRedis = requires("redis");
let redis: TestRedis | undefined;
beforeAll(async () => {
  if (!needsRedis.skip) redis = await startRedis();
});
afterAll(async () => {
  await redis?.stop();
});

let h: OAuthHarness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const answering = () =>
  new ScriptedModel((req) => reply(`Answer to: ${String(req.messages.at(-1)?.content)}`));

/** A workspace of the fake that people may install the app into, with a channel. */
function offerWorkspace(fake: FakeSlack, teamId: string, channel: string, enterpriseId?: string) {
  fake.oauth.installables.set(teamId, { teamId, teamName: `Team ${teamId}` });
  fake.addChannel({ id: channel, name: `general-${teamId.toLowerCase()}` });
  if (enterpriseId) fake.oauth.installables.set(teamId, { teamId, enterpriseId, teamName: `Team ${teamId}` });
}

/** A mention of the bot in `channel` of `teamId`, as Slack delivers it to that workspace's install. */
function mentionIn(
  fake: FakeSlack,
  where: { teamId: string; channel: string; enterpriseId?: string; orgWide?: boolean },
  text: string,
) {
  const ts = fake.nextTs();
  const { appMention } = mentionEvents({
    channel: where.channel,
    user: "U1",
    text: `<@${FAKE_BOT_USER_ID}> ${text}`,
    ts,
  });
  const envelope = eventEnvelope({ ...appMention, team: where.teamId });
  return {
    ts,
    envelope: {
      ...envelope,
      team_id: where.teamId,
      ...(where.enterpriseId ? { enterprise_id: where.enterpriseId } : {}),
      authorizations: [
        {
          team_id: where.orgWide ? null : where.teamId,
          enterprise_id: where.enterpriseId ?? null,
          user_id: FAKE_BOT_USER_ID,
          is_bot: true,
          is_enterprise_install: where.orgWide === true,
        },
      ],
      ...(where.orgWide ? { is_enterprise_install: true } : {}),
    },
  };
}

function uninstalledEvent(where: { teamId: string; enterpriseId?: string; orgWide?: boolean }) {
  return {
    ...eventEnvelope({ type: "app_uninstalled", event_ts: String(Date.now() / 1000) }),
    team_id: where.teamId,
    ...(where.enterpriseId ? { enterprise_id: where.enterpriseId } : {}),
    authorizations: [
      {
        team_id: where.orgWide ? null : where.teamId,
        enterprise_id: where.enterpriseId ?? null,
        user_id: FAKE_BOT_USER_ID,
        is_bot: true,
        is_enterprise_install: where.orgWide === true,
      },
    ],
  };
}

/** The token each call into `channel` was made with. */
const tokensUsedIn = (fake: FakeSlack, channel: string) =>
  new Set(fake.calls.filter((c) => c.args.channel === channel).map((c) => c.token));

const tokenOf = (fake: FakeSlack, teamOrOrg: string) =>
  fake.oauth.installedTokens.find(
    (w) => w.teamId === teamOrOrg || (w.orgWide && w.enterpriseId === teamOrOrg),
  )?.token;

describe("Slack install to many workspaces (OAuth)", () => {
  it("installs through Add to Slack, asking for the manifest's scopes, and stores the installation", async () => {
    h = await startOAuthHarness({ model: answering() });
    offerWorkspace(h.fake, "T1", "CA");
    const page = await openInstallPage(h.service.baseUrl);
    expect(page.link.searchParams.get("scope")?.split(",").sort()).toEqual([...SLACK_BOT_SCOPES].sort());
    expect(page.link.searchParams.get("client_id")).toBe("1111.2222");
    expect(page.cookie).toMatch(/^slack-app-oauth-state=.+/);

    const done = await install(h.service.baseUrl, "T1");
    expect(done.status).toBe(200);
    expect(done.body).toContain("is now in Team T1");
    const sealed = await h.store.installations.get("T:T1");
    expect(sealed).toMatch(/^v1\./);
    expect(sealed).not.toContain(tokenOf(h.fake, "T1"));
    expect(await h.store.installations.ids()).toEqual(["T:T1"]);
  });

  it("refuses a redirect whose state is forged, missing, or from another browser, or a cancelled install, and stores nothing", async () => {
    h = await startOAuthHarness({ model: answering() });
    offerWorkspace(h.fake, "T1", "CA");
    const { cookie, link } = await openInstallPage(h.service.baseUrl);
    const state = link.searchParams.get("state") ?? "";
    const redirect = `${h.service.baseUrl}/slack/oauth_redirect`;
    const attempts = [
      fetch(`${redirect}?code=c1&state=forged`, { headers: { cookie } }),
      fetch(`${redirect}?code=c1`, { headers: { cookie } }),
      fetch(`${redirect}?code=c1&state=${encodeURIComponent(state)}`), // no cookie: another browser
      fetch(`${redirect}?code=c1&state=${encodeURIComponent(`${state.slice(0, -2)}xx`)}`, {
        headers: { cookie: `slack-app-oauth-state=${state.slice(0, -2)}xx` },
      }),
    ];
    for (const res of await Promise.all(attempts)) {
      expect(res.status).toBe(400);
      expect(await res.text()).toContain("Start again from the Add to Slack page");
    }
    const cancelled = await fetch(`${redirect}?error=access_denied&state=${encodeURIComponent(state)}`, {
      headers: { cookie },
    });
    expect(cancelled.status).toBe(400);
    expect(await cancelled.text()).toContain("The installation was cancelled in Slack");
    expect(h.fake.callsOf("oauth.v2.access")).toEqual([]);
    expect(await h.store.installations.ids()).toEqual([]);
  });

  it("answers events from two workspaces, each with its own workspace's token", async () => {
    h = await startOAuthHarness({ model: answering() });
    offerWorkspace(h.fake, "T1", "CA");
    offerWorkspace(h.fake, "T2", "CB");
    expect((await install(h.service.baseUrl, "T1")).status).toBe(200);
    expect((await install(h.service.baseUrl, "T2")).status).toBe(200);
    const fake = h.fake;
    const a = mentionIn(fake, { teamId: "T1", channel: "CA" }, "hello from one");
    const b = mentionIn(fake, { teamId: "T2", channel: "CB" }, "hello from two");
    expect((await h.service.delivery.event(a.envelope)).status).toBe(200);
    expect((await h.service.delivery.event(b.envelope)).status).toBe(200);
    await eventually(() => fake.botMessages("CA", a.ts)[0] && fake.botMessages("CB", b.ts)[0]);
    await h.service.adapter.idle();
    expect(fake.visibleText(fake.botMessages("CA", a.ts)[0]!)).toBe("Answer to: hello from one");
    expect(fake.visibleText(fake.botMessages("CB", b.ts)[0]!)).toBe("Answer to: hello from two");
    expect(tokensUsedIn(fake, "CA")).toEqual(new Set([tokenOf(fake, "T1")]));
    expect(tokensUsedIn(fake, "CB")).toEqual(new Set([tokenOf(fake, "T2")]));
  });

  it("ignores events from a workspace the app is not installed in", async () => {
    h = await startOAuthHarness({ model: answering() });
    offerWorkspace(h.fake, "T9", "CZ");
    const z = mentionIn(h.fake, { teamId: "T9", channel: "CZ" }, "anyone?");
    expect((await h.service.delivery.event(z.envelope)).status).toBe(200);
    await h.service.adapter.idle();
    expect(h.fake.calls.filter((c) => c.args.channel === "CZ")).toEqual([]);
  });

  it("on uninstall deletes the installation and that workspace's histories, and keeps the others", async () => {
    const model = answering();
    h = await startOAuthHarness({ model });
    const fake = h.fake;
    offerWorkspace(fake, "T1", "CA");
    offerWorkspace(fake, "T2", "CB");
    await install(h.service.baseUrl, "T1");
    await install(h.service.baseUrl, "T2");
    const a = mentionIn(fake, { teamId: "T1", channel: "CA" }, "first");
    const b = mentionIn(fake, { teamId: "T2", channel: "CB" }, "second");
    await h.service.delivery.event(a.envelope);
    await h.service.delivery.event(b.envelope);
    await eventually(() => fake.botMessages("CA", a.ts)[0] && fake.botMessages("CB", b.ts)[0]);
    await h.service.adapter.idle();
    const threadA = `slack:T1:CA:${a.ts}`;
    const threadB = `slack:T2:CB:${b.ts}`;
    expect(await h.store.threads.load(threadA)).toHaveLength(1);

    fake.oauth.revoke(tokenOf(fake, "T1") ?? "");
    expect((await h.service.delivery.event(uninstalledEvent({ teamId: "T1" }))).status).toBe(200);
    await h.service.adapter.idle();
    expect(await h.store.installations.get("T:T1")).toBeNull();
    expect(await h.store.installations.ids()).toEqual(["T:T2"]);
    expect(await h.store.threads.load(threadA)).toEqual([]);
    expect(await h.store.threads.load(threadB)).toHaveLength(1);

    // The workspace is gone: its events are not answered, the other's still are.
    const again = mentionIn(fake, { teamId: "T1", channel: "CA" }, "still there?");
    const other = mentionIn(fake, { teamId: "T2", channel: "CB" }, "and you?");
    await h.service.delivery.event(again.envelope);
    await h.service.delivery.event(other.envelope);
    await eventually(() => fake.botMessages("CB", other.ts)[0]);
    await h.service.adapter.idle();
    expect(fake.botMessages("CA", again.ts)).toEqual([]);
  });

  it("after a reinstall through another replica, takes the new token once Slack refuses the old one", async () => {
    h = await startOAuthHarness({ model: answering() });
    const fake = h.fake;
    offerWorkspace(fake, "T1", "CA");
    await install(h.service.baseUrl, "T1");
    const first = mentionIn(fake, { teamId: "T1", channel: "CA" }, "one");
    await h.service.delivery.event(first.envelope);
    await eventually(() => fake.botMessages("CA", first.ts)[0]);
    await h.service.adapter.idle();
    const oldToken = tokenOf(fake, "T1") ?? "";

    const replica = await h.startService();
    if (fake.oauth.app) fake.oauth.app.redirectUri = `${replica.baseUrl}/slack/oauth_redirect`;
    fake.oauth.revoke(oldToken);
    expect((await install(replica.baseUrl, "T1")).status).toBe(200);
    const newToken = tokenOf(fake, "T1") ?? "";
    expect(newToken).not.toBe(oldToken);

    // The first replica still has the old token cached: Slack refuses it, and it looks again.
    const second = mentionIn(fake, { teamId: "T1", channel: "CA" }, "two");
    await h.service.delivery.event(second.envelope);
    await eventually(() => fake.calls.find((c) => c.token === oldToken && c.error === "invalid_auth"));
    await h.service.adapter.idle();
    const third = mentionIn(fake, { teamId: "T1", channel: "CA" }, "three");
    const before = fake.calls.length;
    await h.service.delivery.event(third.envelope);
    await eventually(() => fake.botMessages("CA", third.ts)[0]);
    await h.service.adapter.idle();
    const thirdCalls = fake.calls.slice(before).filter((c) => c.args.channel === "CA");
    expect(new Set(thirdCalls.map((c) => c.token))).toEqual(new Set([newToken]));
    expect(fake.visibleText(fake.botMessages("CA", third.ts)[0]!)).toBe("Answer to: three");
  });

  it("a revoked bot token removes the installation like an uninstall", async () => {
    h = await startOAuthHarness({ model: answering() });
    offerWorkspace(h.fake, "T1", "CA");
    await install(h.service.baseUrl, "T1");
    const revoked = {
      ...eventEnvelope({ type: "tokens_revoked", tokens: { bot: [FAKE_BOT_USER_ID] } }),
      team_id: "T1",
      authorizations: [
        { team_id: "T1", user_id: FAKE_BOT_USER_ID, is_bot: true, is_enterprise_install: false },
      ],
    };
    expect((await h.service.delivery.event(revoked)).status).toBe(200);
    await h.service.adapter.idle();
    expect(await h.store.installations.ids()).toEqual([]);
  });

  it("installs org-wide on Enterprise Grid: every workspace of the org is answered with the org's token", async () => {
    h = await startOAuthHarness({ model: answering() });
    const fake = h.fake;
    fake.oauth.installables.set("E1", { enterpriseId: "E1", enterpriseName: "Big Org", orgWide: true });
    fake.addChannel({ id: "CX", name: "x" });
    fake.addChannel({ id: "CY", name: "y" });
    const done = await install(h.service.baseUrl, "E1");
    expect(done.status).toBe(200);
    expect(done.body).toContain("is now in Big Org");
    expect(await h.store.installations.ids()).toEqual(["E:E1"]);
    const x = mentionIn(fake, { teamId: "T3", enterpriseId: "E1", orgWide: true, channel: "CX" }, "from T3");
    const y = mentionIn(fake, { teamId: "T4", enterpriseId: "E1", orgWide: true, channel: "CY" }, "from T4");
    await h.service.delivery.event(x.envelope);
    await h.service.delivery.event(y.envelope);
    await eventually(() => fake.botMessages("CX", x.ts)[0] && fake.botMessages("CY", y.ts)[0]);
    await h.service.adapter.idle();
    const orgToken = tokenOf(fake, "E1");
    expect(tokensUsedIn(fake, "CX")).toEqual(new Set([orgToken]));
    expect(tokensUsedIn(fake, "CY")).toEqual(new Set([orgToken]));

    await h.service.delivery.event(uninstalledEvent({ teamId: "T3", enterpriseId: "E1", orgWide: true }));
    await h.service.adapter.idle();
    expect(await h.store.installations.ids()).toEqual([]);
    expect(await h.store.threads.load(`slack:T3:CX:${x.ts}`)).toEqual([]);
    expect(await h.store.threads.load(`slack:T4:CY:${y.ts}`)).toEqual([]);
  });
});

describe("uninstall in single-workspace mode", () => {
  it("deletes the workspace's histories when the app is uninstalled", async () => {
    const single = await startHarness({ model: answering() });
    try {
      const { fake } = single;
      const a = mentionIn(fake, { teamId: "T0FAKE", channel: "C1" }, "remember me");
      await single.delivery.event(a.envelope);
      await eventually(() => fake.botMessages("C1", a.ts)[0]);
      await single.adapter.idle();
      const thread = `slack:T0FAKE:C1:${a.ts}`;
      expect(await single.store.threads.load(thread)).toHaveLength(1);
      expect((await single.delivery.event(uninstalledEvent({ teamId: "T0FAKE" }))).status).toBe(200);
      await single.adapter.idle();
      expect(await single.store.threads.load(thread)).toEqual([]);
    } finally {
      await single.close();
    }
  });
});

describe("SECRETS_KEY at start-up", () => {
  it("refuses to start with a key that does not open the stored installations, and re-seals on rotation", async () => {
    const oldKey = Buffer.alloc(32, 1).toString("base64");
    const newKey = Buffer.alloc(32, 2).toString("base64");
    h = await startOAuthHarness({ model: answering(), secretsKey: oldKey });
    offerWorkspace(h.fake, "T1", "CA");
    await install(h.service.baseUrl, "T1");
    const sealedByOld = (await h.store.installations.get("T:T1")) ?? "";

    await expect(h.startService({ SECRETS_KEY: newKey })).rejects.toThrow(
      /SECRETS_KEY does not open 1 of 1 stored Slack installations \(sealed with key id [0-9a-f]{8}/,
    );

    // Rotation: the new key first, the old one after it. Start-up re-seals with the new key.
    await h.startService({ SECRETS_KEY: `${newKey},${oldKey}` });
    const resealed = (await h.store.installations.get("T:T1")) ?? "";
    expect(resealed.split(".")[1]).not.toBe(sealedByOld.split(".")[1]);

    // Now the old key can go: a service with the new key alone answers the workspace.
    const rotated = await h.startService({ SECRETS_KEY: newKey });
    const a = mentionIn(h.fake, { teamId: "T1", channel: "CA" }, "after rotation");
    await rotated.delivery.event(a.envelope);
    await eventually(() => h?.fake.botMessages("CA", a.ts)[0]);
    await rotated.adapter.idle();
    expect(tokensUsedIn(h.fake, "CA")).toEqual(new Set([tokenOf(h.fake, "T1")]));
  });
});

describe("installations on Redis", needsRedis, () => {
  it("are stored sealed: the raw Redis value holds no token, and a replica reads them", async () => {
    if (!redis) throw new Error("redis not started");
    const prefix = uniquePrefix("oauth");
    const store: Store = await createRedisStore({ url: redis.url, prefix, log: silentLogger() });
    const raw = new Redis(redis.url);
    try {
      h = await startOAuthHarness({ model: answering(), store });
      offerWorkspace(h.fake, "T1", "CA");
      expect((await install(h.service.baseUrl, "T1")).status).toBe(200);
      const token = tokenOf(h.fake, "T1") ?? "";
      expect(token).toMatch(/^xoxb-/);
      const value = (await raw.get(storeKeys(prefix).installation("T:T1"))) ?? "";
      expect(value).toMatch(/^v1\.[0-9a-f]{8}\./);
      expect(value).not.toContain(token);
      expect(value).not.toContain("xoxb-");

      // Another replica (own process cache, same Redis) answers the workspace with its token.
      const replica = await h.startService();
      const a = mentionIn(h.fake, { teamId: "T1", channel: "CA" }, "via the replica");
      await replica.delivery.event(a.envelope);
      await eventually(() => h?.fake.botMessages("CA", a.ts)[0]);
      await replica.adapter.idle();
      expect(tokensUsedIn(h.fake, "CA")).toEqual(new Set([token]));
    } finally {
      raw.disconnect();
      if (usingExternalRedis()) await deleteKeys(redis.url, prefix);
    }
  });
});

describe("uninstall removes only the installation the event names", () => {
  it("a workspace's uninstall, delivered twice, never removes its org's org-wide installation", async () => {
    h = await startOAuthHarness({ model: answering() });
    const fake = h.fake;
    fake.oauth.installables.set("E1", { enterpriseId: "E1", enterpriseName: "Big Org", orgWide: true });
    offerWorkspace(fake, "T5", "C5", "E1");
    fake.addChannel({ id: "CX", name: "x" });
    expect((await install(h.service.baseUrl, "E1")).status).toBe(200);
    expect((await install(h.service.baseUrl, "T5")).status).toBe(200);
    expect((await h.store.installations.ids()).sort()).toEqual(["E:E1", "T:T5"]);
    const x = mentionIn(fake, { teamId: "T3", enterpriseId: "E1", orgWide: true, channel: "CX" }, "from T3");
    await h.service.delivery.event(x.envelope);
    await eventually(() => fake.botMessages("CX", x.ts)[0]);
    await h.service.adapter.idle();

    // T5 leaves; Slack delivers the event again (a retry, or a second replica's copy).
    const gone = uninstalledEvent({ teamId: "T5", enterpriseId: "E1" });
    expect((await h.service.delivery.event(gone)).status).toBe(200);
    await h.service.adapter.idle();
    expect((await h.service.delivery.event({ ...gone, event_id: "EvAgain" })).status).toBe(200);
    await h.service.adapter.idle();

    expect(await h.store.installations.ids()).toEqual(["E:E1"]);
    expect(await h.store.threads.load(`slack:T3:CX:${x.ts}`)).toHaveLength(1);
  });
});

describe("uninstall in single-workspace mode, from another workspace", () => {
  it("keeps the workspace's histories when a different team's app_uninstalled arrives", async () => {
    const single = await startHarness({ model: answering() });
    try {
      const { fake } = single;
      const a = mentionIn(fake, { teamId: "T0FAKE", channel: "C1" }, "remember me");
      await single.delivery.event(a.envelope);
      await eventually(() => fake.botMessages("C1", a.ts)[0]);
      await single.adapter.idle();
      const thread = `slack:T0FAKE:C1:${a.ts}`;
      expect((await single.delivery.event(uninstalledEvent({ teamId: "T9OTHER" }))).status).toBe(200);
      await single.adapter.idle();
      expect(await single.store.threads.load(thread)).toHaveLength(1);
    } finally {
      await single.close();
    }
  });
});

describe("installation lookups while the store is down", () => {
  it("tries an acknowledged event again when its installation cannot be read, and answers it once, when the store is back", async () => {
    h = await startOAuthHarness({ model: answering() });
    const fake = h.fake;
    offerWorkspace(fake, "T1", "CA");
    await install(h.service.baseUrl, "T1");
    // A replica that has not cached the installation yet, while the store is unreachable.
    const replica = await h.startService();
    const records = h.store.installations;
    const get = records.get.bind(records);
    let failedLookups = 0;
    records.get = async () => {
      failedLookups++;
      throw new Error("Connection is closed.");
    };
    const a = mentionIn(fake, { teamId: "T1", channel: "CA" }, "are you there?");
    // Events are acknowledged before their workspace is looked up (a burst must be acked at once).
    expect((await replica.delivery.event(a.envelope)).status).toBe(200);
    await eventually(() => failedLookups >= 2);
    expect(fake.botMessages("CA", a.ts)).toEqual([]);

    records.get = get;
    await eventually(() => fake.botMessages("CA", a.ts)[0]);
    // Slack's own redelivery of the same event is not answered a second time.
    expect((await replica.delivery.event(a.envelope)).status).toBe(200);
    await replica.adapter.idle();
    expect(fake.botMessages("CA", a.ts)).toHaveLength(1);
    expect(fake.visibleText(fake.botMessages("CA", a.ts)[0]!)).toBe("Answer to: are you there?");
  });
});

describe("uninstall events that arrive after a reinstall", () => {
  it("a late tokens_revoked about the old install leaves the new installation in place", async () => {
    h = await startOAuthHarness({ model: answering() });
    offerWorkspace(h.fake, "T1", "CA");
    expect((await install(h.service.baseUrl, "T1")).status).toBe(200);
    // Slack revoked the first install's token a minute ago; the event only arrives now, after the
    // workspace installed the app again (Slack does not order uninstall events).
    const revoked = {
      ...eventEnvelope({ type: "tokens_revoked", tokens: { bot: [FAKE_BOT_USER_ID] } }),
      team_id: "T1",
      event_time: Math.floor(Date.now() / 1000) - 60,
      authorizations: [
        { team_id: "T1", user_id: FAKE_BOT_USER_ID, is_bot: true, is_enterprise_install: false },
      ],
    };
    expect((await h.service.delivery.event(revoked)).status).toBe(200);
    await h.service.adapter.idle();
    expect(await h.store.installations.ids()).toEqual(["T:T1"]);

    // An uninstall of the current install still removes it.
    expect((await h.service.delivery.event(uninstalledEvent({ teamId: "T1" }))).status).toBe(200);
    await h.service.adapter.idle();
    expect(await h.store.installations.ids()).toEqual([]);
  });
});
