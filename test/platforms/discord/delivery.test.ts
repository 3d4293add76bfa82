import { afterEach, describe, expect, it } from "vitest";
import { silentLogger } from "../../../src/log.js";
import { MemoryKeyspace } from "../../../src/store/memory/keyspace.js";
import { createMemoryStore } from "../../../src/store/memory/store.js";
import { reply, ScriptedModel } from "../../support/scripted-model.js";
import { finished, type Replica, type Scene, startReplica, startScene } from "./harness.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("Discord delivery: duplicates, replicas and shards", () => {
  let scene: Scene;
  const replicas: Replica[] = [];

  afterEach(async () => {
    await Promise.all(replicas.splice(0).map((r) => r.adapter.stop()));
    await scene?.fake.close();
  });

  it("answers once when the same MESSAGE_CREATE is delivered twice", async () => {
    scene = await startScene();
    const model = new ScriptedModel(() => reply("Only once.", { gapMs: 20 }));
    replicas.push(await startReplica(scene.fake, { model }));
    const { fake, general, alice } = scene;

    const question = fake.say(alice, general, `${fake.mention} hello?`);
    fake.deliver(question);
    await fake.waitFor(() => finished(fake, question.id), "the answer");
    fake.deliver(question); // and once more after the answer
    await sleep(200);

    expect(model.requests).toHaveLength(1);
    expect(fake.botMessages(question.id)).toHaveLength(1);
    expect(fake.requests.filter((r) => r.route === "POST /channels/:id/messages/:id/threads")).toHaveLength(
      1,
    );
  });

  it("answers once when two replicas receive the same message (same shard twice)", async () => {
    scene = await startScene();
    const keyspace = new MemoryKeyspace();
    const log = silentLogger();
    const models = [0, 1].map(
      () => new ScriptedModel(() => reply("One answer from one replica.", { gapMs: 10 })),
    );
    for (const model of models) {
      replicas.push(await startReplica(scene.fake, { model, store: createMemoryStore({ log, keyspace }) }));
    }
    const { fake, general, alice } = scene;

    const question = fake.say(alice, general, `${fake.mention} who answers?`);
    await fake.waitFor(() => finished(fake, question.id), "the answer");
    await sleep(200);

    expect(models[0]!.requests.length + models[1]!.requests.length).toBe(1);
    expect(fake.botMessages(question.id)).toHaveLength(1);
    expect(fake.botMessages(general.id)).toEqual([]);
  });

  it("splits guilds between two shard replicas and answers each message exactly once", async () => {
    scene = await startScene({ shards: 2 });
    const { fake, alice } = scene;
    const guilds = [0, 1].map((shard) => fake.addGuild(`guild on shard ${shard}`, { id: shard, count: 2 }));
    const channels = guilds.map((g) => fake.addChannel(g, "help"));
    const keyspace = new MemoryKeyspace();
    const log = silentLogger();
    const models = [0, 1].map((shard) => new ScriptedModel(() => reply(`answered by shard ${shard}`)));
    for (const [shard, model] of models.entries()) {
      replicas.push(
        await startReplica(fake, {
          model,
          store: createMemoryStore({ log, keyspace }),
          env: { DISCORD_SHARD_IDS: String(shard), DISCORD_SHARD_COUNT: "2" },
        }),
      );
    }
    expect(fake.gateway.sessions.size).toBe(2);

    const questions = channels.flatMap((c) =>
      [1, 2, 3].map((n) => fake.say(alice, c, `${fake.mention} question ${n}`)),
    );
    const dm = fake.dm(alice, "a DM goes to shard 0");
    for (const q of questions) await fake.waitFor(() => finished(fake, q.id), `answer to ${q.id}`);
    await fake.waitFor(() => finished(fake, dm.channelId), "DM answer");
    await sleep(100);

    expect(models[0]!.requests).toHaveLength(4); // 3 guild messages + the DM
    expect(models[1]!.requests).toHaveLength(3);
    for (const [i, q] of questions.entries()) {
      expect(fake.botMessages(q.id).map((m) => m.content)).toEqual([`answered by shard ${i < 3 ? 0 : 1}`]);
    }
    expect(fake.botMessages(dm.channelId).map((m) => m.content)).toEqual(["answered by shard 0"]);
    for (const r of replicas) expect(r.adapter.isReady()).toBe(true);
  });
});
