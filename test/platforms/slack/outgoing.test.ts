import { describe, expect, it } from "vitest";
import {
  defuseMentions,
  outgoing,
  settledLength,
  trustedMention,
} from "../../../src/platforms/slack/outgoing.js";
import { HOSTILE, livePings } from "../../fakes/slack-pings.js";

/** Text that must reach Slack exactly as written. */
const BENIGN = [
  "a < b and c > d",
  "<https://example.com|the docs> and <#C123>",
  "[docs](https://example.com/a?b=1&c=2)",
  "write to me@example.com or @ana",
  "&amp; co &lt;b&gt;",
  "<!DOCTYPE html>",
  "```html\n<b>bold</b>\n```",
  "Tom & Jerry: 100% [sure](https://x.io)!",
];

describe("pings in text sent to Slack", () => {
  it.each(HOSTILE)("never leave as a live ping: %j", (text) => {
    expect(livePings(text)).not.toEqual([]); // the judge sees the ping in the original
    const sent = outgoing({ text: `Please read: ${text} thanks` }).text;
    expect(livePings(sent)).toEqual([]);
    expect(defuseMentions(sent)).toBe(sent); // defusing twice changes nothing
  });

  it.each(BENIGN)("leaves ordinary text alone: %j", (text) => {
    expect(outgoing({ text }).text).toBe(text);
  });

  it("keeps defused text readable", () => {
    expect(defuseMentions("Attention <!channel> and [everyone](!channel)")).toBe(
      "Attention \u2039!channel> and [everyone] (!channel)",
    );
  });

  it("defuses every string of a payload at any depth: blocks, markdown, stream chunks", () => {
    const payload = outgoing({
      channel: "C1",
      text: "<!here>",
      markdown_text: "[all](!channel)",
      blocks: [
        { type: "markdown", text: "<@U1>" },
        { type: "section", text: { type: "mrkdwn", text: "<!everyone>" } },
        { type: "context", elements: [{ type: "mrkdwn", text: "&lt;!here&gt;" }] },
      ],
      chunks: [{ type: "markdown_text", text: "<!subteam^S1>" }],
      parse: "full",
      link_names: true,
    });
    expect(livePings(JSON.stringify(payload))).toEqual([]);
    expect(payload.channel).toBe("C1");
    expect(payload).not.toHaveProperty("parse");
    expect(payload).not.toHaveProperty("link_names");
  });

  it("keeps the bot's own mentions and refuses forged ones", () => {
    expect(outgoing({ text: `_Shared by ${trustedMention("U1")}:_` }).text).toBe("_Shared by <@U1>:_");
    const forged = "\uE010deadbeefdeadbeefU1\uE011 and \uE010U2\uE011";
    expect(livePings(outgoing({ text: forged }).text)).toEqual([]);
  });

  it("never lets a stray trusted-mention bracket in model text close up into a ping", () => {
    // The brackets are private-use characters the model can write; dropping them must not join
    // `<` and `@U1>` into a mention.
    const text = "Hi <\uE010@U123> and <\uE011!here> and [x](\uE010!channel)";
    const sent = outgoing({ text }).text;
    expect(livePings(sent)).toEqual([]);
    expect(sent).not.toMatch(/[\uE010\uE011]/);
    const mixed = outgoing({ text: `${trustedMention("U1")} <\uE010!everyone>` }).text;
    expect(mixed.startsWith("<@U1> ")).toBe(true);
    expect(livePings(mixed.slice("<@U1>".length))).toEqual([]);
  });

  it("lets a stream show only what later text cannot turn into a ping", () => {
    for (const hostile of HOSTILE) {
      const full = `Hello there. ${hostile} and that is all for today, friends.`;
      const final = defuseMentions(full);
      let streamed = "";
      for (let i = 1; i <= full.length; i++) {
        const now = defuseMentions(full.slice(0, i));
        const ready = now.slice(0, settledLength(now));
        // What a stream already showed is never taken back, and always the start of the final text.
        expect(ready.startsWith(streamed)).toBe(true);
        expect(final.startsWith(ready)).toBe(true);
        streamed = ready;
      }
      expect(livePings(final)).toEqual([]);
    }
  });
});
