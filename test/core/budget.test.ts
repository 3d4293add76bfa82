import { describe, expect, it } from "vitest";
import { fitContext } from "../../src/core/budget.js";
import type { StoredTurn } from "../../src/core/types.js";
import { createTokenCounter } from "../../src/llm/tokens.js";

const counter = createTokenCounter("gpt-4o-mini");

function turn(i: number, withTool = false): StoredTurn {
  const filler = "lorem ipsum dolor sit amet ".repeat(20);
  return {
    at: i,
    entries: withTool
      ? [
          { role: "user", content: `question ${i} ${filler}` },
          {
            role: "assistant",
            content: null,
            toolCalls: [{ id: `call${i}`, name: "get_weather", arguments: '{"location":"Oslo"}' }],
          },
          {
            role: "tool",
            toolCallId: `call${i}`,
            name: "get_weather",
            content: `{"temp":${i},"note":"${filler}"}`,
          },
          { role: "assistant", content: `answer ${i}` },
        ]
      : [
          { role: "user", content: `question ${i} ${filler}` },
          { role: "assistant", content: `answer ${i} ${filler}` },
        ],
  };
}

describe("fitContext", () => {
  it("keeps the system prompt and newest message and drops the oldest turns first", () => {
    const history = Array.from({ length: 20 }, (_, i) => turn(i));
    const fitted = fitContext({
      system: "You are a bot.",
      history,
      current: [{ role: "user", content: "newest" }],
      counter,
      budgetTokens: 1500,
    });
    expect(fitted.tokens).toBeLessThanOrEqual(1500);
    expect(fitted.droppedTurns).toBeGreaterThan(0);
    expect(fitted.messages[0]).toEqual({ role: "system", content: "You are a bot." });
    expect(fitted.messages.at(-1)).toEqual({ role: "user", content: "newest" });
    // What is kept is the most recent run of turns.
    const kept = fitted.messages
      .filter((m) => m.role === "assistant")
      .map((m) => (m as { content: string }).content.split(" ")[1]);
    expect(kept.at(-1)).toBe("19");
    expect(kept.map(Number)).toEqual([...kept.map(Number)].sort((a, b) => a - b));
  });

  it("never separates a tool call from its results", () => {
    const history = Array.from({ length: 10 }, (_, i) => turn(i, true));
    for (const budget of [300, 700, 1100, 1900, 2600]) {
      const { messages } = fitContext({
        system: "s",
        history,
        current: [{ role: "user", content: "q" }],
        counter,
        budgetTokens: budget,
      });
      for (const [i, m] of messages.entries()) {
        if (m.role === "tool")
          expect(messages[i - 1]?.role === "assistant" || messages[i - 1]?.role === "tool").toBe(true);
        if (m.role === "assistant" && m.toolCalls) expect(messages[i + 1]?.role).toBe("tool");
      }
      expect(messages[1]?.role === "user" || messages.length === 2).toBe(true);
    }
  });

  it("sends the newest message even when it alone is over the budget", () => {
    const fitted = fitContext({
      system: "s",
      history: [turn(1)],
      current: [{ role: "user", content: "word ".repeat(500) }],
      counter,
      budgetTokens: 100,
    });
    expect(fitted.messages).toHaveLength(2);
    expect(fitted.droppedTurns).toBe(1);
  });
});
