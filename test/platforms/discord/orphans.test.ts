import { afterEach, describe, expect, it } from "vitest";
import { ORPHAN_NOTICE } from "../../../src/core/orphans.js";
import { silentLogger } from "../../../src/log.js";
import { MemoryKeyspace } from "../../../src/store/memory/keyspace.js";
import { createMemoryStore } from "../../../src/store/memory/store.js";
import { ScriptedModel } from "../../support/scripted-model.js";
import { type Replica, type Scene, startReplica, startScene } from "./harness.js";

describe("Discord answers of a dead process", () => {
  let scene: Scene;
  const replicas: Replica[] = [];

  afterEach(async () => {
    for (const r of replicas.splice(0)) {
      await r.conversation.drain(0);
      await r.adapter.stop();
    }
    await scene?.fake.close();
  });

  it("are finalized by another replica: text kept, Stop button gone, a notice added", async () => {
    scene = await startScene();
    const { fake, general, alice, guild } = scene;
    const keyspace = new MemoryKeyspace();
    const log = silentLogger();
    // Replica A streams a few words, then "dies" (its model never answers again).
    const hung = new ScriptedModel(() => [
      { type: "text", delta: "Checking your order " },
      { type: "sleep", ms: 60_000 },
    ]);
    const a = await startReplica(fake, { model: hung, store: createMemoryStore({ log, keyspace }) });
    replicas.push(a);
    const question = fake.say(alice, general, `${fake.mention} where is my parcel?`);
    const [streaming] = await fake.waitFor(() => {
      const m = fake.botMessages(question.id);
      return m.length > 0 && m[0]!.components.length > 0 ? m : undefined;
    }, "a streaming answer with a Stop button");
    expect(streaming?.content).toContain("Checking your order");

    const b = await startReplica(fake, {
      model: new ScriptedModel(() => []),
      store: createMemoryStore({ log, keyspace }),
    });
    replicas.push(b);
    await b.conversation.orphans.finalize(
      JSON.stringify({
        turnId: `discord:${question.id}`,
        platform: "discord",
        workspaceId: guild.id,
        channelId: general.id,
        threadId: question.id,
        messageId: question.id,
        startedAt: Date.now(),
      }),
    );
    const after = fake.message(streaming!.id)!;
    expect(after.components).toEqual([]);
    expect(after.content).toBe(`Checking your order\n\n${ORPHAN_NOTICE}`);
  });
});
