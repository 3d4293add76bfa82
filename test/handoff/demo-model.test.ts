import { describe, expect, it } from "vitest";
import { answerFromToolResults } from "../../src/llm/demo/answers.js";
import { detectIntents } from "../../src/llm/demo/intents.js";

describe("the offline demo model and hand-offs", () => {
  const offered = new Set(["handoff_to_human", "search_help_center"]);

  it("hands the conversation to a person when the customer asks for one", () => {
    for (const text of ["Can I talk to a person?", "I want a human", "Let me speak with a real agent"]) {
      expect(detectIntents(text, offered).calls.map((c) => c.name)).toEqual(["handoff_to_human"]);
    }
    expect(detectIntents("What is your return policy?", offered).calls.map((c) => c.name)).toEqual([
      "search_help_center",
    ]);
  });

  it("searches the help center instead when hand-offs are not offered", () => {
    const calls = detectIntents("Can I talk to a person?", new Set(["search_help_center"])).calls;
    expect(calls.map((c) => c.name)).toEqual(["search_help_center"]);
  });

  it("closes with one sentence after handing off", () => {
    const text = answerFromToolResults([
      { name: "handoff_to_human", content: JSON.stringify({ handedOff: true }) },
    ]);
    expect(text).toBe("I've passed this on to a person from our support team.");
  });
});
