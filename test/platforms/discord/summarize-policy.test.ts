/**
 * `/summarize` on Discord under the policy file: a denied channel is not read for a summary (its
 * messages would go to the model); the person is told privately; other channels work as before.
 */
import { afterEach, describe, expect, it } from "vitest";
import { silentLogger } from "../../../src/log.js";
import { SUMMARIZE_OFF } from "../../../src/platforms/summarize-policy.js";
import { createMemoryStore } from "../../../src/store/memory/store.js";
import { type TestPolicy, testPolicy } from "../../support/policy.js";
import { reply, ScriptedModel } from "../../support/scripted-model.js";
import { type Replica, type Scene, startReplica, startScene } from "./harness.js";

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

describe("/summarize on Discord under a policy file", () => {
  it("refuses privately in a denied channel without reading it, and summarizes an allowed one", async () => {
    const s = await startScene();
    scene = s;
    const { fake, general, alice, bob } = s;
    const hr = fake.addChannel(s.guild, "hr");
    fake.seedHistory(hr, [{ author: bob, content: "salary review for Ben" }]);
    fake.seedHistory(general, [{ author: bob, content: "the launch moves to Monday" }]);
    const store = createMemoryStore({ log: silentLogger() });
    policy = await testPolicy(
      `platforms:\n  discord:\n    workspaces:\n      "${s.guild.id}":\n        denyChannels: ["${hr.id}"]\n`,
      store,
    );
    const model = new ScriptedModel(() => reply("All fine."));
    replica = await startReplica(fake, { model, store, policy: policy.setup });

    const denied = fake.slashCommand(alice, hr, "summarize");
    const cb = await fake.waitFor(() => denied.callbacks[0], "the refusal");
    const data = cb.data as { content: string; flags: number };
    expect(cb.type).toBe(4);
    expect(data.flags & EPHEMERAL).toBe(EPHEMERAL);
    expect(data.content).toBe(SUMMARIZE_OFF);

    const allowed = fake.slashCommand(alice, general, "summarize");
    await fake.waitFor(() => model.requests.length > 0 && allowed.callbacks.length > 0, "the summary");
    const seen = JSON.stringify(model.requests);
    expect(seen).toContain("the launch moves to Monday");
    expect(seen).not.toContain("salary");
    expect(model.requests).toHaveLength(1);
  });
});
