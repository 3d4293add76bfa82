import { afterEach, describe, expect, it } from "vitest";
import type { ModelRequest } from "../../../src/core/ports.js";
import { reply, ScriptedModel } from "../../support/scripted-model.js";
import { finished, type Replica, type Scene, startReplica, startScene } from "./harness.js";

/** The user messages a model request carried, in order (what the bot "remembers"). */
function userTexts(req: ModelRequest | undefined): string[] {
  return (req?.messages ?? []).filter((m) => m.role === "user").map((m) => String(m.content));
}

describe("Discord conversations", () => {
  let scene: Scene;
  let replica: Replica;

  afterEach(async () => {
    await replica?.adapter.stop();
    await scene?.fake.close();
  });

  it("opens a thread on a mention and streams the answer into it by edits", async () => {
    scene = await startScene();
    const model = new ScriptedModel(() =>
      reply("Restart the router, wait thirty seconds, then plug the cable back in and check the light.", {
        gapMs: 15,
      }),
    );
    replica = await startReplica(scene.fake, { model });
    const { fake, general, alice } = scene;

    const question = fake.say(alice, general, `${fake.mention} my internet is down, what now?`);
    const [answer] = await fake.waitFor(() => finished(fake, question.id), "the answer in the thread");

    const thread = fake.channel(question.id);
    expect(thread?.type).toBe(11);
    expect(thread?.parentId).toBe(general.id);
    expect(thread?.name).toBe("my internet is down, what now?");
    expect(answer?.content).toBe(
      "Restart the router, wait thirty seconds, then plug the cable back in and check the light.",
    );
    // Streamed: shown early with a Stop button, edited as text arrived, button gone at the end.
    expect(answer?.versions.length).toBeGreaterThan(2);
    expect(answer?.versions[0]?.components).toHaveLength(1);
    expect(answer?.components).toEqual([]);
    // Typing before the first text, in the thread.
    const typing = fake.requests.filter((r) => r.route === "POST /channels/:id/typing");
    expect(typing.map((r) => r.path)).toEqual([`/channels/${question.id}/typing`]);
    const firstPost = fake.requests.find((r) => r.route === "POST /channels/:id/messages");
    expect(typing[0]!.at).toBeLessThan(firstPost!.at);
    // Nothing answered in the channel itself.
    expect(fake.botMessages(general.id)).toEqual([]);
    expect(userTexts(model.requests[0])).toEqual(["my internet is down, what now?"]);
  });

  it("continues the conversation for a follow-up in its thread without a new mention", async () => {
    scene = await startScene();
    const model = new ScriptedModel((_req, i) =>
      reply(i === 0 ? "Which router model?" : "Hold reset for 10 s."),
    );
    replica = await startReplica(scene.fake, { model });
    const { fake, general, alice } = scene;

    const question = fake.say(alice, general, `${fake.mention} how do I reset my router?`);
    await fake.waitFor(() => finished(fake, question.id), "first answer");
    fake.say(alice, question.id, "It's an AX3000");
    const messages = await fake.waitFor(() => finished(fake, question.id, 2), "second answer");

    expect(messages.map((m) => m.content)).toEqual(["Which router model?", "Hold reset for 10 s."]);
    expect(userTexts(model.requests[1])).toEqual(["how do I reset my router?", "It's an AX3000"]);
    expect(fake.channel(question.id)?.type).toBe(11);
  });

  it("answers inline in reply mode and continues when the user replies to the bot", async () => {
    scene = await startScene();
    const answers = ["First answer.", "Second answer.", "Third answer."];
    const model = new ScriptedModel((_req, i) => reply(answers[i] ?? "?"));
    replica = await startReplica(scene.fake, { model, env: { DISCORD_REPLY_MODE: "inline" } });
    const { fake, general, alice, bob } = scene;

    const q1 = fake.say(alice, general, `${fake.mention} question one`);
    const [a1] = await fake.waitFor(() => finished(fake, general.id, 1), "inline answer");
    expect(a1?.referenceId).toBe(q1.id);
    expect(a1?.pinged).toEqual([]); // the reply does not ping the asker
    expect(fake.channel(q1.id)).toBeUndefined(); // no thread

    fake.say(bob, general, "unrelated chatter, no mention");
    const q2 = fake.say(alice, general, "follow-up without a mention", { replyTo: a1!.id });
    const two = await fake.waitFor(() => finished(fake, general.id, 2), "answer to the reply");
    expect(two[1]?.referenceId).toBe(q2.id);

    fake.say(alice, general, "and one more", { replyTo: two[1]!.id });
    await fake.waitFor(() => finished(fake, general.id, 3), "answer to the reply of the reply");

    expect(model.requests).toHaveLength(3);
    expect(userTexts(model.requests[2])).toEqual([
      "question one",
      "follow-up without a mention",
      "and one more",
    ]);
  });

  it("answers direct messages and remembers the DM conversation", async () => {
    scene = await startScene();
    const model = new ScriptedModel((_req, i) =>
      reply(i === 0 ? "Hi! How can I help?" : "Your order ships today."),
    );
    replica = await startReplica(scene.fake, { model });
    const { fake, alice } = scene;

    const first = fake.dm(alice, "hello");
    await fake.waitFor(() => finished(fake, first.channelId, 1), "DM answer");
    fake.dm(alice, "where is my order?");
    const messages = await fake.waitFor(() => finished(fake, first.channelId, 2), "second DM answer");

    expect(messages.map((m) => m.content)).toEqual(["Hi! How can I help?", "Your order ships today."]);
    expect(userTexts(model.requests[1])).toEqual(["hello", "where is my order?"]);
  });

  it("ignores other bots, its own messages and messages that do not address it", async () => {
    scene = await startScene();
    const model = new ScriptedModel(() => reply("answer"));
    replica = await startReplica(scene.fake, { model });
    const { fake, general, alice } = scene;
    const otherBot = fake.addUser("helper-bot", true);

    fake.say(otherBot, general, `${fake.mention} are you there?`);
    fake.say(alice, general, "just talking to people");
    const marker = fake.say(alice, general, `${fake.mention} real question`);
    await fake.waitFor(() => finished(fake, marker.id), "answer to the real question");

    expect(model.requests).toHaveLength(1);
    expect(userTexts(model.requests[0])).toEqual(["real question"]);
  });

  it("answers inline when it may not open threads in the channel", async () => {
    scene = await startScene();
    const model = new ScriptedModel(() => reply("Inline after all."));
    replica = await startReplica(scene.fake, { model });
    const { fake, general, alice } = scene;
    general.deny.createThreads = true;

    const question = fake.say(alice, general, `${fake.mention} hi`);
    const [answer] = await fake.waitFor(() => finished(fake, general.id), "inline fallback answer");

    expect(answer?.content).toBe("Inline after all.");
    expect(answer?.referenceId).toBe(question.id);
    expect(fake.channel(question.id)).toBeUndefined();
  });

  it("keeps model text from pinging @everyone, @here, roles or users", async () => {
    scene = await startScene();
    const { fake, general, alice, bob, guild } = scene;
    const model = new ScriptedModel(() =>
      reply(`Attention @everyone and @here, also <@&${guild.botRoleId}> and <@${bob.id}>!`),
    );
    replica = await startReplica(scene.fake, { model });

    const question = fake.say(alice, general, `${fake.mention} shout please`);
    const [answer] = await fake.waitFor(() => finished(fake, question.id), "the answer");

    expect(answer?.content).toContain("@everyone");
    expect(answer?.mentionEveryone).toBe(false);
    expect(answer?.mentionRoleIds).toEqual([]);
    expect(answer?.mentionIds).toEqual([]);
    expect(answer?.pinged).toEqual([]);
  });

  it("refuses an over-limit mention with a reply under it, without opening a thread", async () => {
    scene = await startScene();
    const model = new ScriptedModel(() => reply("Answered."));
    replica = await startReplica(scene.fake, {
      model,
      settings: { throttle: { requests: 1, windowMs: 60_000, dailyTokens: 1_000_000 } },
    });
    const { fake, general, alice } = scene;

    const first = fake.say(alice, general, `${fake.mention} one`);
    await fake.waitFor(() => finished(fake, first.id), "the first answer");
    const second = fake.say(alice, general, `${fake.mention} two`);
    const [notice] = await fake.waitFor(() => finished(fake, general.id), "the notice");

    expect(notice?.referenceId).toBe(second.id);
    expect(notice?.content).toMatch(/try again/i);
    expect(notice?.pinged).toEqual([]);
    expect(fake.channel(second.id)).toBeUndefined();
    expect(model.requests).toHaveLength(1);
  });
});
