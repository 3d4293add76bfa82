/**
 * Who may delete another person's data on Discord: a Discord user id is global and so is their
 * data (DMs and every guild's threads), so only the policy file's Discord-wide admins
 * (`platforms.discord.admins`) may; an admin of one guild may not, by command or by a button.
 */
import { afterEach, describe, expect, it } from "vitest";
import { silentLogger } from "../../../src/log.js";
import { createMemoryStore } from "../../../src/store/memory/store.js";
import type { FakeInteraction } from "../../fakes/discord/interactions.js";
import { type TestPolicy, testPolicy } from "../../support/policy.js";
import { reply, ScriptedModel } from "../../support/scripted-model.js";
import { finished, type Replica, type Scene, startReplica, startScene } from "./harness.js";

const STRING = 3;

let scene: Scene | undefined;
let replica: Replica | undefined;
let policy: TestPolicy | undefined;
afterEach(async () => {
  await replica?.adapter.stop();
  await scene?.fake.close();
  policy?.close();
  scene = replica = policy = undefined;
});

describe("/forget user in Discord", () => {
  it("refuses a guild's admin (command and button) and lets a Discord-wide admin delete", async () => {
    const s = await startScene();
    scene = s;
    const { fake, general, alice, bob } = s;
    const boss = fake.addUser("boss");
    const store = createMemoryStore({ log: silentLogger() });
    policy = await testPolicy(
      [
        "platforms:",
        "  discord:",
        `    admins: ["${boss.id}"]`,
        "    workspaces:",
        `      "${s.guild.id}":`,
        `        admins: ["${bob.id}"]`,
        "",
      ].join("\n"),
      store,
    );
    const model = new ScriptedModel(() => reply("Sure."));
    replica = await startReplica(fake, { model, store, policy: policy.setup });
    const dm = fake.dm(alice, "alice's private question");
    await fake.waitFor(() => finished(fake, dm.channelId), "the DM answer");

    const shown = async (interaction: FakeInteraction) =>
      fake.waitFor(
        () => (interaction.originalMessageId ? fake.message(interaction.originalMessageId) : undefined),
        "the /forget reply",
      );
    const byGuildAdmin = fake.slashCommand(bob, general, "forget", [
      { name: "user", type: STRING, value: alice.id },
    ]);
    const refusal = await shown(byGuildAdmin);
    expect(refusal.content).toMatch(/^Only the assistant's admins can delete another person's data/);
    expect(refusal.components).toEqual([]);

    // A button naming Alice, pressed by the guild's admin, is refused the same way.
    const own = await shown(fake.slashCommand(bob, general, "forget"));
    const forged = fake.clickButton(bob, own, `chatbot:forget:user:${alice.id}`);
    await fake.waitFor(() => forged.callbacks.length > 0, "the forged click's answer");
    expect(fake.message(own.id)?.content).toMatch(/^Only the assistant's admins/);

    fake.dm(alice, "still there?");
    await fake.waitFor(() => finished(fake, dm.channelId, 2), "the next DM answer");
    expect(model.requests.at(-1)?.messages.filter((m) => m.role === "user")).toHaveLength(2);

    const prompt = await shown(
      fake.slashCommand(boss, general, "forget", [{ name: "user", type: STRING, value: alice.id }]),
    );
    const click = fake.clickButton(boss, prompt, `chatbot:forget:user:${alice.id}`);
    await fake.waitFor(() => click.callbacks.length > 0, "the admin's click");
    expect(fake.message(prompt.id)?.content).toBe(`User ${alice.id}: Deleted their data: 1 conversation.`);
  });
});
