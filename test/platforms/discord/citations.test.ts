/**
 * A help-center answer on Discord: the article is a Markdown link, listed once under "Sources:",
 * and the message suppresses link embeds so the citation does not grow a preview card.
 */
import { afterEach, describe, expect, it } from "vitest";
import { FLAG_SUPPRESS_EMBEDS } from "../../../src/platforms/discord/render.js";
import { citingModel, expectCitedOnce, helpCenterTools, RETURNS_URL } from "../../support/help-center.js";
import { finished, type Replica, type Scene, startReplica, startScene } from "./harness.js";

describe("Discord citations", () => {
  let scene: Scene;
  let replica: Replica;
  afterEach(async () => {
    await replica?.adapter.stop();
    await scene?.fake.close();
  });

  it("shows the returns article as a link, listed once under Sources, without an embed", async () => {
    scene = await startScene();
    replica = await startReplica(scene.fake, { model: citingModel(), tools: await helpCenterTools() });
    const { fake, general, alice } = scene;
    const question = fake.say(alice, general, `${fake.mention} how do I return an item?`);
    const [answer] = await fake.waitFor(() => finished(fake, question.id), "the answer in the thread");

    const text = answer?.content ?? "";
    expectCitedOnce(text, RETURNS_URL);
    expect((answer?.flags ?? 0) & FLAG_SUPPRESS_EMBEDS).toBe(FLAG_SUPPRESS_EMBEDS);
  });
});
