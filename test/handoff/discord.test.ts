/**
 * Hand-offs of Discord conversations: into a Slack team channel (a team in Slack serving
 * Discord customers), and into a Discord team channel with its thread and buttons.
 */
import { afterEach, describe, expect, it } from "vitest";
import type { Store } from "../../src/core/ports.js";
import { silentLogger } from "../../src/log.js";
import { handoffCustomId } from "../../src/platforms/discord/handoff.js";
import { createDiscordAdapter } from "../../src/platforms/discord/index.js";
import { HANDOFF_RETURN_ACTION_ID } from "../../src/platforms/slack/handoff.js";
import { createMemoryStore } from "../../src/store/memory/store.js";
import type { FakeDiscord } from "../fakes/discord/index.js";
import type { FakeSlack } from "../fakes/slack-api.js";
import { buttonClick, eventEnvelope, messageEvent } from "../fakes/slack-events.js";
import { startScene, TEST_BUDGET } from "../platforms/discord/harness.js";
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

let slack: FakeSlack | undefined;
let discord: FakeDiscord | undefined;
let store: Store | undefined;
const replicas: Replica[] = [];
afterEach(async () => {
  for (const r of replicas.splice(0)) await r.close();
  await store?.close();
  await slack?.close();
  await discord?.close();
  slack = undefined;
  discord = undefined;
});

async function setup(env: Record<string, string>) {
  const scene = await startScene();
  discord = scene.fake;
  store = createMemoryStore({ log: silentLogger() });
  const model = new ScriptedModel((req) => supportModelScript(req));
  const r = await startReplica({
    store,
    model,
    env: {
      DISCORD_TOKEN: scene.fake.token,
      DISCORD_APPLICATION_ID: scene.fake.applicationId,
      DISCORD_API_URL: scene.fake.apiUrl,
      WEB_CHAT: "off",
      ...env,
    },
    extra: (deps) => [createDiscordAdapter(deps, { editBudget: TEST_BUDGET, readyTimeoutMs: 10_000 })],
  });
  replicas.push(r);
  return { ...scene, r, model };
}

const texts = (fake: FakeDiscord, channelId: string) => fake.botMessages(channelId).map((m) => m.content);

describe("hand-off from Discord", () => {
  it("hands a Discord DM to a Slack team channel and back, with the team's replies in the history", async () => {
    slack = await fakeSlackForHandoffs();
    const s = slack;
    const { fake, alice, r, model } = await setup(slackEnv(s));
    const first = fake.dm(alice, "My blender is broken");
    const dmChannel = first.channelId;
    await eventually(() => texts(fake, dmChannel).length >= 1);
    fake.dm(alice, "I need a human please");
    await eventually(() => texts(fake, dmChannel).some((t) => /person from our support team/.test(t)));
    const announcement = await eventually(() =>
      s.botMessages(TEAM_CHANNEL).find((m) => m.threadTs === undefined),
    );
    expect(s.visibleText(announcement)).toMatch(/alice/i);
    await r.slack?.idle();
    await r.service.idle();

    await r.delivery?.event(
      eventEnvelope(
        messageEvent({
          channel: TEAM_CHANNEL,
          user: "U9",
          text: "Hello Alice, Bea here",
          ts: s.nextTs(),
          threadTs: announcement.ts,
        }),
      ),
    );
    await eventually(() =>
      texts(fake, dmChannel).some((t) => /\(support team\): Hello Alice, Bea here/.test(t)),
    );
    const asked = model.requests.length;
    fake.dm(alice, "It is order A-1003");
    await eventually(() =>
      s
        .botMessages(TEAM_CHANNEL, announcement.ts)
        .some((m) => /\(customer\): It is order A-1003/.test(s.visibleText(m))),
    );
    expect(model.requests.length).toBe(asked);
    await r.slack?.idle();
    await r.delivery?.action(
      buttonClick({
        fake: s,
        channel: TEAM_CHANNEL,
        user: "U9",
        messageTs: announcement.ts,
        actionId: HANDOFF_RETURN_ACTION_ID,
        value: s.buttons(announcement).at(-1)?.value ?? "",
      }),
    );
    await eventually(() => texts(fake, dmChannel).some((t) => /handed the conversation back to me/.test(t)));
    fake.dm(alice, "ok thanks");
    await eventually(() => texts(fake, dmChannel).some((t) => /I can see 1 team message/.test(t)));
  });

  it("announces in a Discord team channel with a thread and buttons; a reply there reaches the customer; Claim and Return work", async () => {
    const scene = await startScene();
    discord = scene.fake;
    const team = scene.fake.addChannel(scene.guild, "support-team");
    store = createMemoryStore({ log: silentLogger() });
    const model = new ScriptedModel((req) => supportModelScript(req));
    const r = await startReplica({
      store,
      model,
      env: {
        DISCORD_TOKEN: scene.fake.token,
        DISCORD_APPLICATION_ID: scene.fake.applicationId,
        DISCORD_API_URL: scene.fake.apiUrl,
        WEB_CHAT: "off",
        HANDOFF_DISCORD_CHANNEL: team.id,
      },
      extra: (deps) => [createDiscordAdapter(deps, { editBudget: TEST_BUDGET, readyTimeoutMs: 10_000 })],
    });
    replicas.push(r);
    const { fake, alice, bob } = scene;
    const first = fake.dm(alice, "Can a person help me?");
    const dmChannel = first.channelId;
    const announcement = await eventually(() => fake.botMessages(team.id)[0]);
    expect(announcement.content).toMatch(/asked for a person/);
    const id = /chatbot:handoff:claim:([0-9a-f-]+)/.exec(JSON.stringify(announcement.components))?.[1] ?? "";
    expect(id).not.toBe("");
    // The announcement has a thread (its id is the message's), where the summary goes.
    await eventually(() => fake.channel(announcement.id));
    await r.service.idle();

    // The customer replays the hand-off's buttons on a message in their DM: nothing changes.
    const inDm = await eventually(() => fake.botMessages(dmChannel)[0]);
    const forged = fake.clickButton(alice, inDm, handoffCustomId("return", id));
    await eventually(() => forged.callbacks.length > 0);
    await r.service.idle();
    fake.clickButton(bob, announcement, handoffCustomId("claim", id));
    await eventually(() => texts(fake, dmChannel).some((t) => /has joined/.test(t)));
    await eventually(
      () => !JSON.stringify(fake.message(announcement.id)?.components).includes("handoff:claim"),
    );
    // Each message delivered twice (a gateway resume replays events): relayed once.
    const teamMsg = fake.say(bob, announcement.id, "Hi Alice, I can help");
    fake.deliver(teamMsg);
    await eventually(() =>
      texts(fake, dmChannel).some((t) => /\(support team\): Hi Alice, I can help/.test(t)),
    );
    const customerMsg = fake.dm(alice, "Thank you!");
    fake.deliver(customerMsg);
    await eventually(() => texts(fake, announcement.id).some((t) => /\(customer\): Thank you!/.test(t)));
    fake.clickButton(bob, announcement, handoffCustomId("return", id));
    await eventually(() => texts(fake, dmChannel).some((t) => /handed the conversation back/.test(t)));
    await eventually(() => (fake.message(announcement.id)?.components.length ?? 1) === 0);
    expect(texts(fake, dmChannel).filter((t) => /handed the conversation back/.test(t))).toHaveLength(1);
    // Checked after later events went through: the redeliveries came (in order) before them.
    expect(texts(fake, dmChannel).filter((t) => /I can help/.test(t))).toHaveLength(1);
    expect(texts(fake, announcement.id).filter((t) => /Thank you!/.test(t))).toHaveLength(1);
    // The bot never answered in the team thread itself.
    expect(texts(fake, announcement.id).filter((t) => /Back with the assistant/.test(t))).toEqual([]);
  });
  it("opens a thread for /handoff in a text channel, where the customer and the team's replies meet", async () => {
    const scene = await startScene();
    discord = scene.fake;
    const team = scene.fake.addChannel(scene.guild, "support-team");
    store = createMemoryStore({ log: silentLogger() });
    const r = await startReplica({
      store,
      model: new ScriptedModel((req) => supportModelScript(req)),
      env: {
        DISCORD_TOKEN: scene.fake.token,
        DISCORD_APPLICATION_ID: scene.fake.applicationId,
        DISCORD_API_URL: scene.fake.apiUrl,
        WEB_CHAT: "off",
        HANDOFF_DISCORD_CHANNEL: team.id,
      },
      extra: (deps) => [createDiscordAdapter(deps, { editBudget: TEST_BUDGET, readyTimeoutMs: 10_000 })],
    });
    replicas.push(r);
    const { fake, alice, bob, general } = scene;
    fake.slashCommand(alice, general, "handoff", [{ name: "reason", type: 3, value: "refund" }]);
    const opener = await eventually(() =>
      fake.botMessages(general.id).find((m) => /asked for a person/.test(m.content)),
    );
    // The thread on the bot's post has the post's id.
    await eventually(() => texts(fake, opener.id).some((t) => /person from our support team/.test(t)));
    const announcement = await eventually(() => fake.botMessages(team.id)[0]);
    expect(announcement.content).toMatch(/refund/);
    expect(announcement.content).toContain(`https://discord.com/channels/${scene.guild.id}/${opener.id}`);
    await r.service.idle();

    fake.say(alice, opener.id, "My order is late");
    await eventually(() =>
      texts(fake, announcement.id).some((t) => /\(customer\): My order is late/.test(t)),
    );
    fake.say(bob, announcement.id, "Looking into it");
    await eventually(() => texts(fake, opener.id).some((t) => /\(support team\): Looking into it/.test(t)));
  });
});
