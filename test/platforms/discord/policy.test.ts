/**
 * The policy file and /assistant on Discord, against the fake Discord and a real discord.js
 * client: a denied channel, DM modes, the settings shown to the person alone, admins switching a
 * channel off and on.
 */
import { afterEach, describe, expect, it } from "vitest";
import { silentLogger } from "../../../src/log.js";
import { createMemoryStore } from "../../../src/store/memory/store.js";
import type { FakeInteraction } from "../../fakes/discord/interactions.js";
import { type TestPolicy, testPolicy } from "../../support/policy.js";
import { reply, ScriptedModel } from "../../support/scripted-model.js";
import { finished, type Replica, type Scene, startReplica, startScene } from "./harness.js";

/** Discord's option type for a string (docs, "Application Command Option Type"). */
const STRING = 3;
const EPHEMERAL = 1 << 6;

let scene: Scene | undefined;
let replica: Replica | undefined;
let policy: TestPolicy | undefined;
afterEach(async () => {
  await replica?.adapter.stop();
  await scene?.fake.close();
  policy?.close();
  scene = replica = policy = undefined;
});

async function start(file: (s: Scene & { random: string; boss: { id: string } }) => string) {
  const s = await startScene();
  scene = s;
  const random = s.fake.addChannel(s.guild, "random").id;
  const boss = s.fake.addUser("boss");
  const store = createMemoryStore({ log: silentLogger() });
  policy = await testPolicy(file({ ...s, random, boss }), store);
  const model = new ScriptedModel(() => reply("Here to help."));
  replica = await startReplica(s.fake, { model, store, policy: policy.setup });
  return { ...s, random, boss, model };
}

/** The text of the command's one reply, which only its author sees. */
async function privateReply(s: Scene, interaction: FakeInteraction): Promise<string> {
  const cb = await s.fake.waitFor(() => interaction.callbacks[0], "the /assistant reply");
  const data = cb.data as { content: string; flags: number };
  expect(cb.type).toBe(4);
  expect(data.flags & EPHEMERAL).toBe(EPHEMERAL);
  return data.content;
}

const action = (value: string) => [{ name: "action", type: STRING, value }];

describe("Discord under a policy file", () => {
  it("does not answer in a denied channel and answers in the others", async () => {
    const s = await start(
      (x) =>
        `platforms:\n  discord:\n    workspaces:\n      "${x.guild.id}":\n        denyChannels: ["${x.random}"]\n`,
    );
    const denied = s.fake.say(s.alice, s.random, `${s.fake.mention} hello?`);
    const asked = s.fake.say(s.alice, s.general, `${s.fake.mention} hello?`);
    await s.fake.waitFor(() => finished(s.fake, asked.id), "the answer in general");
    expect(s.fake.channel(denied.id)).toBeUndefined(); // no thread opened on it
    expect(s.fake.botMessages(s.random)).toEqual([]);
    expect(s.model.requests).toHaveLength(1);
  });

  it("answers only DMs that mention the bot where DMs are mention-only", async () => {
    const s = await start(() => "platforms:\n  discord:\n    dms: mention\n");
    s.fake.dm(s.alice, "hi there");
    const addressed = s.fake.dm(s.alice, `${s.fake.mention} hi there`);
    await s.fake.waitFor(() => finished(s.fake, addressed.channelId), "the DM answer");
    expect(s.fake.botMessages(addressed.channelId)).toHaveLength(1);
    expect(s.model.requests).toHaveLength(1);
  });

  it("shows the settings here to the person who runs /assistant, and refuses non-admins a switch", async () => {
    const s = await start(
      (x) =>
        `platforms:\n  discord:\n    admins: ["${x.boss.id}"]\n    model: gpt-4o\n    tools: []\n    limits: { requests: 5, windowSeconds: 60 }\n`,
    );
    const shown = await privateReply(s, s.fake.slashCommand(s.alice, s.general, "assistant"));
    expect(shown).toContain("Answers here: yes");
    expect(shown).toContain("Model: gpt-4o");
    expect(shown).toContain("Tools: none");
    expect(shown).toContain("Limits per person: 5 requests per 60 s");
    const refused = await privateReply(
      s,
      s.fake.slashCommand(s.alice, s.general, "assistant", action("off")),
    );
    expect(refused).toMatch(/Only admins/);
  });

  it("lets an admin switch the bot off and back on for a channel", async () => {
    const s = await start((x) => `platforms:\n  discord:\n    admins: ["${x.boss.id}"]\n`);
    expect(await privateReply(s, s.fake.slashCommand(s.boss, s.general, "assistant", action("off")))).toMatch(
      /now \*off\*/,
    );
    const ignored = s.fake.say(s.alice, s.general, `${s.fake.mention} anyone?`);
    expect(await privateReply(s, s.fake.slashCommand(s.alice, s.general, "assistant"))).toContain(
      "Answers here: no (switched off by an admin)",
    );
    expect(await privateReply(s, s.fake.slashCommand(s.boss, s.general, "assistant", action("on")))).toMatch(
      /now \*on\*/,
    );
    const asked = s.fake.say(s.alice, s.general, `${s.fake.mention} now?`);
    await s.fake.waitFor(() => finished(s.fake, asked.id), "the answer after switching on");
    expect(s.fake.channel(ignored.id)).toBeUndefined();
    expect(s.model.requests).toHaveLength(1);
  });
});
