/**
 * The catalog that ships with the project (src/tools/data/products.json), indexed in memory
 * with MiniSearch: BM25 ranking, prefix matches ("head" finds headphones) and typo tolerance
 * ("hedphones"). The index is built once and only read afterwards, so concurrent searches are safe.
 */
import MiniSearch, { type SearchResult } from "minisearch";
import bundledProducts from "../data/products.json" with { type: "json" };
import {
  normalizeCategory,
  type Product,
  type ProductBackend,
  type ProductQuery,
  type ProductSearchResult,
  productSchema,
} from "./catalog.js";

/**
 * Edit distance allowed as a share of the term length (MiniSearch's `fuzzy`): 0.2 lets a
 * 5-9 letter word have one typo and a 10+ letter word two, without "case" matching "cable".
 */
const FUZZY_RATIO = 0.2;
/** Field boosts: a word in the name says more than the same word in the description. */
const BOOST = { name: 3, category: 2, sku: 2, description: 1 };
/** Words that carry no product meaning in a shopper's query. */
const STOP_WORDS = new Set(
  "a an and any are best buy can cheap for from good have i in is it looking me my need of on or please show some something that the to want with you your".split(
    " ",
  ),
);

/** Queries shorter than this must match every word. */
const MIN_TERMS_FOR_PARTIAL_MATCH = 3;

const tokenize = MiniSearch.getDefault("tokenize") as (text: string) => string[];

function processTerm(term: string): string | null {
  const t = term.toLowerCase();
  return STOP_WORDS.has(t) ? null : t;
}

function countTerms(query: string): number {
  return new Set(
    tokenize(query)
      .map(processTerm)
      .filter((t): t is string => t !== null && t !== ""),
  ).size;
}

export class BundledCatalog implements ProductBackend {
  readonly kind = "bundled";
  private readonly products = new Map<string, Product>();
  private readonly index: MiniSearch<Product>;
  private readonly categoryList: string[];

  constructor(products: Product[] = loadBundledProducts()) {
    for (const p of products) this.products.set(p.sku, p);
    this.categoryList = [...new Set(products.map((p) => p.category))].sort();
    this.index = new MiniSearch<Product>({
      idField: "sku",
      fields: ["name", "description", "category", "sku"],
      processTerm,
      searchOptions: { boost: BOOST, prefix: true, fuzzy: FUZZY_RATIO },
    });
    this.index.addAll(products);
  }

  categories(): string[] {
    return this.categoryList;
  }

  async search(q: ProductQuery): Promise<ProductSearchResult> {
    const category = q.category ? normalizeCategory(q.category) : undefined;
    const accepts = (p: Product): boolean =>
      (!category || p.category === category) &&
      (q.maxPrice === undefined || p.price <= q.maxPrice) &&
      (!q.inStockOnly || p.stock > 0);
    const filter = (r: SearchResult): boolean => {
      const p = this.products.get(String(r.id));
      return p !== undefined && accepts(p);
    };
    // A SKU is a lookup, not a search.
    const bySku = this.products.get(q.query.trim().toUpperCase());
    if (bySku && accepts(bySku)) {
      return { products: [bySku], total: 1, match: "all_terms" };
    }
    // Every word first (precise). If that finds nothing, products matching at least half of
    // the words of a longer query ("wireless charger for iphone" finds wireless chargers), but
    // never a single stray word of a short one: "flux capacitor" finds nothing, as it should.
    let match: "all_terms" | "some_terms" = "all_terms";
    let hits = this.index.search(q.query, { combineWith: "AND", filter });
    const terms = countTerms(q.query);
    if (hits.length === 0 && terms >= MIN_TERMS_FOR_PARTIAL_MATCH) {
      match = "some_terms";
      hits = this.index
        .search(q.query, { combineWith: "OR", filter })
        .filter((h) => h.queryTerms.length * 2 >= terms);
    }
    const products = hits
      .slice(0, q.limit)
      .map((h) => this.products.get(String(h.id)))
      .filter((p): p is Product => p !== undefined);
    return { products, total: hits.length, match };
  }
}

function loadBundledProducts(): Product[] {
  // Validated like any backend answer: a bad edit of the data file fails at start-up, loudly.
  return productSchema.array().parse(bundledProducts);
}
