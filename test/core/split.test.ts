import { describe, expect, it } from "vitest";
import { isBlank, splitMarkdown } from "../../src/core/split.js";

const fenceBalanced = (part: string) => (part.match(/^```/gm) ?? []).length % 2 === 0;

describe("splitMarkdown", () => {
  it("keeps a short answer in one message", () => {
    expect(splitMarkdown("Hello **there**.", 100)).toEqual(["Hello **there**."]);
  });

  it("gives no message for a text of white space alone, short or long", () => {
    for (const text of ["", " ", "\n\n", "\u00a0\t", " ".repeat(250)])
      expect(splitMarkdown(text, 100), JSON.stringify(text)).toEqual([]);
    expect(splitMarkdown(" \nHi", 100)).toEqual([" \nHi"]);
  });

  it("splits long answers at paragraph boundaries and loses no text", () => {
    const paragraphs = Array.from({ length: 30 }, (_, i) => `Paragraph ${i} ${"word ".repeat(20).trim()}.`);
    const text = paragraphs.join("\n\n");
    const parts = splitMarkdown(text, 500);
    expect(parts.length).toBeGreaterThan(1);
    for (const part of parts) {
      expect(part.length).toBeLessThanOrEqual(500);
      expect(part.startsWith("Paragraph")).toBe(true);
    }
    expect(parts.join("\n\n")).toBe(text);
  });

  it("closes and reopens a code fence that crosses a message boundary", () => {
    const code = Array.from({ length: 120 }, (_, i) => `console.log(${i});`).join("\n");
    const text = `Here is the script:\n\n\`\`\`ts\n${code}\n\`\`\`\n\nThat's all.`;
    const parts = splitMarkdown(text, 600);
    expect(parts.length).toBeGreaterThan(2);
    for (const part of parts) {
      expect(part.length).toBeLessThanOrEqual(600);
      expect(fenceBalanced(part)).toBe(true);
    }
    expect(parts[1]!.startsWith("```ts\n")).toBe(true);
    // Every line of code arrives exactly once.
    const lines = parts
      .join("\n")
      .split("\n")
      .filter((l) => l.startsWith("console.log"));
    expect(lines).toHaveLength(120);
    expect(parts.at(-1)!.endsWith("That's all.")).toBe(true);
  });

  it("hard-cuts a single endless word without exceeding the limit", () => {
    const parts = splitMarkdown("x".repeat(1000), 300);
    expect(parts.every((p) => p.length <= 300)).toBe(true);
    expect(parts.join("")).toBe("x".repeat(1000));
  });

  it("never splits an emoji's surrogate pair", () => {
    const text = "😀".repeat(200);
    const parts = splitMarkdown(text, 101);
    expect(parts.join("")).toBe(text);
    for (const p of parts) expect(p).not.toMatch(/[\ud800-\udbff]$/);
  });

  it("keeps earlier parts unchanged as the text grows (so they can be finalized early)", () => {
    const full = Array.from({ length: 40 }, (_, i) => `Line ${i} of the streamed answer.`).join("\n");
    const early = splitMarkdown(full.slice(0, 700), 400);
    const late = splitMarkdown(full, 400);
    expect(late[0]).toBe(early[0]);
  });
});

describe("isBlank (whether an answer has anything to show)", () => {
  it("agrees with trim on leading spaces, controls, Unicode spaces and visible text", () => {
    // An answer that starts with the model's first token often starts with a space; what
    // follows decides. Unicode spaces (no-break, ideographic, line separator) are blank too.
    const alphabet = [
      " ",
      "\n",
      "\t",
      "\r",
      "\u0001",
      "\u007f",
      "\u00a0",
      "\u2028",
      "\u3000",
      "\ufeff",
      "a",
      ".",
      "é",
      "猫",
    ];
    let seed = 11;
    const texts = [
      "",
      " ",
      " \n\t",
      "\u00a0",
      " \u00a0 ",
      " a",
      "\u0001",
      "\u007f",
      " \u2028",
      "  é",
      "\u3000x",
    ];
    for (let i = 0; i < 2_000; i++) {
      let text = "";
      const length = i % 7;
      for (let j = 0; j < length; j++) {
        seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
        text += alphabet[seed % alphabet.length];
      }
      texts.push(text);
    }
    for (const text of texts) expect(isBlank(text), JSON.stringify(text)).toBe(text.trim() === "");
    expect(isBlank(" The answer")).toBe(false);
    expect(isBlank(" \n \u00a0")).toBe(true);
  });
});
