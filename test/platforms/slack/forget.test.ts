/**
 * `/forget` in Slack, through Bolt against the fake Slack: the person is asked first (privately,
 * with a Delete button), then their DM and their turns in shared threads are deleted and they
 * see what was deleted. Admins can do it for someone else by id; others are refused.
 */
import { afterEach, describe, expect, it } from "vitest";
import type { ModelRequest } from "../../../src/core/ports.js";
import { FORGET_ACTION_ID, FORGET_CANCEL_ACTION_ID } from "../../../src/platforms/slack/forget-command.js";
import { buttonsOf } from "../../fakes/slack-api.js";
import {
  buttonClick,
  eventEnvelope,
  mentionEvents,
  messageEvent,
  slashCommand,
} from "../../fakes/slack-events.js";
import { reply, ScriptedModel } from "../../support/scripted-model.js";
import { eventually, type Harness, startHarness } from "./harness.js";

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const admins = { isAdmin: (who: { userId: string }) => who.userId === "U2" };
let ts = 1_700_000_000;
const nextTs = () => `${++ts}.000100`;

/** Every user message the model was sent in its last request. */
const askedLast = (model: ScriptedModel): string[] =>
  (model.requests.at(-1) as ModelRequest).messages.flatMap((m) => (m.role === "user" ? [m.content] : []));

async function seed(h: Harness) {
  const say = async (event: Record<string, unknown>) => {
    await h.delivery.event(eventEnvelope(event));
    await h.adapter.idle();
  };
  const together = nextTs();
  const alone = nextTs();
  await say(
    messageEvent({
      channel: "D1",
      channelType: "im",
      user: "U1",
      text: "ana's private question",
      ts: nextTs(),
    }),
  );
  await say(mentionEvents({ channel: "C1", user: "U2", text: "<@U0BOT> ben asks", ts: together }).appMention);
  await say(
    mentionEvents({ channel: "C1", user: "U1", text: "<@U0BOT> ana asks", ts: nextTs(), threadTs: together })
      .appMention,
  );
  await say(mentionEvents({ channel: "C1", user: "U1", text: "<@U0BOT> ana alone", ts: alone }).appMention);
  return { together, alone, say };
}

/** Run a slash command and press the confirmation's Delete button; returns what the clicker then sees. */
async function forgetAndConfirm(h: Harness, user: string, text: string): Promise<string> {
  const ack = await h.delivery.command(
    slashCommand({ fake: h.fake, channel: "C1", user, text, command: "/forget" }),
  );
  const body = JSON.parse(ack.body) as { response_type: string; blocks?: unknown[]; text: string };
  expect(body.response_type).toBe("ephemeral");
  const button = buttonsOf(body.blocks ?? []).find((b) => b.actionId === FORGET_ACTION_ID);
  if (!button) throw new Error(`no Delete button in: ${body.text}`);
  const click = buttonClick({
    fake: h.fake,
    channel: "C1",
    user,
    messageTs: "0",
    actionId: FORGET_ACTION_ID,
    value: button.value,
    ephemeral: true,
  });
  await h.delivery.action(click);
  const url = String(click.response_url);
  const id = url.slice(url.lastIndexOf("/") + 1);
  const post = await eventually(() => h.fake.responsePosts.find((p) => p.id === id));
  expect(post.body).toMatchObject({ response_type: "ephemeral", replace_original: true });
  return String(post.body.text);
}

describe("/forget in Slack", () => {
  it("asks first, then deletes the asker's DM and their turns in shared threads, leaving Ben's", async () => {
    const model = new ScriptedModel(() => reply("Sure."));
    h = await startHarness({ model, setup: (f) => f.addChannel({ id: "D1", name: "dm", type: "im" }) });
    const { together, say } = await seed(h);
    const before = model.requests.length;

    const ack = await h.delivery.command(
      slashCommand({ fake: h.fake, channel: "C1", user: "U1", text: "", command: "/forget" }),
    );
    expect(JSON.parse(ack.body).text).toMatch(/Delete everything the assistant keeps about you on Slack/);
    // Nothing is deleted by the command alone.
    await say(
      mentionEvents({
        channel: "C1",
        user: "U2",
        text: "<@U0BOT> still there?",
        ts: nextTs(),
        threadTs: together,
      }).appMention,
    );
    expect(askedLast(model)).toEqual(["ben asks", "ana asks", "still there?"]);

    expect(await forgetAndConfirm(h, "U1", "")).toBe("Deleted your data: 3 conversations.");

    await say(
      mentionEvents({
        channel: "C1",
        user: "U2",
        text: "<@U0BOT> and now?",
        ts: nextTs(),
        threadTs: together,
      }).appMention,
    );
    expect(askedLast(model)).toEqual(["ben asks", "still there?", "and now?"]);
    await say(
      messageEvent({ channel: "D1", channelType: "im", user: "U1", text: "hello again", ts: nextTs() }),
    );
    expect(askedLast(model)).toEqual(["hello again"]);
    expect(model.requests.length).toBe(before + 3);
  });

  it("lets an admin delete a person's data by id, and refuses everyone else", async () => {
    const model = new ScriptedModel(() => reply("Sure."));
    h = await startHarness({
      model,
      admins,
      setup: (f) => f.addChannel({ id: "D1", name: "dm", type: "im" }),
    });
    const { together, say } = await seed(h);

    const refused = await h.delivery.command(
      slashCommand({ fake: h.fake, channel: "C1", user: "U1", text: "user U2", command: "/forget" }),
    );
    expect(JSON.parse(refused.body)).toEqual({
      response_type: "ephemeral",
      text: expect.stringMatching(/^Only the assistant's admins can delete another person's data/),
    });

    expect(await forgetAndConfirm(h, "U2", "user <@U1|ana>")).toBe(
      "User U1: Deleted their data: 3 conversations.",
    );
    await say(
      mentionEvents({
        channel: "C1",
        user: "U2",
        text: "<@U0BOT> and now?",
        ts: nextTs(),
        threadTs: together,
      }).appMention,
    );
    expect(askedLast(model)).toEqual(["ben asks", "and now?"]);
  });

  it("refuses a forged admin button from someone who is not an admin", async () => {
    h = await startHarness({ model: new ScriptedModel(() => reply("Sure.")), admins });
    const click = buttonClick({
      fake: h.fake,
      channel: "C1",
      user: "U1",
      messageTs: "0",
      actionId: FORGET_ACTION_ID,
      value: JSON.stringify({ kind: "user", userId: "U2" }),
      ephemeral: true,
    });
    await h.delivery.action(click);
    const url = String(click.response_url);
    const post = await eventually(() => h?.fake.responsePosts.find((p) => url.endsWith(`/${p.id}`)));
    expect(String(post.body.text)).toMatch(/^Only the assistant's admins/);
  });

  it("removes the prompt and deletes nothing when the person presses Cancel", async () => {
    const model = new ScriptedModel(() => reply("Sure."));
    h = await startHarness({ model, setup: (f) => f.addChannel({ id: "D1", name: "dm", type: "im" }) });
    const { say } = await seed(h);
    const click = buttonClick({
      fake: h.fake,
      channel: "C1",
      user: "U1",
      messageTs: "0",
      actionId: FORGET_CANCEL_ACTION_ID,
      value: "",
      ephemeral: true,
    });
    await h.delivery.action(click);
    const url = String(click.response_url);
    const post = await eventually(() => h?.fake.responsePosts.find((p) => url.endsWith(`/${p.id}`)));
    expect(post.body).toEqual({ delete_original: true });
    await say(
      messageEvent({ channel: "D1", channelType: "im", user: "U1", text: "still here?", ts: nextTs() }),
    );
    expect(askedLast(model)).toEqual(["ana's private question", "still here?"]);
  });

  it("answers anything else with a short help", async () => {
    h = await startHarness({ model: new ScriptedModel(() => reply("Sure.")) });
    const ack = await h.delivery.command(
      slashCommand({ fake: h.fake, channel: "C1", user: "U1", text: "everything now", command: "/forget" }),
    );
    expect(JSON.parse(ack.body).text).toMatch(/^`\/forget` deletes what the assistant keeps about you/);
  });
});
