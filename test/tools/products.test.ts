import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import bundled from "../../src/tools/data/products.json" with { type: "json" };
import { productSchema } from "../../src/tools/products/catalog.js";
import { type FakeHttpBackend, startFakeHttpBackend } from "../fakes/http-backend.js";
import { call, content, makeRegistry, metricValue, toolContext } from "./support.js";

interface ResultItem {
  sku: string;
  name: string;
  category: string;
  price: number;
  in_stock: boolean;
  stock: number;
  summary: string;
  url: string;
}
interface SearchBody {
  results: ResultItem[];
  total_matches?: number;
  note?: string;
}

const search = (args: Record<string, unknown>) => call("search_products", args);

async function searchBundled(args: Record<string, unknown>): Promise<SearchBody> {
  const { registry } = makeRegistry();
  const result = await registry.run(search(args), toolContext());
  expect(result.ok, result.content).toBe(true);
  return content(result) as unknown as SearchBody;
}

describe("the bundled catalog", () => {
  it("ships at least 200 valid products across many categories, with unique SKUs and URLs", () => {
    const products = productSchema.array().parse(bundled);
    expect(products.length).toBeGreaterThanOrEqual(200);
    expect(new Set(products.map((p) => p.sku)).size).toBe(products.length);
    expect(new Set(products.map((p) => p.url)).size).toBe(products.length);
    expect(new Set(products.map((p) => p.category)).size).toBeGreaterThanOrEqual(10);
    expect(products.some((p) => p.stock === 0)).toBe(true);
  });
});

describe("search_products (bundled catalog)", () => {
  it("ranks products whose name matches above those that only mention the words", async () => {
    const body = await searchBundled({ query: "noise cancelling headphones" });
    expect(body.results[0]?.name).toMatch(/Headphones/);
    expect(body.results.slice(0, 2).every((r) => /ANC/.test(r.name))).toBe(true);
    expect(body.results.length).toBeLessThanOrEqual(5);
  });

  it("tolerates typos and matches word prefixes", async () => {
    const typo = await searchBundled({ query: "hedphones" });
    expect(typo.results.length).toBeGreaterThan(0);
    expect(typo.results.every((r) => /headphones/i.test(r.name))).toBe(true);
    const prefix = await searchBundled({ query: "purif" });
    expect(prefix.results[0]?.name).toMatch(/Air Purifier/);
  });

  it("applies category, price and stock filters and the limit", async () => {
    const body = await searchBundled({
      query: "wireless",
      category: "Audio",
      max_price: 100,
      in_stock_only: true,
      limit: 3,
    });
    expect(body.results.length).toBeGreaterThan(0);
    expect(body.results.length).toBeLessThanOrEqual(3);
    for (const r of body.results) {
      expect(r.category).toBe("audio");
      expect(r.price).toBeLessThanOrEqual(100);
      expect(r.in_stock).toBe(true);
    }
  });

  it("finds a product by its SKU", async () => {
    const body = await searchBundled({ query: "kit-1001" });
    expect(body.results.map((r) => r.sku)).toEqual(["KIT-1001"]);
  });

  it("returns an empty result with a note when nothing matches", async () => {
    const body = await searchBundled({ query: "flux capacitor" });
    expect(body.results).toEqual([]);
    expect(body.note).toMatch(/no such product/);
  });

  it("returns short results: the fields a customer needs and a one-line summary", async () => {
    const body = await searchBundled({ query: "espresso machine", limit: 1 });
    const item = body.results[0]!;
    expect(Object.keys(item).sort()).toEqual(
      ["category", "currency", "in_stock", "name", "price", "sku", "stock", "summary", "url"].sort(),
    );
    expect(item.summary.length).toBeLessThanOrEqual(140);
    expect(item.url).toMatch(/^https:\/\/shop\.example\.com\/products\//);
  });

  it("tells the model which categories exist when it names an unknown one", async () => {
    const { registry } = makeRegistry();
    const result = await registry.run(search({ query: "laptop", category: "laptops" }), toolContext());
    expect(result.ok).toBe(false);
    expect(content(result)).toMatchObject({
      error: "unknown_category",
      categories: expect.arrayContaining(["computers"]),
    });
  });

  it("rejects invalid arguments with the fields to fix", async () => {
    const { registry, metrics } = makeRegistry();
    const result = await registry.run(search({ query: "", limit: 50, maxPrice: 10 }), toolContext());
    expect(result.ok).toBe(false);
    const fields = (content(result).fields as { field: string }[]).map((f) => f.field).sort();
    expect(fields).toEqual(["limit", "maxPrice", "query"]);
    expect(
      await metricValue(metrics, "chatbot_tool_calls_total", {
        tool: "search_products",
        outcome: "invalid_arguments",
      }),
    ).toBe(1);
  });
});

describe("search_products (PRODUCTS_URL backend)", () => {
  let backend: FakeHttpBackend;
  const headphones = {
    sku: "X-1",
    name: "Remote Headphones",
    description: "From the HTTP catalog.",
    category: "audio",
    price: 80,
    currency: "EUR",
    stock: 4,
    url: "https://shop.example.org/x-1",
  };
  const soldOut = {
    ...headphones,
    sku: "X-2",
    name: "Sold Out Headphones",
    stock: 0,
    url: "https://shop.example.org/x-2",
  };

  beforeAll(async () => {
    backend = await startFakeHttpBackend(() => ({ status: 200, body: { products: [] } }));
  });
  afterAll(async () => {
    await backend.close();
  });
  beforeEach(() => {
    backend.requests.length = 0;
    backend.setDelay(0);
  });

  function httpRegistry(timeoutMs = 2_000) {
    return makeRegistry({ PRODUCTS_URL: `${backend.url}/products/search`, TOOL_TIMEOUT_MS: timeoutMs });
  }

  it("queries the backend with the documented parameters and returns its ranked products", async () => {
    backend.setHandler(() => ({ status: 200, body: { products: [headphones, soldOut], total: 2 } }));
    const { registry } = httpRegistry();
    const result = await registry.run(
      search({ query: "headphones", category: "Audio", max_price: 99.5, in_stock_only: true, limit: 4 }),
      toolContext(),
    );
    const sent = backend.requests[0]!;
    expect(sent.pathname).toBe("/products/search");
    expect(Object.fromEntries(sent.searchParams)).toEqual({
      q: "headphones",
      limit: "4",
      category: "audio",
      max_price: "99.5",
      in_stock_only: "true",
    });
    // The backend ignored in_stock_only; the tool still drops the sold-out product.
    const body = content(result) as unknown as SearchBody;
    expect(body.results.map((r) => r.sku)).toEqual(["X-1"]);
    expect(body.total_matches).toBe(2);
  });

  it("accepts any category when the backend cannot list them", async () => {
    backend.setHandler(() => ({ status: 200, body: { products: [] } }));
    const { registry } = httpRegistry();
    const result = await registry.run(search({ query: "anything", category: "garden" }), toolContext());
    expect(result.ok).toBe(true);
    expect((content(result) as unknown as SearchBody).results).toEqual([]);
  });

  it("reports a backend error for an HTTP failure or an answer that breaks the contract", async () => {
    const { registry } = httpRegistry();
    backend.setHandler(() => ({ status: 503, body: { error: "maintenance" } }));
    const down = await registry.run(search({ query: "headphones" }), toolContext());
    expect(content(down)).toEqual({
      error: "backend_error",
      message: "The product catalog failed (HTTP 503).",
    });

    backend.setHandler(() => ({ status: 200, body: { products: [{ ...headphones, price: "cheap" }] } }));
    const broken = await registry.run(search({ query: "headphones" }), toolContext());
    expect(content(broken)).toMatchObject({ error: "backend_error" });
  });

  it("times out when the backend is too slow", async () => {
    backend.setHandler(() => ({ status: 200, body: { products: [headphones] } }));
    backend.setDelay(2_000);
    const { registry } = httpRegistry(150);
    const result = await registry.run(search({ query: "headphones" }), toolContext());
    expect(content(result)).toMatchObject({ error: "timeout" });
  });
});
