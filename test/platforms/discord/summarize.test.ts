import { afterEach, describe, expect, it } from "vitest";
import type { ModelRequest } from "../../../src/core/ports.js";
import { type FakeInteraction, PERMISSION } from "../../fakes/discord/index.js";
import { reply, ScriptedModel } from "../../support/scripted-model.js";
import { type Replica, type Scene, startReplica, startScene } from "./harness.js";

/** Option types (docs, "Application Command Option Type"). */
const INTEGER = 4;
const BOOLEAN = 5;

function transcriptOf(requests: ModelRequest[]): string {
  return requests.map((r) => r.messages.map((m) => String(m.content)).join("\n")).join("\n");
}

describe("Discord /summarize", () => {
  let scene: Scene;
  let replica: Replica;

  afterEach(async () => {
    await replica?.adapter.stop();
    await scene?.fake.close();
  });

  /** The deferred reply of `interaction` once it holds its final text. */
  function finalReply(interaction: FakeInteraction) {
    const id = interaction.originalMessageId;
    const message = id ? scene.fake.message(id) : undefined;
    return message && (message.flags & (1 << 7)) === 0 && message.components.length === 0
      ? message
      : undefined;
  }

  it("summarizes the last 300 messages into an ephemeral deferred reply", async () => {
    scene = await startScene();
    const { fake, general, alice, bob } = scene;
    const helper = fake.addUser("status-bot", true);
    fake.seedHistory(general, [{ author: alice, content: "too old to be included" }]);
    fake.seedHistory(
      general,
      Array.from({ length: 300 }, (_, i) => ({
        author: i % 10 === 4 ? helper : i % 2 === 0 ? alice : bob,
        content: `message number ${i + 1}`,
      })),
    );
    const model = new ScriptedModel(() => reply("People counted to three hundred.", { gapMs: 5 }));
    replica = await startReplica(fake, { model });

    const interaction = fake.slashCommand(alice, general, "summarize", [
      { name: "count", type: INTEGER, value: 300 },
    ]);
    const summary = await fake.waitFor(() => finalReply(interaction), "the summary");

    expect(interaction.callbacks.map((c) => c.type)).toEqual([5]); // deferred, within the deadline
    expect(summary.ephemeral).toBe(true);
    expect(summary.content).toContain("People counted to three hundred.");
    const seen = transcriptOf(model.requests);
    expect(seen).toContain("message number 1");
    expect(seen).toContain("message number 300");
    expect(seen).not.toContain("too old to be included");
    expect(seen).not.toMatch(/: message number 5$/m); // a bot's line is dropped
    expect(seen).toMatch(/alice: message number 1\b/);
    // Three pages of history (100 each), newest first.
    expect(fake.requests.filter((r) => r.route === "GET /channels/:id/messages")).toHaveLength(3);
  });

  it("posts the summary for everyone when asked to share it", async () => {
    scene = await startScene();
    const { fake, general, alice } = scene;
    fake.seedHistory(general, [{ author: alice, content: "we ship on friday" }]);
    replica = await startReplica(fake, { model: new ScriptedModel(() => reply("Shipping is on Friday.")) });

    const interaction = fake.slashCommand(alice, general, "summarize", [
      { name: "share", type: BOOLEAN, value: true },
    ]);
    const summary = await fake.waitFor(() => finalReply(interaction), "the shared summary");

    expect(summary.ephemeral).toBe(false);
    expect(summary.content).toContain("Shipping is on Friday.");
  });

  it("says which permission is missing when it cannot read the channel", async () => {
    scene = await startScene();
    const { fake, general, alice } = scene;
    general.deny.readHistory = true;
    const model = new ScriptedModel(() => reply("never"));
    replica = await startReplica(fake, { model });

    const interaction = fake.slashCommand(alice, general, "summarize");
    const notice = await fake.waitFor(() => finalReply(interaction), "the notice");

    expect(notice.content).toContain("Read Message History");
    expect(model.requests).toHaveLength(0);
  });

  it("refuses a member who cannot read the channel's history, without reading it", async () => {
    scene = await startScene();
    const { fake, general, alice, bob } = scene;
    fake.seedHistory(general, [{ author: bob, content: "the salary bands for next year" }]);
    fake.denyMember(general, alice, PERMISSION.readMessageHistory);
    const model = new ScriptedModel(() => reply("never"));
    replica = await startReplica(fake, { model });

    for (const share of [false, true]) {
      const interaction = fake.slashCommand(alice, general, "summarize", [
        { name: "share", type: BOOLEAN, value: share },
      ]);
      const answer = await fake.waitFor(() => finalReply(interaction), "the refusal");
      expect(answer.ephemeral).toBe(true);
      expect(answer.content).toBe(
        "You can't read this channel's message history, so I can't summarize it for you.",
      );
    }
    expect(model.requests).toHaveLength(0);
    expect(fake.requests.filter((r) => r.route === "GET /channels/:id/messages")).toHaveLength(0);
    expect(fake.botMessages(general.id).filter((m) => !m.ephemeral)).toEqual([]);
  });

  it("posts a shared summary only for a member who may send messages, and still summarizes privately", async () => {
    scene = await startScene();
    const { fake, general, alice } = scene;
    fake.seedHistory(general, [{ author: alice, content: "we ship on friday" }]);
    fake.denyMember(general, alice, PERMISSION.sendMessages);
    const model = new ScriptedModel(() => reply("Shipping is on Friday."));
    replica = await startReplica(fake, { model });

    const shared = fake.slashCommand(alice, general, "summarize", [
      { name: "share", type: BOOLEAN, value: true },
    ]);
    const refusal = await fake.waitFor(() => finalReply(shared), "the refusal");
    expect(refusal.ephemeral).toBe(true);
    expect(refusal.content).toContain("You can't send messages in this channel");
    expect(model.requests).toHaveLength(0);

    const own = fake.slashCommand(alice, general, "summarize");
    const summary = await fake.waitFor(() => finalReply(own), "the private summary");
    expect(summary.ephemeral).toBe(true);
    expect(summary.content).toContain("Shipping is on Friday.");
    expect(fake.botMessages(general.id).filter((m) => !m.ephemeral)).toEqual([]);
  });
});
