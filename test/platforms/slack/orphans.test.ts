import { afterEach, describe, expect, it } from "vitest";
import { ORPHAN_NOTICE } from "../../../src/core/orphans.js";
import { renderMessage, STOP_ACTION_ID } from "../../../src/platforms/slack/render.js";
import { FAKE_BOT_ID, FAKE_BOT_USER_ID, FAKE_TEAM_ID } from "../../fakes/slack-api.js";
import { reply, ScriptedModel } from "../../support/scripted-model.js";
import { type Harness, startHarness } from "./harness.js";

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

function marker(turnTs: string, threadTs: string): string {
  return JSON.stringify({
    turnId: `slack:${turnTs}`,
    platform: "slack",
    workspaceId: FAKE_TEAM_ID,
    channelId: "C1",
    threadId: threadTs,
    messageId: turnTs,
    startedAt: Date.now() - 60_000,
  });
}

/** A Slack ts `secondsAgo` in the past: the dead turn's messages were posted a while ago. */
const tsAgo = (secondsAgo: number) => `${Math.floor(Date.now() / 1000) - secondsAgo}.000100`;

const halfAnswer = (turnTs: string, text: string) =>
  renderMessage(text, [
    { actionId: STOP_ACTION_ID, label: "Stop", value: JSON.stringify({ t: `slack:${turnTs}`, u: "U1" }) },
  ]);

describe("answers whose process died mid-stream", () => {
  it("loses its Stop button and ends with a notice, keeping the text the user saw", async () => {
    h = await startHarness({ model: new ScriptedModel(() => reply("unused")) });
    const root = h.fake.seed({
      channel: "C1",
      user: "U1",
      text: `<@${FAKE_BOT_USER_ID}> question`,
      ts: tsAgo(60),
    });
    const dead = h.fake.seed({
      ts: tsAgo(50),
      channel: "C1",
      threadTs: root.ts,
      user: FAKE_BOT_USER_ID,
      botId: FAKE_BOT_ID,
      ...halfAnswer(root.ts, "Half an **answer**"),
    });
    const laterTurn = tsAgo(45);
    const other = h.fake.seed({
      ts: tsAgo(40),
      channel: "C1",
      threadTs: root.ts,
      user: FAKE_BOT_USER_ID,
      botId: FAKE_BOT_ID,
      ...halfAnswer(laterTurn, "Another turn"),
    });

    await h.conversation.orphans.finalize(marker(root.ts, root.ts));

    expect(h.fake.buttons(dead)).toEqual([]);
    expect(h.fake.visibleText(dead)).toBe(
      `Half an **answer**${renderMessage(ORPHAN_NOTICE)
        .blocks.map((b) => b.text as string)
        .join("")}`,
    );
    expect(h.fake.buttons(other)).toHaveLength(1);
  });

  it("closes a native stream that is still open, with the notice", async () => {
    h = await startHarness({ model: new ScriptedModel(() => reply("unused")) });
    const root = h.fake.seed({
      channel: "C1",
      user: "U1",
      text: `<@${FAKE_BOT_USER_ID}> question`,
      ts: tsAgo(60),
    });
    const stream = h.fake.seed({
      ts: tsAgo(50),
      channel: "C1",
      threadTs: root.ts,
      user: FAKE_BOT_USER_ID,
      botId: FAKE_BOT_ID,
      text: "",
      stream: { state: "open", startedAt: Date.now(), markdown: "Half a stream", stoppedByUser: false },
    });
    await h.conversation.orphans.finalize(marker(root.ts, root.ts));
    expect(stream.stream?.state).toBe("stopped");
    expect(h.fake.visibleText(stream)).toBe(`Half a stream\n\n${ORPHAN_NOTICE}`);
  });
});
