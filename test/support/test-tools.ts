import type { ToolContext, ToolResult, ToolRunner, ToolSpec } from "../../src/core/ports.js";
import type { ToolCall } from "../../src/core/types.js";

/**
 * A minimal ToolRunner for core tests: `lookup_fact {topic}` answers from a fixed table and
 * records who asked. (The real registry with validation and timeouts lives in src/tools.)
 */
export class FactTools implements ToolRunner {
  readonly calls: { call: ToolCall; ctx: ToolContext }[] = [];
  constructor(private readonly facts: Record<string, string> = { capital: "Paris", river: "Seine" }) {}

  specs(): ToolSpec[] {
    return [
      {
        name: "lookup_fact",
        description: "Look up a fact by topic.",
        parameters: {
          type: "object",
          properties: { topic: { type: "string" } },
          required: ["topic"],
          additionalProperties: false,
        },
        strict: true,
      },
    ];
  }

  statusText(name: string): string | undefined {
    return name === "lookup_fact" ? "looking it up..." : undefined;
  }

  async run(call: ToolCall, ctx: ToolContext): Promise<ToolResult> {
    this.calls.push({ call, ctx });
    if (call.name !== "lookup_fact")
      return { ok: false, content: JSON.stringify({ error: `unknown tool ${call.name}` }) };
    const topic = (JSON.parse(call.arguments) as { topic: string }).topic;
    const fact = this.facts[topic];
    return fact
      ? { ok: true, content: JSON.stringify({ topic, fact }) }
      : { ok: false, content: JSON.stringify({ error: `no fact about ${topic}` }) };
  }
}
