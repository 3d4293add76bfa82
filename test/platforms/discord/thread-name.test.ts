import { describe, expect, it } from "vitest";
import { threadName } from "../../../src/platforms/discord/receive.js";

describe("Discord thread names", () => {
  it("names the thread after the question's first line", () => {
    expect(threadName("\nHow do I reset my router?\nIt blinks red.", "alice")).toBe(
      "How do I reset my router?",
    );
  });

  it("cuts a long question at a word within Discord's 100 characters", () => {
    const question = `${"router ".repeat(30)}blinks`;
    const name = threadName(question, "alice");
    expect(name.length).toBeLessThanOrEqual(100);
    expect(name).toMatch(/router…$/);
  });

  it("falls back to the asker's name when the mention had no text", () => {
    expect(threadName("   ", "alice")).toBe("Question from alice");
  });
});
