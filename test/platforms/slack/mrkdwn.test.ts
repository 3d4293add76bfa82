import { describe, expect, it } from "vitest";
import { markdownToMrkdwn } from "../../../src/platforms/slack/mrkdwn.js";
import { renderMessage, SECTION_MAX_CHARS, splitSections } from "../../../src/platforms/slack/render.js";

describe("markdown to Slack mrkdwn", () => {
  it("turns bold, italic and strikethrough into Slack's markers", () => {
    expect(markdownToMrkdwn("**bold**, *italic*, _also italic_, ~~gone~~ and __strong__")).toBe(
      "*bold*, _italic_, _also italic_, ~gone~ and *strong*",
    );
    expect(markdownToMrkdwn("***both***")).toBe("*_both_*");
  });

  it("shows headings as bold lines and lists with bullets", () => {
    expect(markdownToMrkdwn("# Order status\n\n- shipped\n- in transit\n  - nested\n1. first")).toBe(
      "*Order status*\n\n• shipped\n• in transit\n    ◦ nested\n1. first",
    );
    expect(markdownToMrkdwn("## **Already bold**")).toBe("*Already bold*");
  });

  it("writes links the Slack way and keeps Slack mentions intact", () => {
    expect(markdownToMrkdwn("See [the docs](https://example.com/a?b=1&c=2) or <https://x.io>, <@U123>")).toBe(
      "See <https://example.com/a?b=1&amp;c=2|the docs> or <https://x.io>, <@U123>",
    );
  });

  it("escapes Slack's control characters outside and inside code", () => {
    expect(markdownToMrkdwn("a < b & c > d and `x<y>&z`")).toBe(
      "a &lt; b &amp; c &gt; d and `x&lt;y&gt;&amp;z`",
    );
  });

  it("drops the language tag of code fences and leaves their content alone", () => {
    expect(markdownToMrkdwn("```ts\nconst **x** = a < b;\n```")).toBe("```\nconst **x** = a &lt; b;\n```");
  });

  it("closes a code fence that is still streaming", () => {
    expect(markdownToMrkdwn("Here:\n```python\nprint('hi')")).toBe("Here:\n```\nprint('hi')\n```");
  });

  it("shows tables as aligned monospace text", () => {
    const table = "| Item | Qty |\n|---|---:|\n| **Lamp** | 2 |\n| Desk | 10 |";
    expect(markdownToMrkdwn(table)).toBe("```\nItem  Qty\nLamp  2\nDesk  10\n```");
  });

  it("keeps quotes as quotes and horizontal rules as a line", () => {
    expect(markdownToMrkdwn("> **note** this\n\n---")).toBe("> *note* this\n\n──────────");
  });

  it("leaves unfinished emphasis of a half-streamed answer as typed", () => {
    expect(markdownToMrkdwn("This is **impor")).toBe("This is **impor");
  });
});

describe("message payloads", () => {
  it("spreads long text over section blocks no longer than Slack allows", () => {
    const para = `${"word ".repeat(150).trim()}\n`;
    const payload = renderMessage(para.repeat(12));
    const sections = payload.blocks.filter((b) => b.type === "section") as { text: { text: string } }[];
    expect(sections.length).toBeGreaterThan(1);
    for (const s of sections) expect(s.text.text.length).toBeLessThanOrEqual(SECTION_MAX_CHARS);
    expect(
      sections
        .map((s) => s.text.text)
        .join("\n")
        .replace(/\n+/g, "\n"),
    ).toBe(para.repeat(12).trim().replace(/\n+/g, "\n"));
  });

  it("closes and reopens a code block cut between two sections", () => {
    const code = `\`\`\`\n${Array.from({ length: 200 }, (_, i) => `line ${i} ${"x".repeat(20)}`).join("\n")}\n\`\`\``;
    const pieces = splitSections(code, 1000);
    expect(pieces.length).toBeGreaterThan(1);
    for (const p of pieces) {
      expect(p.length).toBeLessThanOrEqual(1000);
      expect(p.startsWith("```")).toBe(true);
      expect(p.endsWith("```")).toBe(true);
    }
  });

  it("adds a Stop button only when asked and keeps a short fallback text", () => {
    const streaming = renderMessage("x ".repeat(1000), [
      { actionId: "stop_answer", label: "Stop", value: "v" },
    ]);
    expect(streaming.blocks.at(-1)).toMatchObject({ type: "actions" });
    expect(streaming.text.length).toBeLessThan(400);
    expect(renderMessage("done").blocks.some((b) => b.type === "actions")).toBe(false);
  });
});
