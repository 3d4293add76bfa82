import { describe, expect, it } from "vitest";
import { z } from "zod";
import { Metrics } from "../../src/metrics.js";
import { ToolRegistry } from "../../src/tools/registry.js";
import { defineTool, ToolFailure } from "../../src/tools/tool.js";
import { call, capturedLogger, content, makeRegistry, metricValue, toolContext } from "./support.js";

function testRegistry(timeoutMs = 200) {
  const log = capturedLogger("debug");
  const metrics = new Metrics();
  const registry = new ToolRegistry({ log: log.log, metrics, defaultTimeoutMs: timeoutMs });
  const seen: { userKey: string; args: unknown }[] = [];
  registry
    .register(
      defineTool({
        name: "echo",
        description: "Echo the text back.",
        statusText: "echoing...",
        schema: z.strictObject({ text: z.string().min(1), times: z.number().int().min(1).max(3).nullish() }),
        async run(args, ctx) {
          seen.push({ userKey: ctx.userKey, args });
          return { echoed: args.text.repeat(args.times ?? 1) };
        },
      }),
    )
    .register(
      defineTool({
        name: "hang",
        description: "Never answers and ignores its signal.",
        statusText: "waiting...",
        schema: z.strictObject({}),
        run: () => new Promise(() => {}),
      }),
    )
    .register(
      defineTool({
        name: "slow_fetch",
        description: "Waits for its signal.",
        statusText: "fetching...",
        schema: z.strictObject({}),
        timeoutMs: 50,
        run: (_args, ctx) =>
          new Promise((_, reject) => {
            ctx.signal.addEventListener("abort", () => reject(ctx.signal.reason), { once: true });
          }),
      }),
    )
    .register(
      defineTool({
        name: "explode",
        description: "Throws.",
        statusText: "exploding...",
        schema: z.strictObject({}),
        async run() {
          throw new TypeError("cannot read properties of undefined (secret internals)");
        },
      }),
    )
    .register(
      defineTool({
        name: "refuse",
        description: "Fails on purpose.",
        statusText: "refusing...",
        schema: z.strictObject({}),
        async run() {
          throw new ToolFailure("denied", "Not allowed.", { reason: "policy", hint: "ask a human" });
        },
      }),
    );
  return { registry, log, metrics, seen };
}

describe("tool specs", () => {
  it("gives the model strict JSON schemas: every property required, optional ones nullable, no extra keys", () => {
    const { registry } = makeRegistry();
    const specs = registry.specs();
    expect(specs.map((s) => s.name).sort()).toEqual(["get_order_status", "get_weather", "search_products"]);
    for (const spec of specs) {
      expect(spec.strict).toBe(true);
      expect(spec.description.length).toBeGreaterThan(40);
      const params = spec.parameters as {
        type: string;
        properties: Record<string, object>;
        required: string[];
      };
      expect(params.type).toBe("object");
      expect(params.required.sort()).toEqual(Object.keys(params.properties).sort());
      expect(spec.parameters.additionalProperties).toBe(false);
      expect(JSON.stringify(spec.parameters)).not.toMatch(/"\$schema"|minLength|maxLength|9007199254740991/);
    }
    const weather = specs.find((s) => s.name === "get_weather")!.parameters as {
      properties: { unit: { anyOf: { type: string; enum?: string[] }[] } };
    };
    expect(weather.properties.unit.anyOf).toEqual([
      { type: "string", enum: ["celsius", "fahrenheit"] },
      { type: "null" },
    ]);
  });

  it("marks a schema non-strict when an optional field cannot be expressed as nullable", () => {
    const registry = new ToolRegistry({
      log: capturedLogger().log,
      metrics: new Metrics(),
      defaultTimeoutMs: 100,
    });
    registry.register(
      defineTool({
        name: "loose",
        description: "Has a plain optional field.",
        statusText: "...",
        schema: z.strictObject({ a: z.string(), b: z.string().optional() }),
        run: async () => ({}),
      }),
    );
    expect(registry.specs()[0]).toMatchObject({ strict: false, parameters: { required: ["a"] } });
  });

  it("shows a status text for each tool while it runs", () => {
    const { registry } = makeRegistry();
    expect(registry.statusText("get_weather")).toBe("checking the weather...");
    expect(registry.statusText("search_products")).toBe("searching products...");
    expect(registry.statusText("get_order_status")).toBe("looking up your order...");
    expect(registry.statusText("nope")).toBeUndefined();
  });
});

describe("running a call", () => {
  it("parses the arguments with the tool's schema and returns its result as JSON", async () => {
    const { registry, seen } = testRegistry();
    const result = await registry.run(call("echo", { text: "ab", times: 2 }), toolContext());
    expect(result).toEqual({ ok: true, content: JSON.stringify({ echoed: "abab" }) });
    expect(seen[0]).toEqual({ userKey: "web:local:demo", args: { text: "ab", times: 2 } });
  });

  it("accepts a missing nullable field from models that do not use strict mode", async () => {
    const { registry } = testRegistry();
    const result = await registry.run(call("echo", { text: "x" }), toolContext());
    expect(content(result)).toEqual({ echoed: "x" });
  });

  it("sends invalid JSON back to the model as an error it can correct", async () => {
    const { registry } = testRegistry();
    const result = await registry.run(call("echo", '{"text": "a"'), toolContext());
    expect(result.ok).toBe(false);
    expect(content(result)).toMatchObject({ error: "invalid_arguments", valid_fields: ["text", "times"] });
    expect(String(content(result).message)).toMatch(/not valid JSON/);
  });

  it("names each invalid or unknown field so the model can fix its call", async () => {
    const { registry, seen } = testRegistry();
    const result = await registry.run(call("echo", { text: "", times: 9, userId: "U1" }), toolContext());
    expect(result.ok).toBe(false);
    const body = content(result) as { error: string; fields: { field: string; problem: string }[] };
    expect(body.error).toBe("invalid_arguments");
    expect(body.fields.map((f) => f.field).sort()).toEqual(["text", "times", "userId"]);
    expect(body.fields.find((f) => f.field === "userId")?.problem).toBe("not a parameter of this tool");
    expect(seen).toHaveLength(0);
  });

  it("lists the known tools when the model calls one that does not exist", async () => {
    const { registry, metrics } = testRegistry();
    const result = await registry.run(call("get_stock_price", {}), toolContext());
    expect(result.ok).toBe(false);
    expect(content(result)).toMatchObject({
      error: "unknown_tool",
      known_tools: ["echo", "hang", "slow_fetch", "explode", "refuse"],
    });
    expect(
      await metricValue(metrics, "chatbot_tool_calls_total", { tool: "unknown", outcome: "unknown_tool" }),
    ).toBe(1);
  });

  it("returns a timeout error when a tool hangs and ignores its signal", async () => {
    const { registry } = testRegistry(100);
    const result = await registry.run(call("hang", {}), toolContext());
    expect(result.ok).toBe(false);
    expect(content(result)).toMatchObject({ error: "timeout" });
    expect(String(content(result).message)).toMatch(/did not answer within 0.1 s/);
  });

  it("aborts the tool's signal at its own timeout", async () => {
    const { registry } = testRegistry(10_000);
    const result = await registry.run(call("slow_fetch", {}), toolContext());
    expect(content(result)).toMatchObject({ error: "timeout" });
  });

  it("stops waiting for a tool when the turn is cancelled", async () => {
    const { registry } = testRegistry(10_000);
    const turn = new AbortController();
    const pending = registry.run(call("hang", {}), toolContext({ signal: turn.signal }));
    turn.abort();
    expect(content(await pending)).toMatchObject({ error: "cancelled" });
  });

  it("turns an unexpected exception into a backend error without leaking its message to the model", async () => {
    const { registry, log } = testRegistry();
    const result = await registry.run(call("explode", {}), toolContext());
    expect(result.ok).toBe(false);
    expect(content(result)).toMatchObject({ error: "backend_error" });
    expect(result.content).not.toMatch(/secret internals/);
    const line = log.lines.find((l) => l.msg === "tool call failed");
    expect(line).toMatchObject({ tool: "explode", outcome: "backend_error", level: 40 });
    expect(String(line?.cause)).toMatch(/secret internals/);
  });

  it("passes a tool's own failure to the model with its reason and details", async () => {
    const { registry } = testRegistry();
    const result = await registry.run(call("refuse", {}), toolContext());
    expect(content(result)).toEqual({ error: "policy", message: "Not allowed.", hint: "ask a human" });
  });

  it("runs several calls at once, each with its own result", async () => {
    const { registry } = testRegistry(100);
    const results = await Promise.all([
      registry.run(call("echo", { text: "one" }), toolContext()),
      registry.run(call("hang", {}), toolContext()),
      registry.run(call("echo", { text: "two" }), toolContext()),
      registry.run(call("nope", {}), toolContext()),
    ]);
    expect(results.map((r) => r.ok)).toEqual([true, false, true, false]);
    expect(content(results[0]!)).toEqual({ echoed: "one" });
    expect(content(results[2]!)).toEqual({ echoed: "two" });
  });

  it("logs one line per call with tool, duration and outcome, and counts it in the metrics", async () => {
    const { registry, log, metrics } = testRegistry();
    await registry.run(call("echo", { text: "private words" }), toolContext());
    await registry.run(call("echo", { text: "" }), toolContext());
    const lines = log.lines.filter((l) => l.msg === "tool call");
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatchObject({ level: 30, tool: "echo", outcome: "ok" });
    expect(lines[1]).toMatchObject({ level: 30, tool: "echo", outcome: "invalid_arguments" });
    expect(typeof lines[0]?.durationMs).toBe("number");
    // Arguments only at debug level.
    const infoText = log.lines
      .filter((l) => Number(l.level) >= 30)
      .map((l) => JSON.stringify(l))
      .join("\n");
    expect(infoText).not.toMatch(/private words/);
    expect(await metricValue(metrics, "chatbot_tool_calls_total", { tool: "echo", outcome: "ok" })).toBe(1);
    expect(
      await metricValue(metrics, "chatbot_tool_calls_total", { tool: "echo", outcome: "invalid_arguments" }),
    ).toBe(1);
    expect(await metricValue(metrics, "chatbot_tool_seconds_count", { tool: "echo" })).toBe(2);
  });
});
