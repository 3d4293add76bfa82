/**
 * The policy file and /assistant in Slack, against the fake Slack: where the bot answers, DM and
 * follow-up modes, the settings shown to the person who asks, and admins switching a channel.
 */
import { afterEach, describe, expect, it } from "vitest";
import { silentLogger } from "../../../src/log.js";
import { createMemoryStore } from "../../../src/store/memory/store.js";
import {
  assistantThreadStarted,
  eventEnvelope,
  mentionEvents,
  messageEvent,
  slashCommand,
} from "../../fakes/slack-events.js";
import { type TestPolicy, testPolicy } from "../../support/policy.js";
import { reply, ScriptedModel } from "../../support/scripted-model.js";
import { eventually, type Harness, startHarness } from "./harness.js";

const TEAM = "T0FAKE";
const FILE = `
platforms:
  slack:
    admins: [UBOSS]
    workspaces:
      ${TEAM}:
        denyChannels: [CRANDOM]
        dms: mention
        channels:
          CSUPPORT:
            followups: mention
            extraSystemPrompt: Be brief.
`;

let h: Harness | undefined;
let policy: TestPolicy | undefined;
afterEach(async () => {
  await h?.close();
  policy?.close();
  h = undefined;
  policy = undefined;
});

async function start(yaml = FILE) {
  const model = new ScriptedModel(() => reply("on it"));
  const store = createMemoryStore({ log: silentLogger() });
  policy = await testPolicy(yaml, store);
  const harness = await startHarness({
    model,
    store,
    policy: policy.setup,
    setup: (f) => {
      f.addChannel({ id: "CRANDOM", name: "random" });
      f.addChannel({ id: "CSUPPORT", name: "support" });
      f.addChannel({ id: "D1", name: "dm", type: "im" });
      f.addUser({ id: "UBOSS", name: "boss", realName: "The Boss" });
    },
  });
  h = harness;
  return { h: harness, model };
}

async function mention(hh: Harness, channel: string, text = "<@U0BOT> help", user = "U1"): Promise<string> {
  const ts = hh.fake.nextTs();
  await hh.delivery.event(eventEnvelope(mentionEvents({ channel, user, text, ts }).appMention));
  return ts;
}

async function assistant(hh: Harness, user: string, text = "", channel = "C1"): Promise<string> {
  const ack = await hh.delivery.command(
    slashCommand({ fake: hh.fake, channel, user, text, command: "/assistant" }),
  );
  expect(ack.status).toBe(200);
  const body = JSON.parse(ack.body) as { response_type: string; text: string };
  expect(body.response_type).toBe("ephemeral");
  return body.text;
}

describe("Slack under a policy file", () => {
  it("does not answer in a denied channel and answers in the others", async () => {
    const { h, model } = await start();
    const denied = await mention(h, "CRANDOM");
    const allowed = await mention(h, "C1");
    await eventually(() => h.fake.botMessages("C1", allowed)[0]);
    await h.adapter.idle();
    expect(h.fake.botMessages("CRANDOM", denied)).toHaveLength(0);
    expect(model.requests).toHaveLength(1);
  });

  it("answers DMs only when they mention the bot in a mention-only workspace", async () => {
    const { h, model } = await start();
    const plain = h.fake.nextTs();
    await h.delivery.event(
      eventEnvelope(messageEvent({ channel: "D1", channelType: "im", user: "U1", text: "hello", ts: plain })),
    );
    const addressed = h.fake.nextTs();
    await h.delivery.event(
      eventEnvelope(
        messageEvent({ channel: "D1", channelType: "im", user: "U1", text: "<@U0BOT> hello", ts: addressed }),
      ),
    );
    await eventually(() => h.fake.botMessages("D1")[0]);
    await h.adapter.idle();
    expect(h.fake.botMessages("D1")).toHaveLength(1);
    expect(model.requests).toHaveLength(1);
    expect(model.requests[0]?.messages.at(-1)).toMatchObject({ role: "user", content: "hello" });
  });

  it("neither answers DMs nor greets in the assistant panel where DMs are off", async () => {
    const { h, model } = await start(FILE.replace("dms: mention", "dms: off"));
    const thread = h.fake.nextTs();
    await h.delivery.event(
      eventEnvelope(assistantThreadStarted({ channel: "D1", user: "U1", threadTs: thread })),
    );
    await h.delivery.event(
      eventEnvelope(
        messageEvent({
          channel: "D1",
          channelType: "im",
          user: "U1",
          text: "<@U0BOT> hi",
          ts: h.fake.nextTs(),
        }),
      ),
    );
    const ts = await mention(h, "C1");
    await eventually(() => h.fake.botMessages("C1", ts)[0]);
    await h.adapter.idle();
    expect(h.fake.botMessages("D1")).toHaveLength(0);
    expect(h.fake.assistantCalls).toHaveLength(0);
    expect(model.requests).toHaveLength(1);
  });

  it("does not greet in the assistant panel of a workspace the file denies", async () => {
    const { h } = await start(`platforms:\n  slack:\n    denyWorkspaces: [${TEAM}]\n`);
    await h.delivery.event(
      eventEnvelope(assistantThreadStarted({ channel: "D1", user: "U1", threadTs: h.fake.nextTs() })),
    );
    await h.adapter.idle();
    expect(h.fake.assistantCalls).toHaveLength(0);
  });

  it("needs a new mention for follow-ups in a channel whose policy says so, and adds its instructions", async () => {
    const { h, model } = await start();
    const root = await mention(h, "CSUPPORT");
    await eventually(() => h.fake.botMessages("CSUPPORT", root)[0]);
    await h.adapter.idle();
    await h.delivery.event(
      eventEnvelope(
        messageEvent({ channel: "CSUPPORT", user: "U1", text: "and?", ts: h.fake.nextTs(), threadTs: root }),
      ),
    );
    const again = h.fake.nextTs();
    await h.delivery.event(
      eventEnvelope(
        mentionEvents({ channel: "CSUPPORT", user: "U1", text: "<@U0BOT> and?", ts: again, threadTs: root })
          .appMention,
      ),
    );
    await eventually(() => (h.fake.botMessages("CSUPPORT", root).length ?? 0) >= 2);
    await h.adapter.idle();
    expect(model.requests).toHaveLength(2);
    const system = model.requests[0]?.messages[0];
    expect(system?.role === "system" && system.content.endsWith("Be brief.")).toBe(true);
  });

  it("shows the policy in effect to the person who runs /assistant", async () => {
    const { h } = await start();
    const here = await assistant(h, "U1", "", "CRANDOM");
    expect(here).toContain("Answers here: no (`platforms.slack.workspaces.T0FAKE.denyChannels`)");
    expect(here).toContain("Direct messages: mention");
    expect(here).not.toContain("You are an admin");
    expect(h.fake.botMessages("CRANDOM")).toHaveLength(0); // nothing public
  });

  it("refuses /assistant off from someone who is not an admin", async () => {
    const { h, model } = await start();
    expect(await assistant(h, "U1", "off")).toMatch(/Only admins/);
    const ts = await mention(h, "C1");
    await eventually(() => h.fake.botMessages("C1", ts)[0]);
    expect(model.requests).toHaveLength(1);
  });

  it("lets an admin switch the bot off and on for a channel, overriding the file", async () => {
    const { h, model } = await start();
    expect(await assistant(h, "UBOSS", "off")).toMatch(/now \*off\*/);
    const silenced = await mention(h, "C1");
    await h.adapter.idle();
    expect(h.fake.botMessages("C1", silenced)).toHaveLength(0);
    expect(await assistant(h, "U1")).toContain("Answers here: no (switched off by an admin)");

    // On beats the file's deny list too.
    expect(await assistant(h, "UBOSS", "on", "CRANDOM")).toMatch(/now \*on\*/);
    const back = await mention(h, "CRANDOM");
    await eventually(() => h.fake.botMessages("CRANDOM", back)[0]);
    await h.adapter.idle();
    expect(model.requests).toHaveLength(1);
    expect(await assistant(h, "UBOSS", "", "CRANDOM")).toContain(
      "Answers here: yes (switched on by an admin)",
    );
    expect(await assistant(h, "UBOSS", "reset", "CRANDOM")).toContain("Answers here: no");
  });

  it("applies a rewritten policy file to the next message without a restart", async () => {
    const { h, model } = await start();
    const before = await mention(h, "CRANDOM");
    await h.adapter.idle();
    expect(h.fake.botMessages("CRANDOM", before)).toHaveLength(0);
    await policy?.rewrite(FILE.replace("denyChannels: [CRANDOM]", "denyChannels: [C1]"));
    const after = await mention(h, "CRANDOM");
    await eventually(() => h.fake.botMessages("CRANDOM", after)[0]);
    const now = await mention(h, "C1");
    await h.adapter.idle();
    expect(h.fake.botMessages("C1", now)).toHaveLength(0);
    expect(model.requests).toHaveLength(1);
  });
});
