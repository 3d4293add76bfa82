/**
 * Token counting with the model's own BPE (`tiktoken`, OpenAI's tokenizer compiled to
 * WebAssembly), so the history trimmer and the budget see the numbers OpenAI bills. The rank
 * tables live in WebAssembly memory, not on the JavaScript heap: a pure-JS tokenizer would add
 * ~70 MB that every major garbage collection has to mark (a latency tail on every turn).
 */
import { get_encoding, type Tiktoken } from "tiktoken";
import type { TokenCounter } from "../core/ports.js";
import type { ModelMessage } from "../core/types.js";
import { Lru } from "../lru.js";
import { imageCostFor, imageTokens } from "./image-tokens.js";

export type EncodingName = "o200k_base" | "cl100k_base";

/**
 * OpenAI's accounting for chat messages (openai-cookbook, "How to count tokens with tiktoken"):
 * every message costs 3 tokens of framing (<|start|>role...<|message|>...<|end|>), a `name`
 * 1 more, and every reply is primed with 3 (<|start|>assistant<|message|>).
 */
const TOKENS_PER_MESSAGE = 3;
const TOKENS_PER_NAME = 1;
const REPLY_PRIMING_TOKENS = 3;
/**
 * Framing of one tool call in an assistant message (id, type, JSON punctuation). OpenAI does not
 * publish it; 3 matches the per-message framing and keeps the estimate on the safe side.
 */
const TOKENS_PER_TOOL_CALL = 3;

/**
 * Texts shorter than this (roles, names, tool names) stay out of the LRU: they are one or two
 * pieces, already kept in the piece table (see `pieceCounter`).
 */
const CACHE_MIN_CHARS = 16;
/**
 * Pieces (see `PIECE_PATTERNS`) up to this long have their counts kept in a table; a longer one
 * (a run of digits or symbols, a base64 blob) is rare and not worth keeping.
 */
const PIECE_MAX_CHARS = 40;
/**
 * Bound of the piece table (one per encoding, shared by its counters), emptied when full: words,
 * numbers, punctuation; ~30,000 covers the vocabulary of a busy workspace in ~2-3 MB of heap.
 */
const PIECE_TABLE_MAX_ENTRIES = 30_000;
/** Bounds of the per-counter cache: a few thousand history entries of busy threads. */
export const TOKEN_CACHE_MAX_ENTRIES = 20_000;
/** ~16 MB of UTF-16 keys at most. */
const CACHE_MAX_CHARS = 8_000_000;

/** Which encoding a model uses. Gateways prefix models ("openai/gpt-4o"); fine-tunes are "ft:gpt-4o:...". */
export function encodingForModel(model: string): EncodingName {
  const name = model.toLowerCase().replace(/^ft:/, "").replace(/^.*\//, "");
  if (/^(gpt-4o|gpt-4\.1|gpt-4\.5|gpt-5|gpt-oss|o1|o3|o4|chatgpt-4o)/.test(name)) return "o200k_base";
  if (/^(gpt-4|gpt-3\.5|gpt-35|text-embedding)/.test(name)) return "cl100k_base";
  // Unknown models (Llama, Qwen, Mistral behind a compatible server) have their own tokenizers,
  // which we do not ship; o200k_base, the current OpenAI encoding, is usually within ~10-20% of them.
  return "o200k_base";
}

/**
 * Rust's `\s` (Unicode White_Space), which tiktoken's patterns use. JavaScript's `\s` differs
 * in two characters: it takes U+FEFF and leaves out U+0085.
 */
const WHITE = "\\t\\n\\v\\f\\r \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000";
/** `(?i:'s|'t|'re|'ve|'m|'ll|'d)`, spelled out: Node 20 has no inline flags (ſ folds to s). */
const CONTRACTION = "'(?:[sS\\u017f]|[tT]|[rR][eE]|[vV][eE]|[mM]|[lL][lL]|[dD])";
const UPPER = "[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]";
const LOWER = "[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]";

/**
 * Each encoding's pre-tokenization pattern (tiktoken's `pat_str`) as a JavaScript expression.
 * BPE encodes every piece this splits a text into on its own, so a text's count is the sum of
 * its pieces' counts, and a piece seen before (a word, a number, punctuation) is counted by a
 * table lookup. Asking the encoder for a whole text instead cost 20 µs for a one-line question
 * on a quiet process and ~90 µs in the busy one of `bench -- core` (the encoder's tables are cold
 * by the time the next question comes): ~10% of a turn's CPU. Checked against the encoder itself
 * on every text in tokens.test.ts (help articles, code, random Unicode).
 */
const PIECE_PATTERNS: Record<EncodingName, RegExp> = {
  o200k_base: new RegExp(
    [
      `[^\\r\\n\\p{L}\\p{N}]?${UPPER}*${LOWER}+(?:${CONTRACTION})?`,
      `[^\\r\\n\\p{L}\\p{N}]?${UPPER}+${LOWER}*(?:${CONTRACTION})?`,
      "\\p{N}{1,3}",
      ` ?[^${WHITE}\\p{L}\\p{N}]+[\\r\\n/]*`,
      `[${WHITE}]*[\\r\\n]+`,
      `[${WHITE}]+(?![^${WHITE}])`,
      `[${WHITE}]+`,
    ].join("|"),
    "gu",
  ),
  cl100k_base: new RegExp(
    [
      CONTRACTION,
      "[^\\r\\n\\p{L}\\p{N}]?\\p{L}+",
      "\\p{N}{1,3}",
      ` ?[^${WHITE}\\p{L}\\p{N}]+[\\r\\n]*`,
      `[${WHITE}]*[\\r\\n]+`,
      `[${WHITE}]+(?![^${WHITE}])`,
      `[${WHITE}]+`,
    ].join("|"),
    "gu",
  ),
};

/** Each encoding's piece counter, made once (see `PIECE_PATTERNS`). */
const pieceCounters = new Map<EncodingName, (text: string) => number>();

/**
 * Counts texts in the encoding piece by piece (see `PIECE_PATTERNS`), keeping each short piece's
 * count in a table shared by every counter of the encoding.
 */
export function pieceCounter(encoding: EncodingName): (text: string) => number {
  let counter = pieceCounters.get(encoding);
  if (counter) return counter;
  const encoder = encoderFor(encoding);
  const pattern = PIECE_PATTERNS[encoding];
  const table = new Map<string, number>();
  counter = (text: string): number => {
    let total = 0;
    pattern.lastIndex = 0;
    for (let match = pattern.exec(text); match !== null; match = pattern.exec(text)) {
      const piece = match[0];
      if (piece.length > PIECE_MAX_CHARS) {
        total += encoder.encode_ordinary(piece).length;
        continue;
      }
      let tokens = table.get(piece);
      if (tokens === undefined) {
        tokens = encoder.encode_ordinary(piece).length;
        if (table.size >= PIECE_TABLE_MAX_ENTRIES) table.clear();
        table.set(piece, tokens);
      }
      total += tokens;
    }
    return total;
  };
  pieceCounters.set(encoding, counter);
  return counter;
}

// Building an encoder takes ~0.15 s, so each encoding is built once per process, on first use,
// and shared (never freed: it lives as long as the process). It is immutable afterwards: no state
// leaks between counters or requests.
const encoders = new Map<EncodingName, Tiktoken>();

function encoderFor(encoding: EncodingName): Tiktoken {
  let encoder = encoders.get(encoding);
  if (!encoder) {
    encoder = get_encoding(encoding);
    encoders.set(encoding, encoder);
  }
  return encoder;
}

export interface CountingTokenCounter extends TokenCounter {
  readonly encoding: EncodingName;
}

export function createTokenCounter(model: string): CountingTokenCounter {
  const encoding = encodingForModel(model);
  const imageCost = imageCostFor(model);
  // Least-recently-used cache of text -> tokens. The same history entries are counted on every
  // turn of a thread, and encoding is ~100x slower than a Map lookup.
  const cache = new Lru<string, number>();
  let cachedChars = 0;

  // Built now (the encoder with it), not on the first count: it belongs to start-up, not to
  // someone's first turn. User text may contain "<|endoftext|>": ordinary text here.
  const encode = pieceCounter(encoding);

  /** Cache a count, then drop the least recently used entries while over the cache's bounds. */
  const keep = (text: string, tokens: number): void => {
    cache.set(text, tokens);
    cachedChars += text.length;
    while (cache.size > TOKEN_CACHE_MAX_ENTRIES || cachedChars > CACHE_MAX_CHARS) {
      const oldest = cache.shift();
      if (!oldest) break;
      cachedChars -= oldest.key.length;
    }
  };

  const remember = (text: string, tokens: number): void => {
    if (text.length >= CACHE_MIN_CHARS && text.length <= CACHE_MAX_CHARS / 4 && !cache.has(text))
      keep(text, tokens);
  };

  const count = (text: string): number => {
    if (text.length < CACHE_MIN_CHARS) return text === "" ? 0 : encode(text);
    const hit = cache.get(text);
    if (hit !== undefined) return hit;
    const tokens = encode(text);
    if (text.length <= CACHE_MAX_CHARS / 4) keep(text, tokens);
    return tokens;
  };

  const countMessages = (messages: ModelMessage[]): number => {
    let total = REPLY_PRIMING_TOKENS;
    for (const m of messages) {
      total += TOKENS_PER_MESSAGE + count(m.role);
      switch (m.role) {
        case "system":
        case "tool":
          total += count(m.content);
          break;
        case "user":
          total += count(m.content);
          if (m.name) total += count(m.name) + TOKENS_PER_NAME;
          for (const part of m.parts ?? []) {
            total +=
              part.type === "text"
                ? count(part.text)
                : imageTokens(part.width, part.height, part.detail, imageCost);
          }
          break;
        case "assistant":
          if (m.content) total += count(m.content);
          for (const call of m.toolCalls ?? []) {
            total += TOKENS_PER_TOOL_CALL + count(call.name) + count(call.arguments);
          }
          break;
      }
    }
    return total;
  };

  return { encoding, count, countMessages, remember };
}
