import type { ChatCompletionCreateParamsStreaming } from "openai/resources/chat/completions";
import { describe, expect, it } from "vitest";
import type { ToolSpec } from "../../src/core/ports.js";
import { toOpenAiTools } from "../../src/llm/openai-messages.js";
import { requestBodyJson } from "../../src/llm/request-body.js";
import { DEMO_TOOL_SPECS } from "../fakes/llm.js";

const body = (): ChatCompletionCreateParamsStreaming => ({
  model: "gpt-4o-mini",
  messages: [
    { role: "system", content: 'You are "Bot".\nBe brief.' },
    { role: "user", content: "Where is my order? \u2603 <|endoftext|>", name: "Ana" },
  ],
  stream: true,
  stream_options: { include_usage: true },
});

const strictTool: ToolSpec = {
  name: "lookup_order",
  description: "Find an order by number and email.",
  parameters: {
    type: "object",
    properties: { orderNumber: { type: "string" }, email: { type: "string" } },
    required: ["orderNumber", "email"],
    additionalProperties: false,
  },
  strict: true,
};

describe("the model request body", () => {
  it("is byte for byte the JSON of the whole body, tools and length limit included", () => {
    const tools = [...DEMO_TOOL_SPECS, strictTool];
    const expected = JSON.stringify({ ...body(), tools: toOpenAiTools(tools), max_tokens: 300 });
    expect(requestBodyJson(body(), tools, { param: "max_tokens", value: 300 })).toBe(expected);
    // A second request reuses the tools' JSON and still says exactly the same.
    expect(requestBodyJson(body(), tools, { param: "max_tokens", value: 300 })).toBe(expected);
  });

  it("leaves out the tools and the limit when there are none", () => {
    const json = requestBodyJson(body(), [], undefined);
    expect(json).toBe(JSON.stringify(body()));
    expect(JSON.parse(json)).not.toHaveProperty("tools");
  });

  it("sends only the tools offered in this request, in their order", () => {
    const [first, second] = DEMO_TOOL_SPECS;
    const json = requestBodyJson(body(), [second!, first!], { param: "max_completion_tokens", value: 50 });
    const parsed = JSON.parse(json) as {
      tools: { function: { name: string } }[];
      max_completion_tokens: number;
    };
    expect(parsed.tools.map((t) => t.function.name)).toEqual([second!.name, first!.name]);
    expect(parsed.max_completion_tokens).toBe(50);
  });
});
