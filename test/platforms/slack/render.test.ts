import { describe, expect, it } from "vitest";
import { PlatformError } from "../../../src/core/errors.js";
import { silentLogger } from "../../../src/log.js";
import { Metrics } from "../../../src/metrics.js";
import { SlackApi } from "../../../src/platforms/slack/api.js";
import {
  FallbackText,
  MARKDOWN_BLOCK_MAX_CHARS,
  renderMessage,
  renderText,
  splitForMessages,
} from "../../../src/platforms/slack/render.js";
import { FAKE_BOT_TOKEN, FakeSlack } from "../../fakes/slack-api.js";

const ANSWER = [
  "## Your order",
  "",
  "Order **A-1001** shipped ~~Monday~~ *Tuesday*. See [tracking](https://x.io/t?a=1&b=2).",
  "",
  "| Item | Qty |",
  "|---|---:|",
  "| Lamp | 2 |",
  "",
  "```ts",
  "const ok = a < b && c > d;",
  "```",
].join("\n");

describe("Slack message payloads", () => {
  it("send an answer's markdown as written, in one markdown block Slack renders itself", () => {
    const payload = renderMessage(ANSWER);
    expect(payload.blocks).toEqual([{ type: "markdown", text: ANSWER }]);
  });

  it("write the notification text in Slack's mrkdwn, short and cut at a word", () => {
    const { text } = renderMessage(ANSWER);
    expect(text).toContain("*A-1001*");
    expect(text).toContain("|tracking>");
    expect(text).not.toContain("**");
    const long = renderMessage(`**Start** ${"word ".repeat(500)}`).text;
    expect(long.length).toBeLessThanOrEqual(301);
    expect(long.endsWith("word…")).toBe(true);
  });

  it("keep a message's notification text in step with its growing start", () => {
    const fallback = new FallbackText();
    expect(renderMessage("Order **A-1", [], fallback).text).toBe("Order **A-1");
    expect(renderMessage("Order **A-1001** shipped", [], fallback).text).toContain("*A-1001*");
    const long = `Order **A-1001** ${"and more ".repeat(100)}`;
    const first = renderMessage(long, [], fallback).text;
    expect(renderMessage(`${long} the end`, [], fallback).text).toBe(first);
  });

  it("write notices in mrkdwn", () => {
    const notice = renderText("**Sorry**, see [the status page](https://status.example.com) & retry.");
    expect(notice).toContain("*Sorry*");
    expect(notice).toContain("<https://status.example.com|the status page>");
    expect(notice).toContain("&amp; retry");
  });

  it("add a Stop button only when asked and never send an empty block", () => {
    const streaming = renderMessage("x", [{ actionId: "stop_answer", label: "Stop", value: "v" }]);
    expect(streaming.blocks.at(-1)).toMatchObject({ type: "actions" });
    expect(renderMessage("done").blocks.some((b) => b.type === "actions")).toBe(false);
    expect(renderMessage("  ").blocks).toEqual([{ type: "markdown", text: "…" }]);
  });

  it("split text longer than one message between paragraphs, closing and reopening code fences", () => {
    const code = `\`\`\`\n${Array.from({ length: 900 }, (_, i) => `line ${i} ${"x".repeat(20)}`).join("\n")}\n\`\`\``;
    const parts = splitForMessages(`Intro\n\n${code}\n\nOutro`);
    expect(parts.length).toBeGreaterThan(1);
    for (const p of parts) {
      expect(p.length).toBeLessThanOrEqual(MARKDOWN_BLOCK_MAX_CHARS);
      expect((p.match(/```/g) ?? []).length % 2).toBe(0);
    }
    expect(parts.at(-1)).toContain("Outro");
  });
});

describe("the fake Slack checks markdown blocks like Slack", () => {
  it("refuses one over 12,000 characters, and more than 12,000 in one message's markdown blocks", async () => {
    const fake = await new FakeSlack({ rates: { "chat.postMessage": undefined } }).start();
    try {
      fake.addChannel({ id: "C1", name: "general" });
      const api = new SlackApi({
        token: FAKE_BOT_TOKEN,
        apiUrl: fake.apiUrl,
        metrics: new Metrics(),
        log: silentLogger(),
      });
      const post = (blocks: unknown[]) =>
        api.call("chat.postMessage", { channel: "C1", text: "fallback", blocks }).then(
          () => "ok",
          (err: unknown) => (err instanceof PlatformError ? err.code : "other"),
        );
      expect(await post([{ type: "markdown", text: "a".repeat(12_000) }])).toBe("ok");
      expect(await post([{ type: "markdown", text: "a".repeat(12_001) }])).toBe("invalid_blocks");
      expect(await post([{ type: "markdown", text: "" }])).toBe("invalid_blocks");
      const halves = [
        { type: "markdown", text: "a".repeat(7000) },
        { type: "markdown", text: "b".repeat(7000) },
      ];
      expect(await post(halves)).toBe("msg_blocks_too_long");
    } finally {
      await fake.close();
    }
  });
});
