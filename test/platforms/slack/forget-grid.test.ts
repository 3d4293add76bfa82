/**
 * `/forget` on Enterprise Grid: a person's turns are kept under their org (the event's
 * `enterprise_id`), and the Delete button's payload names the org only in `team.enterprise_id`
 * (no `enterprise` object for a workspace-level install): the click must still find them.
 */
import { afterEach, describe, expect, it } from "vitest";
import type { ModelRequest } from "../../../src/core/ports.js";
import { FORGET_ACTION_ID } from "../../../src/platforms/slack/forget-command.js";
import { buttonsOf } from "../../fakes/slack-api.js";
import { buttonClick, eventEnvelope, messageEvent, slashCommand } from "../../fakes/slack-events.js";
import { reply, ScriptedModel } from "../../support/scripted-model.js";
import { eventually, type Harness, startHarness } from "./harness.js";

const ORG = "E0GRID";

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe("/forget on Enterprise Grid", () => {
  it("deletes the person's DM kept under their org", async () => {
    const model = new ScriptedModel(() => reply("Sure."));
    h = await startHarness({ model, setup: (f) => f.addChannel({ id: "D1", name: "dm", type: "im" }) });
    const hh = h;
    const dm = async (text: string) => {
      const ev = messageEvent({ channel: "D1", channelType: "im", user: "U1", text, ts: hh.fake.nextTs() });
      await hh.delivery.event({ ...eventEnvelope(ev), enterprise_id: ORG });
      await hh.adapter.idle();
    };
    await dm("my private question");

    const ack = await hh.delivery.command({
      ...slashCommand({ fake: hh.fake, channel: "D1", user: "U1", text: "", command: "/forget" }),
      enterprise_id: ORG,
    });
    const body = JSON.parse(ack.body) as { blocks?: unknown[] };
    const button = buttonsOf(body.blocks ?? []).find((b) => b.actionId === FORGET_ACTION_ID);
    if (!button) throw new Error("no Delete button");
    const click = buttonClick({
      fake: hh.fake,
      channel: "D1",
      user: "U1",
      messageTs: "0",
      actionId: FORGET_ACTION_ID,
      value: button.value,
      ephemeral: true,
    });
    const team = click.team as Record<string, unknown>;
    await hh.delivery.action({ ...click, team: { ...team, enterprise_id: ORG, enterprise_name: "Grid" } });
    const url = String(click.response_url);
    const post = await eventually(() => hh.fake.responsePosts.find((p) => url.endsWith(`/${p.id}`)));
    expect(post.body.text).toBe("Deleted your data: 1 conversation.");

    await dm("hello again");
    const asked = (model.requests.at(-1) as ModelRequest).messages.filter((m) => m.role === "user");
    expect(asked.map((m) => m.content)).toEqual(["hello again"]);
  });
});
