import { describe, expect, it } from "vitest";
import type { ToolSpec } from "../../src/core/ports.js";
import type { ModelMessage } from "../../src/core/types.js";
import { toOpenAiMessages, toOpenAiTools } from "../../src/llm/openai-messages.js";
import { requestBodyJson } from "../../src/llm/request-body.js";
import { DEMO_TOOL_SPECS } from "../fakes/llm.js";

const model = "gpt-4o-mini";
const conversation = (): ModelMessage[] => [
  { role: "system", content: 'You are "Bot".\nBe brief.' },
  { role: "user", content: "Where is my order? \u2603 <|endoftext|>", name: "Ana" },
  {
    role: "assistant",
    content: null,
    toolCalls: [{ id: "call_1", name: "get_order_status", arguments: '{"orderNumber":"1042"}' }],
  },
  { role: "tool", toolCallId: "call_1", name: "get_order_status", content: '{"status":"shipped"}' },
  { role: "assistant", content: "It shipped yesterday." },
];
/** What JSON.stringify of the whole body says: the reference the reused parts must match. */
const whole = (messages: ModelMessage[], extra: object = {}) =>
  JSON.stringify({
    model,
    messages: toOpenAiMessages(messages),
    stream: true,
    stream_options: { include_usage: true },
    ...extra,
  });
const deepFreeze = (messages: ModelMessage[]) => {
  for (const m of messages) {
    if (m.role === "assistant" && m.toolCalls) {
      for (const c of m.toolCalls) Object.freeze(c);
      Object.freeze(m.toolCalls);
    }
    Object.freeze(m);
  }
  return messages;
};

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
    const expected = whole(conversation(), { tools: toOpenAiTools(tools), max_tokens: 300 });
    expect(requestBodyJson(model, conversation(), tools, { param: "max_tokens", value: 300 })).toBe(expected);
    // A second request reuses the tools' JSON and still says exactly the same.
    expect(requestBodyJson(model, conversation(), tools, { param: "max_tokens", value: 300 })).toBe(expected);
  });

  it("reuses a frozen message's JSON and says exactly what the whole body's JSON says", () => {
    const history = deepFreeze(conversation());
    const expected = whole(history);
    expect(requestBodyJson(model, history, [], undefined)).toBe(expected);
    // The same frozen objects in the next request: the same bytes, and the new question after them.
    const next: ModelMessage[] = [...history, { role: "user", content: "And the other one?" }];
    expect(requestBodyJson(model, next, [], undefined)).toBe(whole(next));
  });

  it("serializes a message that is not frozen again in every request (it may have changed)", () => {
    const messages = conversation();
    expect(requestBodyJson(model, messages, [], undefined)).toBe(whole(messages));
    const question = messages[1] as { content: string };
    question.content = "Where is order 1043?";
    const json = requestBodyJson(model, messages, [], undefined);
    expect(json).toContain("Where is order 1043?");
    expect(json).toBe(whole(messages));
  });

  it("leaves out the tools and the limit when there are none", () => {
    const json = requestBodyJson(model, conversation(), [], undefined);
    expect(json).toBe(whole(conversation()));
    expect(JSON.parse(json)).not.toHaveProperty("tools");
  });

  it("sends only the tools offered in this request, in their order", () => {
    const [first, second] = DEMO_TOOL_SPECS;
    const json = requestBodyJson(model, conversation(), [second!, first!], {
      param: "max_completion_tokens",
      value: 50,
    });
    const parsed = JSON.parse(json) as {
      tools: { function: { name: string } }[];
      max_completion_tokens: number;
    };
    expect(parsed.tools.map((t) => t.function.name)).toEqual([second!.name, first!.name]);
    expect(parsed.max_completion_tokens).toBe(50);
  });
});
