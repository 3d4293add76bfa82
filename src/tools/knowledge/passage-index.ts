/**
 * The search index over help passages: BM25 full text (MiniSearch, as the product catalog uses)
 * and, when passage vectors are given, embedding similarity fused with it by reciprocal rank
 * fusion. Built once from a list of articles and only read afterwards; a re-index builds a new
 * one and swaps it in, so searches never see half an index.
 *
 * "Covered" is decided per result by how much of the question it answers: the share of the
 * question's terms, weighted by how rare each term is (IDF), that the passage matches (typos
 * and prefixes count; see KNOWN_MISSING_WEIGHT for the terms it lacks). A question whose
 * distinctive words appear nowhere ("engraving") stays below the threshold even when its common
 * words ("headphones") match.
 */
import MiniSearch from "minisearch";
import type { Article, Passage } from "./article.js";
import { memoizedSearchTerm, searchTerms, type TermFunction } from "./text.js";

/** Field boosts: words in a title or heading say more about a passage than the same word in its text. */
const BOOST = { title: 2, headings: 1.5, keywords: 1.5, text: 1 };
/** Typos allowed as a share of the term length: one in a 5-9 letter word, two in a 10+ letter one. */
const FUZZY_RATIO = 0.2;
/** Terms this long or longer also match as a prefix ("insur" finds "insurance"). */
const MIN_PREFIX_CHARS = 4;
/** Passages indexed between two yields to the event loop (a few milliseconds of work each). */
const INDEX_CHUNK = 50;
/** Candidates taken from each ranking before fusion; far more than any caller shows. */
const CANDIDATES = 50;
/**
 * Reciprocal rank fusion constant (Cormack et al., 2009, use 60): large enough that the top few
 * ranks of one list do not drown the other list.
 */
const RRF_K = 60;
/**
 * A result answers the question when it matches at least this share of the question's weight.
 * Chosen with `npm run bench -- knowledge` on the bundled help center (docs/knowledge-base.md has
 * the table): at 0.35, 86% of covered questions keep their article and 80% of uncovered ones find
 * nothing; 0.3 keeps 92% but lets 40% of uncovered questions through.
 */
export const MIN_COVERAGE = 0.35;
/**
 * A question word the passage lacks but other articles use ("bought last week") counts this much
 * of its weight against the passage: usually context, not the topic. A word no article uses
 * ("hiring", "engrave") counts fully: it is most likely what the question is about.
 */
const KNOWN_MISSING_WEIGHT = 0.5;
/**
 * With embeddings, a result whose cosine similarity to the question is at least this also counts
 * as covered (wording entirely different from the article's). Typical for OpenAI's
 * text-embedding-3 models: unrelated texts score 0.1-0.3, paraphrases above 0.5.
 */
export const MIN_SIMILARITY = 0.5;

export interface SearchHit {
  passage: Passage;
  /** How much of the question this passage matches, 0..1 (IDF-weighted, see MIN_COVERAGE). */
  coverage: number;
  /** Cosine similarity to the question, when embeddings are in use. */
  similarity?: number;
  /** Passes MIN_COVERAGE (or MIN_SIMILARITY). */
  covered: boolean;
}

export interface SearchOptions {
  limit: number;
  /** The question's embedding (unit length); fuses vector ranking in when the index has vectors. */
  queryVector?: Float32Array | undefined;
  /** Return uncovered results too (the benchmark ranks them); default false. */
  includeUncovered?: boolean;
}

export class PassageIndex {
  readonly passages: Passage[];
  readonly articleCount: number;
  private readonly search: MiniSearch<IndexedPassage>;
  /** Passages containing each term (document frequency), for IDF weights. */
  private readonly df = new Map<string, number>();
  private vectors: (Float32Array | undefined)[] = [];
  private readonly term: TermFunction = memoizedSearchTerm();

  /**
   * Index `articles`, yielding to the event loop between chunks so a large help center does not
   * stall requests being served meanwhile.
   */
  static async build(articles: Article[]): Promise<PassageIndex> {
    const index = new PassageIndex(articles);
    await index.search.addAllAsync(index.docs(), { chunkSize: INDEX_CHUNK });
    for (let at = 0; at < index.passages.length; at += INDEX_CHUNK) {
      index.countTerms(index.passages.slice(at, at + INDEX_CHUNK));
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    return index;
  }

  private constructor(articles: Article[]) {
    this.articleCount = articles.length;
    this.passages = articles.flatMap((a) => a.passages);
    this.search = new MiniSearch<IndexedPassage>({
      idField: "n",
      fields: ["title", "headings", "keywords", "text"],
      processTerm: this.term,
      searchOptions: {
        boost: BOOST,
        fuzzy: (term) => (term.length >= 5 ? FUZZY_RATIO : false),
        prefix: (term) => term.length >= MIN_PREFIX_CHARS,
      },
    });
  }

  private countTerms(passages: Passage[]): void {
    for (const p of passages) {
      const text = `${p.title} ${p.headings.join(" ")} ${p.keywords} ${p.text}`;
      for (const term of searchTerms(text, this.term)) this.df.set(term, (this.df.get(term) ?? 0) + 1);
    }
  }

  private docs(): IndexedPassage[] {
    return this.passages.map((p, n) => ({
      n,
      title: p.title,
      headings: p.headings.join(" "),
      keywords: p.keywords,
      text: p.text,
    }));
  }

  /** Attach unit-length passage vectors (same order as `passages`); fused ranking from now on. */
  setVectors(vectors: (Float32Array | undefined)[]): void {
    this.vectors = vectors;
  }

  get hasVectors(): boolean {
    return this.vectors.some((v) => v !== undefined);
  }

  query(question: string, opts: SearchOptions): SearchHit[] {
    const terms = searchTerms(question, this.term);
    const weights = new Map(terms.map((t) => [t, this.idf(t)]));
    const lexical =
      terms.length === 0 ? [] : this.search.search(question, { combineWith: "OR" }).slice(0, CANDIDATES);
    const coverage = new Map<number, number>();
    const weighted: [number, number][] = [];
    for (const hit of lexical) {
      let matched = 0;
      const got = new Set(hit.queryTerms);
      for (const t of got) matched += weights.get(t) ?? 0;
      let missing = 0;
      for (const [t, w] of weights) {
        if (!got.has(t)) missing += (this.df.get(t) ?? 0) > 0 ? w * KNOWN_MISSING_WEIGHT : w;
      }
      const share = matched + missing > 0 ? matched / (matched + missing) : 0;
      coverage.set(hit.id as number, share);
      // BM25 alone favours a passage that repeats one of the words; weighting by coverage puts
      // passages that answer the whole question first.
      weighted.push([hit.id as number, hit.score * share]);
    }
    weighted.sort((a, b) => b[1] - a[1]);

    const similarity = new Map<number, number>();
    let ranked: number[] = weighted.map(([n]) => n);
    if (opts.queryVector && this.hasVectors) {
      const byVector = this.nearest(opts.queryVector, similarity);
      const fused = new Map<number, number>();
      for (const list of [ranked, byVector]) {
        list.forEach((n, rank) => {
          fused.set(n, (fused.get(n) ?? 0) + 1 / (RRF_K + rank + 1));
        });
      }
      ranked = [...fused.entries()].sort((a, b) => b[1] - a[1]).map(([n]) => n);
    }

    const hits: SearchHit[] = [];
    for (const n of ranked) {
      const cov = coverage.get(n) ?? 0;
      const sim = similarity.get(n);
      const covered = cov >= MIN_COVERAGE || (sim !== undefined && sim >= MIN_SIMILARITY);
      if (!covered && !opts.includeUncovered) continue;
      hits.push({
        passage: this.passages[n]!,
        coverage: cov,
        ...(sim !== undefined ? { similarity: sim } : {}),
        covered,
      });
      if (hits.length >= opts.limit) break;
    }
    return hits;
  }

  /** Passage numbers by cosine similarity to `q`, best first (CANDIDATES of them). */
  private nearest(q: Float32Array, out: Map<number, number>): number[] {
    const scored: [number, number][] = [];
    this.vectors.forEach((v, n) => {
      if (!v || v.length !== q.length) return;
      let dot = 0;
      for (let i = 0; i < v.length; i++) dot += v[i]! * q[i]!;
      scored.push([n, dot]);
    });
    scored.sort((a, b) => b[1] - a[1]);
    const top = scored.slice(0, CANDIDATES);
    for (const [n, s] of top) out.set(n, s);
    return top.map(([n]) => n);
  }

  /** BM25's IDF; a term no passage contains weighs the most (it is what the question is about). */
  private idf(term: string): number {
    const n = this.passages.length;
    const df = this.df.get(term) ?? 0;
    return Math.log(1 + (n - df + 0.5) / (df + 0.5));
  }
}

interface IndexedPassage {
  n: number;
  title: string;
  headings: string;
  keywords: string;
  text: string;
}

/** Scale a vector to unit length, so cosine similarity is a dot product. */
export function unitVector(v: ArrayLike<number>): Float32Array {
  let norm = 0;
  for (let i = 0; i < v.length; i++) norm += v[i]! * v[i]!;
  const scale = norm > 0 ? 1 / Math.sqrt(norm) : 0;
  const out = new Float32Array(v.length);
  for (let i = 0; i < v.length; i++) out[i] = v[i]! * scale;
  return out;
}
