import { afterEach, describe, expect, it } from "vitest";
import type { ModelRequest, ToolSpec } from "../../src/core/ports.js";
import type { ModelMessage, ToolCall } from "../../src/core/types.js";
import { offlineAnswerPieces } from "../../src/llm/demo/answers.js";
import { jsonChars } from "../../src/llm/demo/reply.js";
import { type DemoLlmServer, REQUESTS_KEPT } from "../../src/llm/demo/server.js";
import { collect, createTestModel, DEMO_TOOL_SPECS, startFakeLlm } from "../fakes/llm.js";

let server: DemoLlmServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const SYSTEM: ModelMessage = { role: "system", content: "You are a helpful support assistant." };

function request(
  messages: ModelMessage[],
  tools: ToolSpec[] = DEMO_TOOL_SPECS,
  maxOutputTokens?: number,
): ModelRequest {
  return {
    messages,
    tools,
    signal: new AbortController().signal,
    ...(maxOutputTokens !== undefined && { maxOutputTokens }),
  };
}

async function demo(opts: Parameters<typeof startFakeLlm>[0] = {}) {
  server = await startFakeLlm(opts);
  return createTestModel(server.url).model;
}

async function toolCallsFor(text: string, tools: ToolSpec[] = DEMO_TOOL_SPECS): Promise<ToolCall[]> {
  const model = await demo();
  const { events, error } = await collect(
    model.stream(request([SYSTEM, { role: "user", content: text }], tools)),
  );
  expect(error).toBeUndefined();
  const round = events.find((e) => e.type === "tool_calls");
  return round?.type === "tool_calls" ? round.calls : [];
}

/** The `delta.content` chunks of a raw streamed response. */
async function contentFrames(url: string, body: unknown): Promise<string[]> {
  const res = await fetch(`${url}/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  const frames: string[] = [];
  for (const line of (await res.text()).split("\n")) {
    if (!line.startsWith("data: {")) continue;
    const chunk = JSON.parse(line.slice(6)) as { choices: { delta: { content?: string } }[] };
    const content = chunk.choices[0]?.delta.content;
    if (content) frames.push(content);
  }
  return frames;
}

const HELP_SPEC: ToolSpec = {
  name: "search_help_center",
  description: "Search the help center.",
  parameters: {
    type: "object",
    properties: { query: { type: "string" }, limit: { type: ["integer", "null"] } },
    required: ["query", "limit"],
    additionalProperties: false,
  },
  strict: true,
};

function argsOf(calls: ToolCall[]): unknown[] {
  return calls.map((c) => [c.name, JSON.parse(c.arguments)]);
}

describe("demo model", () => {
  it("asks for the weather with the city and unit from the question", async () => {
    expect(argsOf(await toolCallsFor("What's the weather in Paris?"))).toEqual([
      ["get_weather", { location: "Paris", unit: "celsius" }],
    ]);
    await server?.close();
    expect(argsOf(await toolCallsFor("forecast for Tokyo in fahrenheit"))).toEqual([
      ["get_weather", { location: "Tokyo", unit: "fahrenheit" }],
    ]);
  });

  it("searches products with the query and price limit", async () => {
    expect(argsOf(await toolCallsFor("do you have wireless headphones under $100"))).toEqual([
      ["search_products", { query: "wireless headphones", max_price: 100 }],
    ]);
  });

  it("looks up an order with its number and email", async () => {
    expect(argsOf(await toolCallsFor("where is my order 1042, my email is ana@example.com"))).toEqual([
      ["get_order_status", { order_id: "1042", email: "ana@example.com" }],
    ]);
  });

  it("makes two tool calls in one round when asked two things at once", async () => {
    const calls = await toolCallsFor(
      "What's the weather in Berlin and where is my order 77? Email: bo@example.org",
    );
    expect(argsOf(calls)).toEqual([
      ["get_weather", { location: "Berlin", unit: "celsius" }],
      ["get_order_status", { order_id: "77", email: "bo@example.org" }],
    ]);
    expect(new Set(calls.map((c) => c.id)).size).toBe(2);
  });

  it("does not call a tool the request does not offer", async () => {
    const onlyOrders = DEMO_TOOL_SPECS.filter((t) => t.name === "get_order_status");
    expect(await toolCallsFor("What's the weather in Paris?", onlyOrders)).toEqual([]);
  });

  it("asks for the email instead of calling the order tool without one", async () => {
    const model = await demo();
    const { events, text } = await collect(
      model.stream(request([SYSTEM, { role: "user", content: "where is my order 1042?" }])),
    );
    expect(events.some((e) => e.type === "tool_calls")).toBe(false);
    expect(text).toContain("email");
  });

  it("searches the help center for a policy question, even one that mentions an order", async () => {
    const tools = [...DEMO_TOOL_SPECS, HELP_SPEC];
    expect(argsOf(await toolCallsFor("How do I cancel my order?", tools))).toEqual([
      ["search_help_center", { query: "How do I cancel my order?", limit: 3 }],
    ]);
    // A named order with its email is a lookup, not a policy question.
    expect(argsOf(await toolCallsFor("cancel order 1042, my email is ana@example.com", tools))).toEqual([
      ["get_order_status", { order_id: "1042", email: "ana@example.com" }],
    ]);
  });

  it("answers help-center results from the top passage with a link, or says the help center has nothing", async () => {
    const model = await demo();
    const help = (content: unknown): ModelMessage[] => [
      SYSTEM,
      { role: "user", content: "How long do refunds take?" },
      {
        role: "assistant",
        content: null,
        toolCalls: [{ id: "call_h", name: "search_help_center", arguments: '{"query":"refunds"}' }],
      },
      { role: "tool", toolCallId: "call_h", name: "search_help_center", content: JSON.stringify(content) },
    ];
    const found = await collect(
      model.stream(
        request(
          help({
            query: "refunds",
            results: [
              {
                title: "Refund times",
                url: "https://help.example.com/returns/refund-times",
                section: "When it reaches your account",
                text: "Credit and debit cards: 3-10 business days.",
                score: 0.9,
              },
            ],
          }),
          [HELP_SPEC],
        ),
      ),
    );
    expect(found.text).toContain("[Refund times](https://help.example.com/returns/refund-times)");
    expect(found.text).toContain("Credit and debit cards: 3-10 business days.");
    const none = await collect(model.stream(request(help({ query: "refunds", results: [] }), [HELP_SPEC])));
    expect(none.text).toMatch(/couldn't find anything about that in our help center/);
    expect(none.text).not.toContain("](");
  });

  it("answers from the tool results, including a failed one", async () => {
    const model = await demo();
    const messages: ModelMessage[] = [
      SYSTEM,
      { role: "user", content: "Weather in Paris and my order 1042 (ana@example.com)?" },
      {
        role: "assistant",
        content: null,
        toolCalls: [
          { id: "call_a", name: "get_weather", arguments: '{"location":"Paris","unit":"celsius"}' },
          {
            id: "call_b",
            name: "get_order_status",
            arguments: '{"order_id":"1042","email":"ana@example.com"}',
          },
        ],
      },
      {
        role: "tool",
        toolCallId: "call_a",
        name: "get_weather",
        content: JSON.stringify({
          location: "Paris, France",
          temperature: 18.5,
          unit: "celsius",
          conditions: "Light rain",
        }),
      },
      {
        role: "tool",
        toolCallId: "call_b",
        name: "get_order_status",
        content: JSON.stringify({ error: "No order 1042 was found for that email address." }),
      },
    ];

    const { text, events } = await collect(model.stream(request(messages)));

    expect(events.at(-1)).toMatchObject({ type: "done", finishReason: "stop" });
    expect(text).toContain("Paris, France");
    expect(text).toContain("18.5");
    expect(text).toContain("Light rain");
    expect(text).toContain("couldn't look up that order");
    expect(text).toContain("No order 1042 was found");
  });

  it("says why a tool failed in words, not with the failure's code", async () => {
    const model = await demo();
    const messages: ModelMessage[] = [
      SYSTEM,
      { role: "user", content: "What's the weather in Paris?" },
      {
        role: "assistant",
        content: null,
        toolCalls: [{ id: "call_w", name: "get_weather", arguments: '{"location":"Paris"}' }],
      },
      {
        role: "tool",
        toolCallId: "call_w",
        name: "get_weather",
        // What the tool registry sends back when Open-Meteo cannot be reached.
        content: JSON.stringify({ error: "backend_error", message: "Could not reach Open-Meteo." }),
      },
    ];
    const { text } = await collect(model.stream(request(messages)));
    expect(text).toContain("Sorry, I couldn't get the weather: Could not reach Open-Meteo.");
    expect(text).not.toContain("backend_error");
  });

  it("writes the real tools' results as sentences a person would read", async () => {
    const model = await demo();
    const call = (id: string, name: string) => ({ id, name, arguments: "{}" });
    const messages: ModelMessage[] = [
      SYSTEM,
      {
        role: "user",
        content: "Weather in Oslo, wireless headphones under 100 and order 1042 (ana@example.com)",
      },
      {
        role: "assistant",
        content: null,
        toolCalls: [call("w", "get_weather"), call("p", "search_products"), call("o", "get_order_status")],
      },
      {
        role: "tool",
        toolCallId: "w",
        name: "get_weather",
        content: JSON.stringify({
          location: "Oslo, Norway",
          timezone: "Europe/Oslo",
          units: { temperature: "°C", wind_speed: "km/h" },
          current: {
            time: "t",
            conditions: "Overcast",
            temperature: 3.5,
            feels_like: 0.4,
            humidity_percent: 81,
            wind_speed: 12,
          },
          forecast: [
            { date: "2026-11-28", conditions: "Snow", high: 1, low: -3, precipitation_chance_percent: 70 },
          ],
          source: "Open-Meteo (open-meteo.com)",
        }),
      },
      {
        role: "tool",
        toolCallId: "p",
        name: "search_products",
        content: JSON.stringify({
          query: "wireless headphones",
          filters: { category: null, max_price: 100, in_stock_only: false },
          results: [
            {
              sku: "AUD-1016",
              name: "Tidal Sport Neckband Earphones",
              category: "audio",
              price: 38.99,
              currency: "USD",
              in_stock: true,
              stock: 4,
              summary: "Secure-fit wireless neckband earphones.",
              url: "https://shop.example.com/p/tidal",
            },
          ],
          total_matches: 1,
        }),
      },
      {
        role: "tool",
        toolCallId: "o",
        name: "get_order_status",
        content: JSON.stringify({
          order_id: "1042",
          status: "in_transit",
          status_text: "on its way",
          placed_at: "2025-11-20T11:00:00Z",
          shipped_at: "2025-11-21T09:00:00Z",
          delivered_at: null,
          estimated_delivery: "2025-11-26",
          carrier: "DHL",
          tracking_number: "JD0146",
          items: [{ name: "Sentry Video Doorbell", quantity: 1 }],
          total: 173.98,
          currency: "USD",
          verified_by: "email",
        }),
      },
    ];

    const { text } = await collect(model.stream(request(messages)));

    expect(text).toContain(
      "**Oslo, Norway** right now: overcast, 3.5°C, feels like 0.4°C, humidity 81%, wind 12 km/h.",
    );
    expect(text).toContain("- 2026-11-28: snow, -3 to 1°C, 70% chance of rain");
    expect(text).toContain('I found one match for "wireless headphones" under 100:');
    expect(text).toContain("- **Tidal Sport Neckband Earphones**: 38.99 USD, in stock.");
    expect(text).toContain("Order **1042** is **in transit**: on its way.");
    expect(text).toContain("- Carrier: DHL, tracking number JD0146");
    expect(text).not.toContain("n/a");
  });

  it("lists found products from a search result", async () => {
    const model = await demo();
    const products = {
      results: [
        { id: "hp-1", name: "Sony WH-CH720N", price: 89.99, in_stock: true },
        { id: "hp-2", name: "JBL Tune 520BT", price: 49, in_stock: false },
      ],
    };
    const messages: ModelMessage[] = [
      SYSTEM,
      { role: "user", content: "headphones under $100?" },
      {
        role: "assistant",
        content: null,
        toolCalls: [{ id: "c1", name: "search_products", arguments: "{}" }],
      },
      { role: "tool", toolCallId: "c1", name: "search_products", content: JSON.stringify(products) },
    ];

    const { text } = await collect(model.stream(request(messages)));

    expect(text).toContain("Sony WH-CH720N");
    expect(text).toContain("89.99");
    expect(text).toContain("JBL Tune 520BT");
  });

  it("says an order result sent privately is in a private message, without listing fields", async () => {
    const model = await demo();
    const sentPrivately = { sent_privately: true, message: "This result holds personal data." };
    const messages: ModelMessage[] = [
      SYSTEM,
      { role: "user", content: "where is order 1042? ana@example.com" },
      {
        role: "assistant",
        content: null,
        toolCalls: [{ id: "c1", name: "get_order_status", arguments: "{}" }],
      },
      { role: "tool", toolCallId: "c1", name: "get_order_status", content: JSON.stringify(sentPrivately) },
    ];

    const { text } = await collect(model.stream(request(messages)));

    expect(text).toBe("The details are in a private message to you.");
  });

  it("summarizes a transcript when the system prompt asks for a summary", async () => {
    const model = await demo();
    const transcript = [
      "Conversation in #support:",
      "[09:00] Ana: The checkout page is broken for customers in Spain.",
      "[09:02] Bob: I will fix the payment bug today and ship a release at 16:00.",
      "[09:03] Ana: ok",
      "[09:05] Chen: We agreed to refund the two affected orders.",
    ].join("\n");

    const { text } = await collect(
      model.stream(
        request(
          [
            { role: "system", content: "Summarize the conversation for the channel." },
            { role: "user", content: transcript },
          ],
          [],
        ),
      ),
    );

    expect(text).toContain("4 messages from 3 participants");
    expect(text).toContain("Ana, Bob, Chen");
    expect(text).toContain("fix the payment bug");
    expect(text).toContain("refund the two affected orders");
  });

  it("explains that it is the offline demo and how to configure a real model", async () => {
    const model = await demo();
    const { text, events } = await collect(
      model.stream(request([SYSTEM, { role: "user", content: "What is the meaning of life?" }])),
    );
    expect(text).toContain("offline demo");
    expect(text).toContain("OPENAI_API_KEY");
    expect(text).toMatch(/weather/i);
    expect(text).toMatch(/order/i);
    const done = events.at(-1);
    expect(done?.type === "done" && done.usage.inputTokens > 0 && done.usage.outputTokens > 0).toBe(true);
  });

  it("streams the plain answer in as many pieces as configured", async () => {
    server = await startFakeLlm({ answerTokens: 200 });
    const frames = await contentFrames(server.url, {
      model: "m",
      stream: true,
      messages: [{ role: "user", content: "hi" }],
    });
    expect(frames).toHaveLength(200);
  });

  it("stops at the output token cap and says so", async () => {
    const model = await demo();
    const full = await collect(model.stream(request([SYSTEM, { role: "user", content: "hi" }], [])));
    const capped = await collect(model.stream(request([SYSTEM, { role: "user", content: "hi" }], [], 5)));

    expect(capped.events.at(-1)).toMatchObject({ finishReason: "length" });
    expect(full.text.startsWith(capped.text)).toBe(true);
    expect(capped.text.length).toBeLessThan(full.text.length);
    const frames = await contentFrames(server?.url ?? "", {
      model: "m",
      stream: true,
      max_tokens: 5,
      messages: [{ role: "user", content: "hi" }],
    });
    expect(frames).toHaveLength(5);
  });

  it("answers non-streaming requests and lists its model", async () => {
    server = await startFakeLlm();
    const models = (await (await fetch(`${server.url}/models`)).json()) as { data: { id: string }[] };
    expect(models.data.length).toBeGreaterThan(0);

    const res = await fetch(`${server.url}/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        model: "demo",
        messages: [{ role: "user", content: "weather in Rome" }],
        tools: DEMO_TOOL_SPECS.map((t) => ({
          type: "function",
          function: { name: t.name, parameters: t.parameters },
        })),
      }),
    });
    const body = (await res.json()) as {
      choices: {
        message: { tool_calls: { function: { name: string; arguments: string } }[] };
        finish_reason: string;
      }[];
      usage: { prompt_tokens: number };
    };
    expect(body.choices[0]?.finish_reason).toBe("tool_calls");
    expect(body.choices[0]?.message.tool_calls[0]?.function).toEqual({
      name: "get_weather",
      arguments: JSON.stringify({ location: "Rome", unit: "celsius" }),
    });
    expect(body.usage.prompt_tokens).toBeGreaterThan(0);
  });

  it("counts the tools' definitions in the prompt tokens as their JSON, and can keep no requests", async () => {
    // The service's own demo model keeps none of the messages people send it.
    server = await startFakeLlm({ keepRequests: 0 });
    const tools = DEMO_TOOL_SPECS.map((t) => ({
      type: "function",
      function: { name: t.name, description: t.description, parameters: t.parameters },
    }));
    const promptTokens = async (withTools: boolean) => {
      const res = await fetch(`${server?.url}/chat/completions`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          model: "demo",
          messages: [{ role: "user", content: "hello there" }],
          ...(withTools ? { tools } : {}),
        }),
      });
      return ((await res.json()) as { usage: { prompt_tokens: number } }).usage.prompt_tokens;
    };
    const added = (await promptTokens(true)) - (await promptTokens(false));
    const expected = JSON.stringify(tools).length / 4;
    expect(added).toBeGreaterThanOrEqual(Math.floor(expected));
    expect(added).toBeLessThanOrEqual(Math.ceil(expected) + 1);
    expect(server.requests).toEqual([]);
  });

  it("measures JSON without writing it", () => {
    const values: unknown[] = [
      [],
      {},
      null,
      [1, "two", null, true, { a: [1.5, -2], b: "" }],
      { skipped: undefined, list: [undefined, 3], nested: { deep: { deeper: ["x"] } } },
      DEMO_TOOL_SPECS,
    ];
    for (const v of values) expect(jsonChars(v)).toBe(JSON.stringify(v).length);
  });

  it("refuses a request without messages with OpenAI's error shape", async () => {
    server = await startFakeLlm();
    const res = await fetch(`${server.url}/chat/completions`, { method: "POST", body: "{}" });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { message: string } }).error.message).toContain("messages");
  });

  // The point is that every stream completes, not how fast: the model's timeouts are out of the
  // way, and the test's own timeout is the hang detector. (With a 60 s first-token timeout, 468 of
  // the 1,000 timed out on two cores shared by several test suites.)
  it("serves 1,000 concurrent streams", { timeout: 600_000 }, async () => {
    server = await startFakeLlm({ answerTokens: 50 });
    const { model } = createTestModel(server.url, { firstTokenTimeoutMs: 590_000, totalTimeoutMs: 590_000 });
    const expected = offlineAnswerPieces(50).join("");
    const runs = Array.from({ length: 1000 }, (_, i) =>
      collect(model.stream(request([SYSTEM, { role: "user", content: `question ${i}` }], []))),
    );
    const results = await Promise.all(runs);
    expect(results.filter((r) => r.error !== undefined)).toEqual([]);
    expect(results.filter((r) => r.text !== expected)).toEqual([]);
    expect(server.requests.length).toBeLessThanOrEqual(REQUESTS_KEPT);
  });
});
