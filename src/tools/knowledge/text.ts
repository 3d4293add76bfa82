/**
 * How help-center text becomes search terms: MiniSearch's tokenizer, lower case, English stop
 * words dropped, then the Porter stemmer so "returns", "returning" and "returned" are one term.
 * The index and the queries use the same function, so they always agree.
 */
import MiniSearch from "minisearch";
import { stemmer } from "stemmer";

/** Words that carry no meaning in a support question ("how do I ..."). */
const STOP_WORDS = new Set(
  (
    "a about after again all am an and any are as at be been before being but by can could did do does doing " +
    "for from had has have having he her here hers him his how i if in into is it its itself just me more most " +
    "my myself no nor not of off on once only or other our ours out over own please same she should so some " +
    "such than that the their theirs them then there these they this those through to too under until up very " +
    "was we were what when where which while who whom why will with would you your yours yourself hi hello " +
    "hey thanks thank get got want need know tell " +
    // Question frames and fillers: "how long does it take", "how many days", "is it possible
    // to do something", "let me know". A word the help center never uses weighs a lot in the
    // coverage score (see passage-index.ts), so filler must not count as a missing topic.
    "long take takes possible let many much something anything thing things way also still yet " +
    "ever really actually just maybe guys okay ok may might must shall us one"
  ).split(" "),
);

const tokenize = MiniSearch.getDefault("tokenize") as (text: string) => string[];

/** One word as the index stores it, or null for a word that is not indexed. */
export function searchTerm(word: string): string | null {
  const lower = word.toLowerCase().replace(/^'+|'+$/g, "");
  if (lower === "" || STOP_WORDS.has(lower)) return null;
  return stemmer(lower);
}

/**
 * Distinct words are few (a help center of 1,000 articles has ~10,000) while word occurrences are
 * many, and stemming dominates indexing time: each index memoizes it. Bounded so a stream of
 * odd queries cannot grow it without limit.
 */
const MAX_MEMO_WORDS = 100_000;

export type TermFunction = (word: string) => string | null;

export function memoizedSearchTerm(): TermFunction {
  const memo = new Map<string, string | null>();
  return (word) => {
    let term = memo.get(word);
    if (term === undefined) {
      term = searchTerm(word);
      if (memo.size >= MAX_MEMO_WORDS) memo.clear();
      memo.set(word, term);
    }
    return term;
  };
}

/** The distinct terms of a text (a query or a passage), in order of first appearance. */
export function searchTerms(text: string, term: TermFunction = searchTerm): string[] {
  const terms = new Set<string>();
  for (const word of tokenize(text)) {
    const t = term(word);
    if (t !== null) terms.add(t);
  }
  return [...terms];
}

export { tokenize };
