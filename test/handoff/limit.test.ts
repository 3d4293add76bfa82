/**
 * `/handoff` in a channel opens a conversation of its own (a post and a thread) for the hand-off.
 * A person who asked for one a moment ago is told to wait before anything is posted, on Slack and
 * on Discord, so the channel is not left with a thread nobody will answer.
 */
import { afterEach, describe, expect, it } from "vitest";
import { HANDOFF_TEXT } from "../../src/core/handoff/texts.js";
import type { Store } from "../../src/core/ports.js";
import { silentLogger } from "../../src/log.js";
import { createDiscordAdapter } from "../../src/platforms/discord/index.js";
import { createMemoryStore } from "../../src/store/memory/store.js";
import type { FakeDiscord } from "../fakes/discord/index.js";
import type { FakeSlack } from "../fakes/slack-api.js";
import { slashCommand } from "../fakes/slack-events.js";
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
  store = undefined;
});

const OPENER = /Please continue in this thread/;

describe("/handoff in a channel, asked again within a minute", () => {
  it("on Slack, tells the person to wait and posts nothing in the second channel", async () => {
    slack = await fakeSlackForHandoffs();
    store = createMemoryStore({ log: silentLogger() });
    const r = await startReplica({
      store,
      model: new ScriptedModel((req) => supportModelScript(req)),
      env: slackEnv(slack, {}),
    });
    replicas.push(r);
    const f = slack;
    const delivery = r.delivery as NonNullable<Replica["delivery"]>;
    await delivery.command(
      slashCommand({ fake: f, channel: "C1", user: "U1", text: "", command: "/handoff" }),
    );
    await eventually(() => f.botMessages(TEAM_CHANNEL).find((m) => m.threadTs === undefined));
    await r.service.idle();

    await delivery.command(
      slashCommand({ fake: f, channel: "C2", user: "U1", text: "", command: "/handoff" }),
    );
    const toldToWait = () =>
      f.calls.some((c) => c.method === "response_url" && JSON.stringify(c.args).includes("a moment ago")) ||
      f.botMessages("C2").some((m) => f.visibleText(m).includes("a moment ago"));
    await eventually(() => (toldToWait() ? true : undefined));
    await r.slack?.idle();
    expect(f.botMessages("C2").filter((m) => OPENER.test(f.visibleText(m)))).toEqual([]);
    expect(f.botMessages(TEAM_CHANNEL).filter((m) => m.threadTs === undefined)).toHaveLength(1);
    expect(
      f.calls.some(
        (c) =>
          c.method === "response_url" &&
          JSON.stringify(c.args).includes(JSON.stringify(HANDOFF_TEXT.tooSoon).slice(1, 40)),
      ),
    ).toBe(true);
  });

  it("on Discord, tells the person to wait and opens no post or thread in the second channel", async () => {
    const scene = await startScene();
    discord = scene.fake;
    const team = scene.fake.addChannel(scene.guild, "support-team");
    const other = scene.fake.addChannel(scene.guild, "billing");
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
    const { fake, alice, general } = scene;
    fake.slashCommand(alice, general, "handoff", [{ name: "reason", type: 3, value: "refund" }]);
    await eventually(() => fake.botMessages(team.id)[0]);
    await r.service.idle();

    fake.slashCommand(alice, other, "handoff", [{ name: "reason", type: 3, value: "again" }]);
    const told = await eventually(() =>
      [...fake.botMessages(other.id), ...fake.botMessages(general.id)].find((m) =>
        m.content.includes("a moment ago"),
      ),
    );
    expect(told.content).toBe(HANDOFF_TEXT.tooSoon);
    expect(fake.botMessages(other.id).filter((m) => OPENER.test(m.content))).toEqual([]);
    expect(fake.botMessages(team.id).filter((m) => /again/.test(m.content))).toEqual([]);
  });
});
