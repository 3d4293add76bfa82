/**
 * A Slack customer hands off to a Slack team channel and back, end to end against the fake Slack:
 * the whole loop the issue lists, plus redeliveries, /handoff and the fallback without a channel.
 */
import { afterEach, describe, expect, it } from "vitest";
import type { Store } from "../../src/core/ports.js";
import { silentLogger } from "../../src/log.js";
import { HANDOFF_CLAIM_ACTION_ID, HANDOFF_RETURN_ACTION_ID } from "../../src/platforms/slack/handoff.js";
import { createMemoryStore } from "../../src/store/memory/store.js";
import type { FakeSlack } from "../fakes/slack-api.js";
import { buttonClick, eventEnvelope, messageEvent, slashCommand } from "../fakes/slack-events.js";
import { ScriptedModel } from "../support/scripted-model.js";
import {
  eventually,
  fakeSlackForHandoffs,
  type Replica,
  slackEnv,
  startReplica,
  supportModelScript,
  TEAM_CHANNEL,
} from "./harness.js";

let fake: FakeSlack | undefined;
let store: Store | undefined;
const replicas: Replica[] = [];
afterEach(async () => {
  for (const r of replicas.splice(0)) await r.close();
  await store?.close();
  await fake?.close();
  fake = undefined;
  store = undefined;
});

const dm = (f: FakeSlack, text: string, user = "U1") =>
  eventEnvelope(messageEvent({ channel: "D1", channelType: "im", user, text, ts: f.nextTs() }));

const teamReply = (f: FakeSlack, threadTs: string, text: string, ts = f.nextTs()) =>
  eventEnvelope(messageEvent({ channel: TEAM_CHANNEL, user: "U9", text, ts, threadTs }));

async function setup(env: Record<string, string> = {}) {
  fake = await fakeSlackForHandoffs();
  store = createMemoryStore({ log: silentLogger() });
  const model = new ScriptedModel((req) => supportModelScript(req));
  const r = await startReplica({ store, model, env: slackEnv(fake, env) });
  replicas.push(r);
  return { f: fake, r, model, delivery: r.delivery as NonNullable<Replica["delivery"]> };
}

describe("hand-off from a Slack DM to a Slack team channel", () => {
  it("hands the DM to a person, relays both ways, and the bot answers again knowing what the team said", async () => {
    const { f, r, model, delivery } = await setup();
    const dmTexts = () => f.botMessages("D1").map((m) => f.visibleText(m));

    await delivery.event(dm(f, "I want to return my blender"));
    await eventually(() => dmTexts().length >= 1);
    await r.slack?.idle();

    // 1. The customer asks for a person: the model calls handoff_to_human.
    await delivery.event(dm(f, "Can I talk to a person please?"));
    await eventually(() => dmTexts().some((t) => /person from our support team/.test(t)));
    const announcement = await eventually(() =>
      f.botMessages(TEAM_CHANNEL).find((m) => m.threadTs === undefined),
    );
    expect(f.visibleText(announcement)).toMatch(/ana|Ana Lima|a customer/);
    expect(f.visibleText(announcement)).toMatch(/asked for a person/);
    expect(f.buttons(announcement).map((b) => b.actionId)).toEqual([
      HANDOFF_CLAIM_ACTION_ID,
      HANDOFF_RETURN_ACTION_ID,
    ]);
    // The summary streams into the announcement's thread.
    await eventually(() =>
      f
        .botMessages(TEAM_CHANNEL, announcement.ts)
        .find((m) => /wants to return a blender/.test(f.visibleText(m))),
    );
    // The summary covers the message the model handed off on, though its turn was still running.
    const summaryAsked = model.requests.find((q) => {
      const first = q.messages[0];
      return first?.role === "system" && first.content.startsWith("You summarize");
    });
    expect(JSON.stringify(summaryAsked?.messages)).toContain("Can I talk to a person please?");
    await r.slack?.idle();
    await r.service.idle();

    // 2. A team reply in the thread reaches the DM under the team member's name (and claims it).
    await delivery.event(teamReply(f, announcement.ts, "Hi Ana, I'm Bea. Which order is it?"));
    await eventually(() => dmTexts().some((t) => /bea.*\(support team\): Hi Ana/i.test(t)));
    expect(dmTexts().some((t) => /from the support team has joined/.test(t))).toBe(true);
    await eventually(() => f.buttons(announcement).length === 1);
    await r.slack?.idle();

    // 3. The customer's next message goes to the team, not to the model.
    const asked = model.requests.length;
    await delivery.event(dm(f, "It is order A-1001"));
    await eventually(() =>
      f
        .botMessages(TEAM_CHANNEL, announcement.ts)
        .find((m) => /\(customer\): It is order A-1001/.test(f.visibleText(m))),
    );
    await r.slack?.idle();
    expect(model.requests.length).toBe(asked);

    // 4. Return to assistant: the customer hears it, the buttons go.
    await delivery.action(
      buttonClick({
        fake: f,
        channel: TEAM_CHANNEL,
        user: "U9",
        messageTs: announcement.ts,
        actionId: HANDOFF_RETURN_ACTION_ID,
        value: f.buttons(announcement)[0]?.value ?? "",
      }),
    );
    await eventually(() => dmTexts().some((t) => /handed the conversation back to me/.test(t)));
    await eventually(() => f.buttons(announcement).length === 0);
    await r.slack?.idle();

    // 5. The bot answers again, with the team's replies and the relayed message in its history.
    await delivery.event(dm(f, "Thanks! Anything else I should know?"));
    await eventually(() =>
      dmTexts().some((t) => /Back with the assistant; I can see 1 team message/.test(t)),
    );
    const last = model.requests[model.requests.length - 1];
    const said = last?.messages.map((m) => ("content" in m ? m.content : "")) ?? [];
    expect(said).toContain("It is order A-1001");
    expect(said.some((c) => c?.includes("Hi Ana, I'm Bea. Which order is it?"))).toBe(true);
    const opened = await r.metrics.registry.getSingleMetricAsString("chatbot_handoffs_total");
    expect(opened).toMatch(/event="opened"[^\n]* 1/);
    expect(opened).toMatch(/event="closed"[^\n]* 1/);
  });

  it("relays a team reply once when Slack delivers it twice, and a customer message once when it is redelivered", async () => {
    const { f, r, delivery } = await setup();
    await delivery.event(dm(f, "Get me a human"));
    const announcement = await eventually(() =>
      f.botMessages(TEAM_CHANNEL).find((m) => m.threadTs === undefined),
    );
    await r.slack?.idle();
    await r.service.idle();

    const event = teamReply(f, announcement.ts, "Hello from the team");
    await delivery.event(event);
    await delivery.event(event, { retryNum: 1 });
    const customer = dm(f, "Hello team");
    await delivery.event(customer);
    await delivery.event(customer, { retryNum: 1 });
    await eventually(() =>
      f
        .botMessages(TEAM_CHANNEL, announcement.ts)
        .some((m) => /\(customer\): Hello team/.test(f.visibleText(m))),
    );
    await r.slack?.idle();
    const inDm = f.botMessages("D1").filter((m) => /Hello from the team/.test(f.visibleText(m)));
    const inTeam = f
      .botMessages(TEAM_CHANNEL, announcement.ts)
      .filter((m) => /\(customer\): Hello team/.test(f.visibleText(m)));
    expect(inDm).toHaveLength(1);
    expect(inTeam).toHaveLength(1);
  });

  it("ignores Claim and Return clicks that do not come from the hand-off's own announcement", async () => {
    const { f, r, delivery } = await setup();
    await delivery.event(dm(f, "Get me a human"));
    const announcement = await eventually(() =>
      f.botMessages(TEAM_CHANNEL).find((m) => m.threadTs === undefined),
    );
    await r.slack?.idle();
    await r.service.idle();
    const id = f.buttons(announcement).at(-1)?.value ?? "";
    const inDm = await eventually(() => f.botMessages("D1").at(-1));
    // The customer replays the hand-off's id as a button value on a message in their own DM.
    for (const actionId of [HANDOFF_RETURN_ACTION_ID, HANDOFF_CLAIM_ACTION_ID]) {
      await delivery.action(
        buttonClick({ fake: f, channel: "D1", user: "U1", messageTs: inDm.ts, actionId, value: id }),
      );
    }
    await r.slack?.idle();
    expect((await r.service.store.get(id))?.status).toBe("open");
    expect(
      f
        .botMessages("D1")
        .map((m) => f.visibleText(m))
        .join("\n"),
    ).not.toMatch(/joined|handed/);
  });

  it("hands off with /handoff, and `done` in the team thread gives the conversation back", async () => {
    const { f, r, delivery } = await setup();
    await delivery.command(
      slashCommand({ fake: f, channel: "D1", user: "U1", text: "billing question", command: "/handoff" }),
    );
    const announcement = await eventually(() =>
      f.botMessages(TEAM_CHANNEL).find((m) => m.threadTs === undefined),
    );
    expect(f.visibleText(announcement)).toMatch(/billing question/);
    await eventually(() =>
      f
        .botMessages(TEAM_CHANNEL, announcement.ts)
        .some((m) => /No earlier conversation/.test(f.visibleText(m))),
    );
    await eventually(() =>
      f.botMessages("D1").some((m) => /person from our support team/.test(f.visibleText(m))),
    );
    await r.slack?.idle();
    await r.service.idle();
    await delivery.action(
      buttonClick({
        fake: f,
        channel: TEAM_CHANNEL,
        user: "U9",
        messageTs: announcement.ts,
        actionId: HANDOFF_CLAIM_ACTION_ID,
        value: f.buttons(announcement)[0]?.value ?? "",
      }),
    );
    await eventually(() => f.botMessages("D1").some((m) => /has joined/.test(f.visibleText(m))));
    await delivery.event(teamReply(f, announcement.ts, "done"));
    await eventually(() =>
      f.botMessages("D1").some((m) => /handed the conversation back/.test(f.visibleText(m))),
    );
    await r.slack?.idle();
    expect(f.botMessages("D1").filter((m) => /has joined/.test(f.visibleText(m)))).toHaveLength(1);
  });

  it("hands a channel conversation over in a thread with /handoff, and relays the customer's replies there", async () => {
    const { f, r, delivery } = await setup();
    await delivery.command(
      slashCommand({ fake: f, channel: "C1", user: "U1", text: "", command: "/handoff" }),
    );
    const opener = await eventually(() =>
      f
        .botMessages("C1")
        .find((m) => m.threadTs === undefined && /asked for a person/.test(f.visibleText(m))),
    );
    await eventually(() =>
      f.botMessages("C1", opener.ts).some((m) => /person from our support team/.test(f.visibleText(m))),
    );
    const announcement = await eventually(() =>
      f.botMessages(TEAM_CHANNEL).find((m) => m.threadTs === undefined),
    );
    // Channel threads get a link the team can open.
    expect(f.visibleText(announcement)).toContain(
      `https://fake.slack.com/archives/C1/p${opener.ts.replace(".", "")}`,
    );
    await r.slack?.idle();
    await r.service.idle();
    await delivery.event(
      eventEnvelope(
        messageEvent({
          channel: "C1",
          user: "U1",
          text: "Still there?",
          ts: f.nextTs(),
          threadTs: opener.ts,
        }),
      ),
    );
    await eventually(() =>
      f
        .botMessages(TEAM_CHANNEL, announcement.ts)
        .some((m) => /\(customer\): Still there\?/.test(f.visibleText(m))),
    );
    await delivery.event(teamReply(f, announcement.ts, "Yes, reading now"));
    await eventually(() =>
      f.botMessages("C1", opener.ts).some((m) => /\(support team\): Yes, reading now/.test(f.visibleText(m))),
    );
  });

  it("gives the conversation back at once when the team channel cannot be posted to", async () => {
    const { f, r, model, delivery } = await setup({
      HANDOFF_SLACK_CHANNEL: "CGONE",
      HANDOFF_FALLBACK_TEXT: "Write to help@example.com.",
    });
    await delivery.event(dm(f, "Can a person help me?"));
    await eventually(() =>
      f.botMessages("D1").some((m) => f.visibleText(m) === "Write to help@example.com."),
    );
    await r.slack?.idle();
    // Not stuck with nobody: the assistant still answers.
    const asked = model.requests.length;
    await delivery.event(dm(f, "ok, what are your opening hours"));
    await eventually(() => model.requests.length > asked);
  });

  it("tells the customer how to reach support when no team channel is set", async () => {
    const { f, r, delivery } = await setup({
      HANDOFF_SLACK_CHANNEL: "",
      HANDOFF_FALLBACK_TEXT: "Write to help@example.com.",
    });
    await delivery.event(dm(f, "Can a person help me?"));
    await eventually(() =>
      f.botMessages("D1").some((m) => f.visibleText(m) === "Write to help@example.com."),
    );
    await r.slack?.idle();
    expect(f.botMessages(TEAM_CHANNEL)).toHaveLength(0);
  });
});
