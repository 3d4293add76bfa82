/**
 * The product shape shared by the bundled catalog and the HTTP backend (`PRODUCTS_URL`), and
 * the interface both backends implement.
 */
import { z } from "zod";

export const productSchema = z.object({
  sku: z.string().min(1),
  name: z.string().min(1),
  description: z.string(),
  category: z.string().min(1),
  price: z.number().nonnegative(),
  /** ISO 4217 code, e.g. "USD". */
  currency: z.string().length(3),
  /** Units available now; 0 means out of stock. */
  stock: z.number().int().nonnegative(),
  url: z.url(),
});

export type Product = z.output<typeof productSchema>;

export interface ProductQuery {
  query: string;
  /** Lower-case category slug, e.g. "audio". */
  category?: string | undefined;
  maxPrice?: number | undefined;
  inStockOnly: boolean;
  limit: number;
}

export interface ProductSearchResult {
  /** Best first, at most `limit`. */
  products: Product[];
  /** Matches before the limit was applied, when the backend knows it. */
  total?: number | undefined;
  /** "all_terms" when every query word matched; "some_terms" for a looser fallback. */
  match?: "all_terms" | "some_terms" | undefined;
}

export interface ProductBackend {
  readonly kind: "bundled" | "http";
  /** Known categories (for the model's schema description), when the backend can list them. */
  categories(): string[] | undefined;
  search(query: ProductQuery, signal: AbortSignal): Promise<ProductSearchResult>;
}

/** "Smart Home" and "smart_home" both mean the "smart-home" category. */
export function normalizeCategory(category: string): string {
  return category
    .trim()
    .toLowerCase()
    .replace(/[\s_]+/g, "-");
}
