/**
 * search_products: ranked, short product results from the catalog backend. No match is an
 * answer too ("we do not carry that"), returned as an empty list with a note, not an error.
 */
import { z } from "zod";
import { defineTool, ToolFailure } from "../tool.js";
import { normalizeCategory, type Product, type ProductBackend } from "./catalog.js";

/** Results returned when the model does not ask for a number: enough to compare, short to read. */
export const DEFAULT_PRODUCT_LIMIT = 5;
/** Upper bound on results: more than ten is a catalog dump, not an answer. */
export const MAX_PRODUCT_LIMIT = 10;
/** Description characters per result: one line is enough to tell products apart. */
const SUMMARY_CHARS = 140;

export function createProductSearchTool(backend: ProductBackend) {
  const categories = backend.categories();
  const argsSchema = z.strictObject({
    query: z
      .string()
      .trim()
      .min(1)
      .max(200)
      .describe(
        'What the customer is looking for in a few words: product type, brand or feature, e.g. "noise cancelling headphones".',
      ),
    category: z
      .string()
      .trim()
      .min(1)
      .max(60)
      .nullish()
      .describe(
        categories
          ? `Only products of this category. One of: ${categories.join(", ")}. Null for all categories.`
          : 'Only products of this category (a category slug such as "audio"). Null for all categories.',
      ),
    max_price: z
      .number()
      .positive()
      .nullish()
      .describe("Highest price the customer wants to pay, in the catalog currency (USD). Null for no limit."),
    in_stock_only: z
      .boolean()
      .nullish()
      .describe("True to show only products that can ship now. Null means false."),
    limit: z
      .number()
      .int()
      .min(1)
      .max(MAX_PRODUCT_LIMIT)
      .nullish()
      .describe(`How many results, 1 to ${MAX_PRODUCT_LIMIT}. Null means ${DEFAULT_PRODUCT_LIMIT}.`),
  });

  return defineTool({
    name: "search_products",
    description:
      "Search the shop's product catalog. Returns the best matches first with name, SKU, price, stock and a link. Use it for any question about products, prices or availability; never invent products, prices or stock. An empty result means the shop has no matching product: say so and suggest a broader search.",
    statusText: "searching products...",
    schema: argsSchema,
    async run(args, ctx) {
      const category = args.category ? normalizeCategory(args.category) : undefined;
      if (category && categories && !categories.includes(category)) {
        throw new ToolFailure(
          "invalid_arguments",
          `There is no category "${args.category}". Use one of the listed categories, or null.`,
          {
            reason: "unknown_category",
            fields: [{ field: "category", problem: "unknown category" }],
            categories,
          },
        );
      }
      const limit = args.limit ?? DEFAULT_PRODUCT_LIMIT;
      const found = await backend.search(
        {
          query: args.query,
          category,
          maxPrice: args.max_price ?? undefined,
          inStockOnly: args.in_stock_only ?? false,
          limit,
        },
        ctx.signal,
      );
      const results = found.products.slice(0, limit).map(summarize);
      return {
        query: args.query,
        filters: {
          category: category ?? null,
          max_price: args.max_price ?? null,
          in_stock_only: args.in_stock_only ?? false,
        },
        results,
        ...(found.total !== undefined ? { total_matches: found.total } : {}),
        ...(found.match === "some_terms" && results.length > 0
          ? {
              note: "No product matched every word; these match some of them. Say they are the closest matches.",
            }
          : {}),
        ...(results.length === 0
          ? {
              note: "No products match. Tell the user the shop has no such product; suggest broader words or fewer filters.",
            }
          : {}),
      };
    },
  });
}

function summarize(p: Product) {
  return {
    sku: p.sku,
    name: p.name,
    category: p.category,
    price: p.price,
    currency: p.currency,
    in_stock: p.stock > 0,
    stock: p.stock,
    summary:
      p.description.length > SUMMARY_CHARS
        ? `${p.description.slice(0, SUMMARY_CHARS - 1).trimEnd()}…`
        : p.description,
    url: p.url,
  };
}
