import { Writable } from "node:stream";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { ModelRequest } from "../../src/core/ports.js";
import type { ModelMessage } from "../../src/core/types.js";
import type { DemoLlmServer } from "../../src/llm/demo/server.js";
import { createLogger } from "../../src/log.js";
import { collect, createTestModel, DEMO_TOOL_SPECS, llm, scripted, startFakeLlm } from "../fakes/llm.js";

let server: DemoLlmServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

function request(messages: ModelMessage[], extra: Partial<ModelRequest> = {}): ModelRequest {
  return { messages, tools: [], signal: new AbortController().signal, ...extra };
}

const ask = (text: string): ModelMessage[] => [
  { role: "system", content: "You are a support assistant." },
  { role: "user", content: text },
];

describe("OpenAIChatModel streaming", () => {
  it("streams text deltas in order and reports the usage of the final chunk", async () => {
    server = await startFakeLlm({
      respond: scripted(
        llm.text(["Hel", "lo, ", "world", "!"], { usage: { prompt_tokens: 21, completion_tokens: 4 } }),
      ),
    });
    const { model, metrics } = createTestModel(server.url);

    const { events, text, error } = await collect(model.stream(request(ask("hi"))));

    expect(error).toBeUndefined();
    expect(text).toBe("Hello, world!");
    // The server's count of the text comes along, so the core need not count it again.
    expect(events.at(-1)).toEqual({
      type: "done",
      finishReason: "stop",
      usage: { inputTokens: 21, outputTokens: 4 },
      textTokens: 4,
    });
    const tokens = await metrics.tokens.get();
    expect(tokens.values.map((v) => [v.labels.direction, v.value]).sort()).toEqual([
      ["in", 21],
      ["out", 4],
    ]);
  });

  it("counts a reasoning model's thinking in the usage but not in the text's own tokens", async () => {
    server = await startFakeLlm({
      respond: scripted(
        llm.text(["Forty-two."], {
          usage: {
            prompt_tokens: 30,
            completion_tokens: 120,
            completion_tokens_details: { reasoning_tokens: 116 },
          },
        }),
      ),
    });
    const { model } = createTestModel(server.url);

    const { events } = await collect(model.stream(request(ask("answer?"))));

    expect(events.at(-1)).toMatchObject({ usage: { inputTokens: 30, outputTokens: 120 }, textTokens: 4 });
  });

  it("gives no count of the text when the server sends no usage (the estimate is not a count)", async () => {
    server = await startFakeLlm({ respond: scripted(llm.text(["Hello there"], { usage: null })) });
    const { model } = createTestModel(server.url);

    const { events } = await collect(model.stream(request(ask("hi"))));

    const done = events.at(-1) as { type: string; textTokens?: number };
    expect(done.type).toBe("done");
    expect(done.textTokens).toBeUndefined();
  });

  it("hands text on as it arrives, before the stream has ended", async () => {
    server = await startFakeLlm({ respond: scripted(llm.text(["Hel", "lo"], { end: "hang" })) });
    const { model } = createTestModel(server.url);
    const abort = new AbortController();

    let text = "";
    const reading = (async () => {
      for await (const e of model.stream(request(ask("hi"), { signal: abort.signal }))) {
        if (e.type === "text") text += e.delta;
      }
    })().catch(() => undefined);
    await vi.waitFor(() => expect(text).toBe("Hello"));
    abort.abort();
    await reading;
  });

  it("hands text to the caller's onText as it comes, and yields only what is not text", async () => {
    server = await startFakeLlm({
      respond: scripted(
        llm.text(["Hel", "lo, ", "world", "!"], { usage: { prompt_tokens: 21, completion_tokens: 4 } }),
      ),
    });
    const { model } = createTestModel(server.url);
    const pieces: string[] = [];
    const { events, error } = await collect(
      model.stream(request(ask("hi"), { onText: (delta) => pieces.push(delta) })),
    );
    expect(error).toBeUndefined();
    expect(pieces.join("")).toBe("Hello, world!");
    expect(events).toEqual([
      { type: "done", finishReason: "stop", usage: { inputTokens: 21, outputTokens: 4 }, textTokens: 4 },
    ]);
  });

  it("assembles two tool calls whose arguments arrive interleaved over many chunks", async () => {
    const weatherArgs = JSON.stringify({ location: "Paris, France", unit: "celsius" });
    const orderArgs = JSON.stringify({ order_id: "1042", email: "ana@example.com" });
    server = await startFakeLlm({
      respond: scripted(
        llm.toolCalls(
          [
            { id: "call_w", name: "get_weather", arguments: weatherArgs },
            { id: "call_o", name: "get_order_status", arguments: orderArgs },
          ],
          { sliceChars: 2, interleave: true },
        ),
      ),
    });
    const { model } = createTestModel(server.url);

    const { events, error } = await collect(
      model.stream(request(ask("weather and order"), { tools: DEMO_TOOL_SPECS })),
    );

    expect(error).toBeUndefined();
    expect(events).toEqual([
      {
        type: "tool_calls",
        calls: [
          { id: "call_w", name: "get_weather", arguments: weatherArgs },
          { id: "call_o", name: "get_order_status", arguments: orderArgs },
        ],
      },
      { type: "done", finishReason: "tool_calls", usage: expect.any(Object) },
    ]);
  });

  it("reports tool calls even when a compatible server finishes the round with 'stop'", async () => {
    server = await startFakeLlm({
      respond: scripted(
        llm.toolCalls([{ name: "get_weather", arguments: '{"location":"Oslo","unit":"celsius"}' }], {
          finishReason: "stop",
        }),
      ),
    });
    const { model } = createTestModel(server.url);

    const { events } = await collect(
      model.stream(request(ask("weather in Oslo"), { tools: DEMO_TOOL_SPECS })),
    );

    expect(events.map((e) => e.type)).toEqual(["tool_calls", "done"]);
    expect(events.at(-1)).toMatchObject({ finishReason: "tool_calls" });
  });

  it("says the answer was cut when the model hit its token limit", async () => {
    server = await startFakeLlm({
      respond: scripted(llm.text(["The answer is long"], { finishReason: "length" })),
    });
    const { model } = createTestModel(server.url);

    const { events, text } = await collect(model.stream(request(ask("tell me everything"))));

    expect(text).toBe("The answer is long");
    expect(events.at(-1)).toMatchObject({ type: "done", finishReason: "length" });
  });

  it("maps content_filter and unknown finish reasons", async () => {
    server = await startFakeLlm({
      respond: scripted(
        llm.text(["I can't"], { finishReason: "content_filter" }),
        llm.text(["odd"], { finishReason: "eos_token" }),
      ),
    });
    const { model } = createTestModel(server.url);

    const filtered = await collect(model.stream(request(ask("x"))));
    const odd = await collect(model.stream(request(ask("y"))));

    expect(filtered.events.at(-1)).toMatchObject({ finishReason: "content_filter" });
    expect(odd.events.at(-1)).toMatchObject({ finishReason: "other" });
  });

  it("estimates usage when the server sends no usage chunk", async () => {
    server = await startFakeLlm({ respond: scripted(llm.text(["twelve chars"], { usage: null })) });
    const { model } = createTestModel(server.url);

    const { events } = await collect(model.stream(request(ask("a question of some length"))));

    const done = events.at(-1);
    expect(done?.type).toBe("done");
    if (done?.type !== "done") return;
    expect(done.usage.inputTokens).toBeGreaterThan(0);
    expect(done.usage.outputTokens).toBe(3);
  });

  it("sends history, tool calls, tool results and tools in OpenAI's request shape", async () => {
    server = await startFakeLlm();
    const { model } = createTestModel(server.url);
    const messages: ModelMessage[] = [
      { role: "system", content: "Be brief." },
      { role: "user", content: "Weather in Paris?", name: "Ana María López" },
      {
        role: "assistant",
        content: null,
        toolCalls: [{ id: "call_1", name: "get_weather", arguments: "{}" }],
      },
      { role: "tool", toolCallId: "call_1", name: "get_weather", content: '{"temperature":18}' },
      { role: "assistant", content: "It is 18 °C." },
      { role: "user", content: "Thanks" },
    ];

    await collect(model.stream(request(messages, { tools: DEMO_TOOL_SPECS, maxOutputTokens: 300 })));

    const body = server.requests[0];
    expect(body).toMatchObject({
      model: "gpt-4o-mini",
      stream: true,
      stream_options: { include_usage: true },
      // A non-OpenAI base URL gets the field every compatible server knows.
      max_tokens: 300,
      messages: [
        { role: "system", content: "Be brief." },
        { role: "user", content: "Weather in Paris?", name: "Ana_Maria_Lopez" },
        {
          role: "assistant",
          content: null,
          tool_calls: [
            { id: "call_1", type: "function", function: { name: "get_weather", arguments: "{}" } },
          ],
        },
        { role: "tool", tool_call_id: "call_1", content: '{"temperature":18}' },
        { role: "assistant", content: "It is 18 °C." },
        { role: "user", content: "Thanks" },
      ],
    });
    expect(body?.tools?.map((t) => [t.type, t.function.name, t.function.strict])).toEqual([
      ["function", "get_weather", true],
      ["function", "search_products", undefined],
      ["function", "get_order_status", true],
    ]);
  });

  it("leaves out the tools field when there are no tools", async () => {
    server = await startFakeLlm();
    const { model } = createTestModel(server.url);

    await collect(model.stream(request(ask("hi"))));

    expect(server.requests[0]).not.toHaveProperty("tools");
    expect(server.requests[0]).not.toHaveProperty("max_tokens");
  });

  it("logs one debug line per request, without the API key or the message text", async () => {
    server = await startFakeLlm();
    const lines: string[] = [];
    const destination = new Writable({
      write(chunk, _encoding, done) {
        lines.push(String(chunk));
        done();
      },
    });
    const log = createLogger({ level: "debug", format: "json", destination });
    const { model, metrics } = createTestModel(server.url, { log, apiKey: "sk-secret-123" });

    await collect(model.stream(request(ask("my card number is 4242"))));

    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0] ?? "{}")).toMatchObject({
      msg: "model request",
      attempts: 1,
      finishReason: "stop",
    });
    expect(lines[0]).not.toContain("sk-secret-123");
    expect(lines[0]).not.toContain("4242");
    expect(
      (await metrics.firstTokenSeconds.get()).values.find((v) => v.metricName?.endsWith("_count"))?.value,
    ).toBe(1);
    expect(
      (await metrics.modelSeconds.get()).values.find((v) => v.metricName?.endsWith("_count"))?.value,
    ).toBe(1);
  });

  it("uses max_completion_tokens when configured to (OpenAI's own API)", async () => {
    server = await startFakeLlm();
    const { model } = createTestModel(server.url, { tokenLimitParam: "max_completion_tokens" });

    await collect(model.stream(request(ask("hi"), { maxOutputTokens: 50 })));

    expect(server.requests[0]).toMatchObject({ max_completion_tokens: 50 });
    expect(server.requests[0]).not.toHaveProperty("max_tokens");
  });
});
