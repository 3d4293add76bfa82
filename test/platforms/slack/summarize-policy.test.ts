/**
 * `/summarize` under the policy file: a channel the bot may not answer in is not read for a
 * summary either (its messages would go to the model), also through a thread link from another
 * channel; an allowed channel is summarized as before.
 */
import { afterEach, describe, expect, it } from "vitest";
import { silentLogger } from "../../../src/log.js";
import { SUMMARIZE_OFF } from "../../../src/platforms/summarize-policy.js";
import { createMemoryStore } from "../../../src/store/memory/store.js";
import { slashCommand } from "../../fakes/slack-events.js";
import { type TestPolicy, testPolicy } from "../../support/policy.js";
import { reply, ScriptedModel } from "../../support/scripted-model.js";
import { eventually, type Harness, startHarness } from "./harness.js";

let h: Harness | undefined;
let policy: TestPolicy | undefined;
afterEach(async () => {
  await h?.close();
  policy?.close();
  h = undefined;
  policy = undefined;
});

describe("/summarize under a policy file", () => {
  it("does not read a denied channel, directly or through a thread link, and summarizes the others", async () => {
    const model = new ScriptedModel(() => reply("**Summary:** all fine."));
    const store = createMemoryStore({ log: silentLogger() });
    policy = await testPolicy("platforms:\n  slack:\n    denyChannels: [CHR]\n", store);
    h = await startHarness({
      model,
      store,
      policy: policy.setup,
      setup: (f) => {
        f.addChannel({ id: "CHR", name: "hr" });
        f.seed({ channel: "CHR", user: "U1", text: "salary review for Ben" });
        f.seed({ channel: "C1", user: "U1", text: "the launch moves to Monday" });
      },
    });
    const hh = h;
    const root = hh.fake.seed({ channel: "CHR", user: "U2", text: "complaint about Ana" });
    const answerOf = async (channel: string, text: string) => {
      const cmd = slashCommand({ fake: hh.fake, channel, user: "U1", text });
      const id = String(cmd.response_url).slice(String(cmd.response_url).lastIndexOf("/") + 1);
      await hh.delivery.command(cmd);
      const post = await eventually(() => hh.fake.responsePosts.find((p) => p.id === id));
      await hh.adapter.idle();
      return JSON.stringify(post.body);
    };

    expect(await answerOf("CHR", "")).toContain(SUMMARIZE_OFF);
    const link = `https://fake.slack.com/archives/CHR/p${root.ts.replace(".", "")}`;
    expect(await answerOf("C1", link)).toContain(SUMMARIZE_OFF);
    expect(model.requests).toHaveLength(0);

    expect(await answerOf("C1", "")).toContain("all fine");
    expect(JSON.stringify(model.requests[0]?.messages)).toContain("the launch moves to Monday");
    expect(JSON.stringify(model.requests)).not.toMatch(/salary|complaint/);
  });
});
