import { afterEach, describe, expect, it } from "vitest";
import { reply, ScriptedModel } from "../../support/scripted-model.js";
import { type Replica, type Scene, startReplica, startScene } from "./harness.js";

describe("Discord per-user limits", () => {
  let scene: Scene;
  let replica: Replica;

  afterEach(async () => {
    await replica?.adapter.stop();
    await scene?.fake.close();
  });

  it("throttles a user in every server and in DMs once they used their requests in one server", async () => {
    scene = await startScene();
    const { fake, general, alice, bob } = scene;
    const otherGuild = fake.addGuild("Another Server");
    const lobby = fake.addChannel(otherGuild, "lobby");
    const model = new ScriptedModel(() => reply("Here is your answer."));
    replica = await startReplica(fake, {
      model,
      settings: { throttle: { requests: 1, windowMs: 60_000, dailyTokens: 1_000_000 } },
    });
    const noticeIn = (channelId: string) =>
      fake.waitFor(
        () => fake.botMessages(channelId).find((m) => m.content.includes("faster than I can answer")),
        "the throttle notice",
      );

    const first = fake.say(alice, general, `${fake.mention} how do I reset my password?`);
    await fake.waitFor(
      () => fake.botMessages(first.id).find((m) => m.content === "Here is your answer."),
      "the first answer",
    );

    fake.say(alice, lobby, `${fake.mention} and how do I change my email?`);
    await noticeIn(lobby.id);
    const dm = fake.dm(alice, "one more question");
    await noticeIn(dm.channelId);
    expect(model.requests).toHaveLength(1);

    // Someone else is not affected.
    const other = fake.say(bob, lobby, `${fake.mention} hello`);
    await fake.waitFor(
      () => fake.botMessages(other.id).find((m) => m.content === "Here is your answer."),
      "bob's answer",
    );
    expect(model.requests).toHaveLength(2);
  });
});
