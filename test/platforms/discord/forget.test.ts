/**
 * `/forget` in Discord, through a real discord.js client against the fake Discord: the asker gets
 * a private prompt with a Delete button; pressing it deletes their DM and their turns in shared
 * threads (Bob's stay) and shows what was deleted. Admins can do it for someone else by id.
 */
import { afterEach, describe, expect, it } from "vitest";
import type { ModelRequest } from "../../../src/core/ports.js";
import type { FakeInteraction } from "../../fakes/discord/interactions.js";
import type { FakeUser } from "../../fakes/discord/model.js";
import { reply, ScriptedModel } from "../../support/scripted-model.js";
import { finished, type Replica, type Scene, startReplica, startScene } from "./harness.js";

const userTexts = (req: ModelRequest | undefined) =>
  (req?.messages ?? []).filter((m) => m.role === "user").map((m) => String(m.content));

describe("/forget in Discord", () => {
  let scene: Scene;
  let replica: Replica;

  afterEach(async () => {
    await replica?.adapter.stop();
    await scene?.fake.close();
  });

  /** Alice in a DM, Alice and Bob in one thread, Alice alone in another. */
  async function seed(model: ScriptedModel) {
    const { fake, general, alice, bob } = scene;
    const dm = fake.dm(alice, "alice's private question");
    await fake.waitFor(() => finished(fake, dm.channelId), "the DM answer");
    const together = fake.say(alice, general, `${fake.mention} alice asks`);
    await fake.waitFor(() => finished(fake, together.id), "first answer");
    fake.say(bob, together.id, `${fake.mention} bob asks`);
    await fake.waitFor(() => finished(fake, together.id, 2), "bob's answer");
    const alone = fake.say(alice, general, `${fake.mention} alice alone`);
    await fake.waitFor(() => finished(fake, alone.id), "the other thread's answer");
    return { dm, together, asked: () => model.requests.length };
  }

  /** The ephemeral prompt of a /forget, once it is there. */
  async function prompt(interaction: FakeInteraction) {
    const { fake } = scene;
    return fake.waitFor(
      () => (interaction.originalMessageId ? fake.message(interaction.originalMessageId) : undefined),
      "the /forget prompt",
    );
  }

  async function confirm(user: FakeUser, interaction: FakeInteraction): Promise<string> {
    const { fake } = scene;
    const message = await prompt(interaction);
    const customId = /chatbot:forget:(?:self|user:\d+)/.exec(JSON.stringify(message.components))?.[0];
    if (!customId) throw new Error(`no Delete button in: ${message.content}`);
    const click = fake.clickButton(user, message, customId);
    await fake.waitFor(() => click.callbacks.length > 0, "the click's answer");
    expect(click.callbacks[0]?.type).toBe(7); // the prompt itself is replaced
    return fake.message(message.id)!.content;
  }

  it("asks first, then deletes Alice's DM and her turns in shared threads, leaving Bob's", async () => {
    scene = await startScene();
    const model = new ScriptedModel(() => reply("Sure."));
    replica = await startReplica(scene.fake, { model });
    const { fake, general, alice, bob } = scene;
    const { dm, together } = await seed(model);

    const command = fake.slashCommand(alice, general, "forget");
    const shown = await prompt(command);
    expect(shown.content).toMatch(/^Delete everything the assistant keeps about you on Discord/);
    expect(shown.ephemeral).toBe(true);
    expect(await confirm(alice, command)).toBe("Deleted your data: 3 conversations.");

    fake.say(bob, together.id, `${fake.mention} and now?`);
    await fake.waitFor(() => finished(fake, together.id, 3), "bob's next answer");
    expect(userTexts(model.requests.at(-1))).toEqual(["bob asks", "and now?"]);
    fake.dm(alice, "hello again");
    await fake.waitFor(() => finished(fake, dm.channelId, 2), "the next DM answer");
    expect(userTexts(model.requests.at(-1))).toEqual(["hello again"]);
  });

  it("lets an admin delete a person's data by id, and refuses everyone else", async () => {
    scene = await startScene();
    const { fake, general, alice, bob } = scene;
    const model = new ScriptedModel(() => reply("Sure."));
    replica = await startReplica(fake, { model, admins: { isAdmin: (who) => who.userId === bob.id } });
    const { together } = await seed(model);

    const refused = fake.slashCommand(alice, general, "forget", [{ name: "user", type: 3, value: bob.id }]);
    const refusal = await prompt(refused);
    expect(refusal.content).toMatch(/^Only the assistant's admins can delete another person's data/);
    expect(refusal.components).toEqual([]);

    const byAdmin = fake.slashCommand(bob, general, "forget", [
      { name: "user", type: 3, value: `<@${alice.id}>` },
    ]);
    expect(await confirm(bob, byAdmin)).toBe(`User ${alice.id}: Deleted their data: 3 conversations.`);

    fake.say(bob, together.id, `${fake.mention} and now?`);
    await fake.waitFor(() => finished(fake, together.id, 3), "bob's next answer");
    expect(userTexts(model.requests.at(-1))).toEqual(["bob asks", "and now?"]);
  });

  it("deletes nothing when the person presses Cancel", async () => {
    scene = await startScene();
    const { fake, general, alice } = scene;
    const model = new ScriptedModel(() => reply("Sure."));
    replica = await startReplica(fake, { model });
    const { dm } = await seed(model);

    const command = fake.slashCommand(alice, general, "forget");
    const shown = await prompt(command);
    const click = fake.clickButton(alice, shown, "chatbot:forget:cancel");
    await fake.waitFor(() => click.callbacks.length > 0, "the click's answer");
    expect(fake.message(shown.id)?.content).toBe("Nothing was deleted.");

    fake.dm(alice, "still there?");
    await fake.waitFor(() => finished(fake, dm.channelId, 2), "the next DM answer");
    expect(userTexts(model.requests.at(-1))).toEqual(["alice's private question", "still there?"]);
  });
});
