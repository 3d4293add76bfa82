/**
 * Whole turns through the conversation core with the real tool registry: the fake LLM (the
 * demo OpenAI-compatible server, over HTTP with SSE) asks for tools, the registry runs them
 * against local fakes of their backends, and the streamed answer is checked in the chat sink.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import bundledProducts from "../../src/tools/data/products.json" with { type: "json" };
import { type FakeHttpBackend, startFakeHttpBackend } from "../fakes/http-backend.js";
import { createTestModel, type DemoLlmServer, llm, scripted, startFakeLlm } from "../fakes/llm.js";
import { type FakeOpenMeteo, fakeTemperatureC, startFakeOpenMeteo } from "../fakes/open-meteo.js";
import { makeConversation, message } from "../support/conversation.js";
import { RecordingSink } from "../support/recording-sink.js";
import { makeRegistry } from "./support.js";

let meteo: FakeOpenMeteo;
let products: FakeHttpBackend;
let llmServer: DemoLlmServer | undefined;

/** A PRODUCTS_URL backend serving the bundled catalog by name. */
function catalogReply(url: URL) {
  const q = (url.searchParams.get("q") ?? "").toLowerCase();
  const hits = bundledProducts.filter((p) => p.name.toLowerCase().includes(q)).slice(0, 3);
  return { status: 200, body: { products: hits, total: hits.length } };
}

beforeAll(async () => {
  meteo = await startFakeOpenMeteo();
  products = await startFakeHttpBackend(catalogReply);
});
afterAll(async () => {
  await meteo.close();
  await products.close();
});
afterEach(async () => {
  await llmServer?.close();
  llmServer = undefined;
  meteo.setGate("geocoding", undefined);
  products.setHandler(catalogReply);
});

function finalText(sink: RecordingSink): string {
  const finals = [...sink.messages.values()].filter((m) => m.state === "done");
  return finals.map((m) => m.text).join("\n");
}

describe("a turn with tools", () => {
  it("runs two tool calls of one round in parallel and streams an answer built from both results", async () => {
    // Each backend holds its answer until the other one has been asked: if the registry ran
    // the calls one after the other, the first would wait for the second and time out.
    let productsAsked!: () => void;
    const productsArrived = new Promise<void>((resolve) => {
      productsAsked = resolve;
    });
    const weatherArrived = meteo.nextRequest("geocoding");
    meteo.setGate("geocoding", productsArrived);
    products.setHandler(async (url) => {
      productsAsked();
      await weatherArrived;
      return catalogReply(url);
    });

    llmServer = await startFakeLlm({
      respond: scripted(
        llm.toolCalls(
          [
            {
              id: "call_weather",
              name: "get_weather",
              arguments: JSON.stringify({ location: "Tokyo", unit: null }),
            },
            {
              id: "call_products",
              name: "search_products",
              arguments: JSON.stringify({
                query: "espresso",
                category: null,
                max_price: null,
                in_stock_only: null,
                limit: null,
              }),
            },
          ],
          { interleave: true, sliceChars: 5 },
        ),
        // The second request falls through to the demo model, which answers from the tool results.
      ),
    });
    const { model } = createTestModel(llmServer.url);
    const { registry, metrics } = makeRegistry({
      GEOCODING_API_URL: meteo.geocodingUrl,
      WEATHER_API_URL: meteo.weatherUrl,
      PRODUCTS_URL: `${products.url}/search`,
      TOOL_TIMEOUT_MS: 3_000,
    });
    const { conversation } = makeConversation({ model, tools: registry });
    const sink = new RecordingSink();

    const result = await conversation.handle(
      message({ text: "What's the weather in Tokyo, and do you sell espresso machines?" }),
      sink,
    );

    expect(result.outcome).toBe("answered");
    const answer = finalText(sink);
    expect(answer).toContain("Tokyo, JP");
    expect(answer).toContain(String(fakeTemperatureC(35.6895)));
    expect(answer).toContain("Crema Espresso Machine with Steam Wand");
    expect(answer).not.toMatch(/timeout|couldn't/i);

    // The model saw the spec of every tool and got both results back in one follow-up request.
    const [first, second] = llmServer.requests;
    expect(first?.tools?.map((t) => t.function.name).sort()).toEqual([
      "get_order_status",
      "get_weather",
      "search_products",
    ]);
    expect(first?.tools?.every((t) => t.function.strict === true)).toBe(true);
    const toolMessages = second?.messages.filter((m) => m.role === "tool") ?? [];
    expect(toolMessages.map((m) => m.tool_call_id).sort()).toEqual(["call_products", "call_weather"]);
    expect(await metrics.toolCalls.get()).toMatchObject({
      values: expect.arrayContaining([
        expect.objectContaining({ labels: { tool: "get_weather", outcome: "ok" }, value: 1 }),
        expect.objectContaining({ labels: { tool: "search_products", outcome: "ok" }, value: 1 }),
      ]),
    });
  });
});

describe("the offline demo model", () => {
  async function ask(text: string, userId = "visitor"): Promise<string> {
    const server = llmServer ?? (await startFakeLlm());
    llmServer = server;
    const { model } = createTestModel(server.url);
    const { registry } = makeRegistry({
      GEOCODING_API_URL: meteo.geocodingUrl,
      WEATHER_API_URL: meteo.weatherUrl,
    });
    const { conversation } = makeConversation({ model, tools: registry });
    const sink = new RecordingSink();
    const result = await conversation.handle(message({ text, userId, threadId: `t-${Math.random()}` }), sink);
    expect(result.outcome).toBe("answered");
    return finalText(sink);
  }

  it("triggers each tool from a plain chat message", async () => {
    const weather = await ask("What's the weather in Berlin?");
    expect(weather).toContain("Berlin, State of Berlin, DE");

    const catalog = await ask("Do you have noise cancelling headphones under $200?");
    expect(catalog).toContain("Aurora ANC-300 Wireless Headphones");
    expect(catalog).not.toContain("Aurora ANC-700");

    const order = await ask("Where is my order 1042? My email is ana@example.com");
    expect(order).toMatch(/processing/);
    expect(order).toContain("Sentry Video Doorbell");

    const refused = await ask("Where is my order 1042? My email is mallory@example.com");
    expect(refused).not.toContain("Sentry Video Doorbell");
  });
});
