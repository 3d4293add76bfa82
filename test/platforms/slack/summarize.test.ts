import { afterEach, describe, expect, it } from "vitest";
import type { ModelRequest } from "../../../src/core/ports.js";
import { ALL_SCOPES, buttonsOf, type FakeSlack } from "../../fakes/slack-api.js";
import { slashCommand } from "../../fakes/slack-events.js";
import { Gate, reply, ScriptedModel } from "../../support/scripted-model.js";
import { eventually, type Harness, pressShare, startHarness } from "./harness.js";

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

/** 300 people's messages with bot posts and joins in between, oldest first. */
function seedChannel(fake: FakeSlack, channel = "C1"): void {
  for (let i = 0; i < 300; i++) {
    fake.seed({
      channel,
      user: i % 2 ? "U1" : "U2",
      text: `message ${i} about <@U1> and <https://x.io|the site>`,
    });
    if (i % 50 === 0)
      fake.seed({ channel, user: "U9", subtype: "channel_join", text: "<@U9> has joined the channel" });
    if (i % 40 === 0) fake.seed({ channel, botId: "B77", text: "deploy finished" });
  }
}

/** Everything the model was sent (a long transcript is summarized in parts, then combined). */
function transcriptOf(requests: ModelRequest[]): string {
  return requests
    .flatMap((r) => r.messages)
    .map((m) => ("content" in m && typeof m.content === "string" ? m.content : ""))
    .join("\n");
}

const summaryModel = (hold?: Gate) =>
  new ScriptedModel(() =>
    reply("**Summary:** people talked about the site.", { gapMs: 5, holdAfter: 0, ...(hold && { hold }) }),
  );

describe("/summarize", () => {
  it("acknowledges at once and shows the asker alone a summary of the last 300 people's messages", async () => {
    // The summary is held back until the command is acknowledged: an acknowledgement that waited
    // for the summary (and so could miss Slack's 3 seconds) would never come.
    const summary = new Gate();
    const model = summaryModel(summary);
    h = await startHarness({ model, setup: (f) => seedChannel(f) });
    const form = slashCommand({ fake: h.fake, channel: "C1", user: "U1", text: "300" });
    const ack = await h.delivery.command(form);
    summary.open();
    expect(ack.status).toBe(200);
    expect(JSON.parse(ack.body)).toMatchObject({
      response_type: "ephemeral",
      text: expect.stringContaining("last 300 messages of #general"),
    });

    const post = await eventually(() =>
      h?.fake.responsePosts.find((p) => buttonsOf((p.body.blocks as unknown[]) ?? []).length > 0),
    );
    await h.adapter.idle();
    expect(post.body).toMatchObject({ response_type: "ephemeral", replace_original: true });
    expect(JSON.stringify(post.body.blocks)).toContain("**Summary:** people talked about the site.");
    expect(h.fake.botMessages("C1")).toHaveLength(0); // nothing public

    const transcript = transcriptOf(model.requests);
    expect(transcript).toContain("message 0 about");
    expect(transcript).toContain("message 299 about");
    expect(transcript).toContain("ana: message 1 about @ana"); // authors and mentions by name
    expect(transcript).toContain("the site (https://x.io)");
    expect(transcript).not.toContain("deploy finished");
    expect(transcript).not.toContain("has joined");
    // 300 messages + skipped ones fit in 2 history pages of 200.
    expect(h.fake.callsOf("conversations.history").length).toBeLessThanOrEqual(3);
  });

  it("shares the private summary in the channel when the asker presses Share", async () => {
    h = await startHarness({ model: summaryModel(), setup: (f) => seedChannel(f) });
    await h.delivery.command(slashCommand({ fake: h.fake, channel: "C1", user: "U1", text: "20" }));
    await pressShare(h, "U1");
    const shared = await eventually(() => h?.fake.botMessages("C1")[0]);
    expect(h.fake.visibleText(shared)).toContain("_Shared by <@U1>:_");
    expect(h.fake.visibleText(shared)).toContain("**Summary of #general, last 20 messages**");
    expect(h.fake.visibleText(shared)).toContain("people talked about the site");
  });

  it("posts straight to the channel with `share`, and summarizes a thread from its link", async () => {
    const model = summaryModel();
    h = await startHarness({ model, setup: (f) => seedChannel(f) });
    const root = h.fake.seed({ channel: "C1", user: "U1", text: "shall we move the launch?" });
    h.fake.seed({ channel: "C1", user: "U2", text: "yes, to Monday", threadTs: root.ts });
    const link = `https://fake.slack.com/archives/C1/p${root.ts.replace(".", "")}`;
    await h.delivery.command(
      slashCommand({ fake: h.fake, channel: "C1", user: "U1", text: `${link} share` }),
    );
    const msg = await eventually(() => h?.fake.botMessages("C1", root.ts)[0]);
    await h.adapter.idle();
    expect(h.fake.visibleText(msg)).toContain("people talked about the site");
    const transcript = transcriptOf(model.requests);
    expect(transcript).toContain("shall we move the launch?");
    expect(transcript).toContain("yes, to Monday");
    expect(transcript).not.toContain("message 5 about");
  });

  it("says clearly when it is not in the channel, cannot see a private one, or lacks a scope", async () => {
    h = await startHarness({
      model: summaryModel(),
      setup: (f) => {
        f.addChannel({ id: "C2", name: "random", botMember: false });
        f.addChannel({ id: "G1", name: "secret", type: "private", botMember: false });
        f.addChannel({ id: "G2", name: "team", type: "private", botMember: true });
        f.scopes.clear();
        for (const s of ALL_SCOPES.filter((s) => s !== "groups:history")) f.scopes.add(s);
      },
    });
    const ask = async (channel: string) => {
      const form = slashCommand({ fake: h!.fake, channel, user: "U1", text: "" });
      await h!.delivery.command(form);
      const id = form.response_url?.split("/").pop();
      const post = await eventually(() => h?.fake.responsePosts.find((p) => p.id === id));
      return JSON.stringify(post.body);
    };
    expect(await ask("C2")).toContain("I'm not a member of #random");
    expect(await ask("C2")).toContain("/invite @");
    expect(await ask("G1")).toContain("If it's a private channel, add me first");
    expect(await ask("G2")).toContain("missing the permission `groups:history`");
  });

  it("explains its usage for arguments it does not understand", async () => {
    h = await startHarness({ model: summaryModel() });
    const ack = await h.delivery.command(
      slashCommand({ fake: h.fake, channel: "C1", user: "U1", text: "everything please" }),
    );
    expect(JSON.parse(ack.body).text).toContain("*Usage:*");
  });

  it("summarizes what it could read when Slack keeps rate-limiting history", async () => {
    const model = summaryModel();
    h = await startHarness({
      model,
      // Like a non-Marketplace app: 1 history call per minute (6 s here), and we wait at most 1 s.
      fake: { rates: { "conversations.history": { limit: 1, windowMs: 60_000, per: "workspace" } } },
      adapter: { historyMaxWaitMs: 1000 },
      setup: (f) => seedChannel(f),
    });
    await h.delivery.command(slashCommand({ fake: h.fake, channel: "C1", user: "U1", text: "300" }));
    await eventually(() => h?.fake.responsePosts.find((p) => JSON.stringify(p.body).includes("Summary:")));
    await h.adapter.idle();
    expect(transcriptOf(model.requests)).toMatch(/rate limits let me read only the latest 1\d\d messages/);
  });
});

describe("/summarize of a thread link", () => {
  /** A thread in #design (C2) the asker may or may not be in; returns its link. */
  function seedDesignThread(
    fake: FakeSlack,
    members: string[],
    type: "public" | "private" = "public",
  ): string {
    fake.addChannel({ id: "C2", name: "design", type, members });
    const root = fake.seed({ channel: "C2", user: "U2", text: "the new logo is confidential until launch" });
    fake.seed({ channel: "C2", user: "U2", text: "launch is on the 12th", threadTs: root.ts });
    return `https://fake.slack.com/archives/C2/p${root.ts.replace(".", "")}`;
  }

  async function ask(text: string): Promise<string> {
    const form = slashCommand({ fake: h!.fake, channel: "C1", user: "U1", text });
    await h!.delivery.command(form);
    const id = form.response_url?.split("/").pop();
    const post = await eventually(() => h?.fake.responsePosts.find((p) => p.id === id));
    await h!.adapter.idle();
    return JSON.stringify(post.body);
  }

  it("summarizes a thread of another channel privately for a member of that channel, without a Share button", async () => {
    const model = summaryModel();
    let link = "";
    h = await startHarness({ model, setup: (f) => (link = seedDesignThread(f, ["U1", "U2"])) });
    const form = slashCommand({ fake: h.fake, channel: "C1", user: "U1", text: link });
    await h.delivery.command(form);
    const id = form.response_url?.split("/").pop();
    const post = await eventually(() =>
      h?.fake.responsePosts.find((p) => p.id === id && JSON.stringify(p.body).includes("Summary:")),
    );
    await h.adapter.idle();
    expect(transcriptOf(model.requests)).toContain("launch is on the 12th");
    expect(buttonsOf((post.body.blocks as unknown[]) ?? [])).toEqual([]);
    expect(h.fake.botMessages()).toHaveLength(0);
  });

  it("refuses a thread of a public or private channel the asker is not in, without reading it", async () => {
    const model = summaryModel();
    let link = "";
    h = await startHarness({ model, setup: (f) => (link = seedDesignThread(f, ["U2"])) });
    expect(await ask(link)).toContain("You're not a member of <#C2>");
    h.fake.channels.get("C2")!.type = "private";
    expect(await ask(link)).toContain("You're not a member of <#C2>");
    expect(model.requests).toHaveLength(0);
    expect(h.fake.callsOf("conversations.replies")).toHaveLength(0);
  });

  it("does not post another channel's thread summary in this channel with `share`", async () => {
    const model = summaryModel();
    let link = "";
    h = await startHarness({ model, setup: (f) => (link = seedDesignThread(f, ["U1", "U2"])) });
    expect(await ask(`${link} share`)).toContain("I can only post a summary of that thread in <#C2>");
    expect(model.requests).toHaveLength(0);
    expect(h.fake.botMessages()).toHaveLength(0);
  });

  it("names the missing scope when it cannot check membership", async () => {
    let link = "";
    h = await startHarness({
      model: summaryModel(),
      setup: (f) => {
        link = seedDesignThread(f, ["U1"]);
        f.scopes.delete("channels:read");
      },
    });
    expect(await ask(link)).toContain("missing the permission `channels:read`");
  });
});
