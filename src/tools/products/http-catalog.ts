/**
 * Products from an HTTP backend (`PRODUCTS_URL`). Contract (documented in docs/tools.md):
 *
 *   GET {PRODUCTS_URL}?q=<text>&limit=<n>[&category=<slug>][&max_price=<number>][&in_stock_only=true]
 *   200 {"products": [Product, ...], "total"?: number}   best match first
 *
 * The answer is validated with zod. Filters are re-applied here, so a backend that ignores one
 * still cannot show the user an out-of-stock or over-budget product they excluded.
 */
import { z } from "zod";
import { type FetchLike, getJson } from "../http.js";
import {
  normalizeCategory,
  type ProductBackend,
  type ProductQuery,
  type ProductSearchResult,
  productSchema,
} from "./catalog.js";

const responseSchema = z.object({
  products: z.array(productSchema),
  total: z.number().int().nonnegative().optional(),
});

export class HttpCatalog implements ProductBackend {
  readonly kind = "http";

  constructor(private readonly opts: { url: string; fetch: FetchLike }) {}

  categories(): undefined {
    return undefined;
  }

  async search(q: ProductQuery, signal: AbortSignal): Promise<ProductSearchResult> {
    const url = new URL(this.opts.url);
    url.searchParams.set("q", q.query);
    url.searchParams.set("limit", String(q.limit));
    const category = q.category ? normalizeCategory(q.category) : undefined;
    if (category) url.searchParams.set("category", category);
    if (q.maxPrice !== undefined) url.searchParams.set("max_price", String(q.maxPrice));
    if (q.inStockOnly) url.searchParams.set("in_stock_only", "true");
    const body = await getJson({
      fetch: this.opts.fetch,
      url,
      signal,
      schema: responseSchema,
      service: "the product catalog",
    });
    const products = (body?.products ?? []).filter(
      (p) =>
        (!category || normalizeCategory(p.category) === category) &&
        (q.maxPrice === undefined || p.price <= q.maxPrice) &&
        (!q.inStockOnly || p.stock > 0),
    );
    return { products: products.slice(0, q.limit), total: body?.total };
  }
}
