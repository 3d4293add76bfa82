import { afterEach, describe, expect, it } from "vitest";
import type { ModelRequest } from "../../../src/core/ports.js";
import { slashCommand } from "../../fakes/slack-events.js";
import { reply, ScriptedModel } from "../../support/scripted-model.js";
import { eventually, type Harness, startHarness } from "./harness.js";

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

function transcriptOf(requests: ModelRequest[]): string {
  return requests
    .flatMap((r) => r.messages)
    .map((m) => ("content" in m && typeof m.content === "string" ? m.content : ""))
    .join("\n");
}

describe("/summarize with files in the channel", () => {
  it("names shared files in the transcript instead of reading them", async () => {
    const model = new ScriptedModel(() => reply("**Summary:** Ana shared a screenshot and a log."));
    h = await startHarness({
      model,
      setup: (f) => {
        const png = f.files.add({ name: "screenshot.png", mimetype: "image/png", bytes: Buffer.from("png") });
        const log = f.files.add({ name: "app.log", mimetype: "text/plain", bytes: Buffer.from("ERROR") });
        f.seed({
          channel: "C1",
          user: "U1",
          text: "checkout fails, see",
          subtype: "file_share",
          files: [png],
        });
        f.seed({ channel: "C1", user: "U2", text: "", subtype: "file_share", files: [log] });
        f.seed({ channel: "C1", user: "U1", text: "thanks Ben" });
      },
    });
    await h.delivery.command(slashCommand({ fake: h.fake, channel: "C1", user: "U1", text: "" }));
    await eventually(() => h?.fake.responsePosts.find((p) => JSON.stringify(p.body).includes("Summary")));
    await h.adapter.idle();
    const transcript = transcriptOf(model.requests);
    expect(transcript).toContain("ana: checkout fails, see [attached: screenshot.png]");
    expect(transcript).toContain("ben: [attached: app.log]"); // a file with no words still counts
    expect(transcript).toContain("ana: thanks Ben");
    expect(h.fake.files.downloads).toEqual([]); // named, never downloaded
  });
});
