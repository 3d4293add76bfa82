import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { get_encoding } from "tiktoken";
import { describe, expect, it } from "vitest";
import type { ModelMessage } from "../../src/core/types.js";
import { createTokenCounter, encodingForModel, pieceCounter } from "../../src/llm/tokens.js";

describe("token counter", () => {
  const counter = createTokenCounter("gpt-4o-mini");

  it("counts known texts like OpenAI's tokenizer does", () => {
    expect(counter.count("hello world")).toBe(2);
    // The openai-cookbook example "How to count tokens with tiktoken".
    expect(createTokenCounter("gpt-4").count("tiktoken is great!")).toBe(6);
    expect(counter.count("")).toBe(0);
  });

  it("uses the encoding of the model family", () => {
    expect(encodingForModel("gpt-4o-mini")).toBe("o200k_base");
    expect(encodingForModel("gpt-4.1-nano")).toBe("o200k_base");
    expect(encodingForModel("gpt-5")).toBe("o200k_base");
    expect(encodingForModel("o3-mini")).toBe("o200k_base");
    expect(encodingForModel("chatgpt-4o-latest")).toBe("o200k_base");
    expect(encodingForModel("openai/gpt-4o")).toBe("o200k_base");
    expect(encodingForModel("ft:gpt-4o-mini:acme::abc123")).toBe("o200k_base");
    expect(encodingForModel("gpt-4-turbo")).toBe("cl100k_base");
    expect(encodingForModel("gpt-3.5-turbo")).toBe("cl100k_base");
    expect(encodingForModel("text-embedding-3-small")).toBe("cl100k_base");
    expect(encodingForModel("llama3.1:8b")).toBe("o200k_base");
    // Cyrillic is where the two encodings differ most.
    expect(createTokenCounter("gpt-4o").count("Привет, как дела?")).toBeLessThan(
      createTokenCounter("gpt-3.5-turbo").count("Привет, как дела?"),
    );
  });

  it("treats special-token text in user messages as ordinary text", () => {
    expect(counter.count("<|endoftext|>")).toBeGreaterThan(1);
  });

  it("adds OpenAI's per-message framing and reply priming", () => {
    // 3 (framing) + 1 ("user") + 2 ("hello world") + 3 (reply priming).
    expect(counter.countMessages([{ role: "user", content: "hello world" }])).toBe(9);
    // A name costs its tokens plus one.
    expect(counter.countMessages([{ role: "user", content: "hello world", name: "ana" }])).toBe(
      9 + counter.count("ana") + 1,
    );
    expect(counter.countMessages([])).toBe(3);
  });

  it("counts tool calls by name and arguments, and tool results by content", () => {
    const args = '{"location":"Paris","unit":"celsius"}';
    const withCall: ModelMessage[] = [
      {
        role: "assistant",
        content: null,
        toolCalls: [{ id: "call_1", name: "get_weather", arguments: args }],
      },
    ];
    const bare: ModelMessage[] = [{ role: "assistant", content: null }];
    const extra = counter.countMessages(withCall) - counter.countMessages(bare);
    expect(extra).toBeGreaterThanOrEqual(counter.count("get_weather") + counter.count(args));

    const result: ModelMessage[] = [
      { role: "tool", toolCallId: "call_1", name: "get_weather", content: '{"temperature":18}' },
    ];
    expect(counter.countMessages(result)).toBe(
      3 + counter.count("tool") + counter.count('{"temperature":18}') + 3,
    );
  });

  it("takes a count made elsewhere (the model server's) for a text, and uses it from then on", () => {
    const fresh = createTokenCounter("gpt-4o-mini");
    const answer = "An answer the server counted as a different number of tokens than we would.";
    fresh.remember?.(answer, 99);
    expect(fresh.count(answer)).toBe(99);
    // A text counted already keeps its own count.
    const known = "A text this counter has already counted itself, once.";
    const own = fresh.count(known);
    fresh.remember?.(known, own + 50);
    expect(fresh.count(known)).toBe(own);
  });

  it("gives the same counts when a long history is counted again (cached)", () => {
    const history: ModelMessage[] = Array.from({ length: 200 }, (_, i) => ({
      role: i % 2 === 0 ? ("user" as const) : ("assistant" as const),
      content: `Message number ${i}: ${"some words about orders and weather ".repeat(10)}`,
    }));
    const first = counter.countMessages(history);
    const second = counter.countMessages(history);
    const fresh = createTokenCounter("gpt-4o-mini").countMessages(structuredClone(history));
    expect(second).toBe(first);
    expect(fresh).toBe(first);
  });

  it("counts short texts (roles, names) the same the first time, again, and past the table's bound", () => {
    const shorts = [
      "user",
      "assistant",
      "Ana_Maria",
      "get_weather",
      "a b c",
      "héllo wörld",
      "12345678901234",
    ];
    const names = Array.from({ length: 1_500 }, (_, i) => `name_${i}`);
    const direct = get_encoding("o200k_base");
    const expected = (text: string) => direct.encode_ordinary(text).length;
    const counter = createTokenCounter("gpt-4o-mini");
    for (let round = 0; round < 2; round++) {
      for (const text of [...shorts, ...names]) expect(counter.count(text), text).toBe(expected(text));
    }
    direct.free();
  });
});

describe("counting piece by piece", () => {
  /** Every text file under a folder (the shipped help articles, the prompts' sources). */
  const filesUnder = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
      const path = join(dir, entry.name);
      return entry.isDirectory() ? filesUnder(path) : [readFileSync(path, "utf8")];
    });
  /** Deterministic texts from characters where the encodings' patterns have edges. */
  const awkwardTexts = (count: number): string[] => {
    const parts = [
      "a",
      "Z",
      "é",
      "É",
      "ß",
      "İ",
      "ı",
      "ſ",
      "K",
      "ǅ",
      "ʰ",
      "ⅰ",
      "𝔘",
      "'",
      "'s",
      "'S",
      "'ſ",
      "'ll",
      "'LL",
      "'Re",
      "'ve",
      "'d",
      "’s",
      " ",
      "  ",
      "\t",
      "\n",
      "\r\n",
      "\r",
      "\v",
      "\f",
      "\x85",
      "\xa0",
      "\u2003",
      "\u3000",
      "\ufeff",
      "\u200b",
      "\u200d",
      "0",
      "7",
      "1234",
      "٣",
      "½",
      "Ⅻ",
      "中",
      "日本",
      "한국어",
      "🙂",
      "👍🏽",
      "\u0301",
      "a\u0301",
      "\u0627\u0644",
      "-",
      "/",
      "//",
      "\\",
      "...",
      ",",
      "!?",
      "{",
      "}",
      "$",
      "€",
      "_",
      "#",
      "<|endoftext|>",
      "Привет",
    ];
    let seed = 7;
    const next = (n: number) => {
      seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
      return seed % n;
    };
    return Array.from({ length: count }, () =>
      Array.from({ length: 1 + next(30) }, () => parts[next(parts.length)]).join(""),
    );
  };
  const texts = [
    ...filesUnder(join(import.meta.dirname, "../../src/tools/knowledge/help-center")),
    readFileSync(join(import.meta.dirname, "../../src/core/prompts.ts"), "utf8"),
    readFileSync(join(import.meta.dirname, "../../README.md"), "utf8"),
    ...awkwardTexts(3_000),
  ];

  it.each(["o200k_base", "cl100k_base"] as const)(
    "gives the encoder's own count for every text (%s)",
    (name) => {
      const encoder = get_encoding(name);
      const byPieces = pieceCounter(name);
      try {
        const differ = texts.filter((text) => byPieces(text) !== encoder.encode_ordinary(text).length);
        expect(differ).toEqual([]);
        // And again, now from the table of pieces seen.
        expect(texts.slice(0, 50).map(byPieces)).toEqual(
          texts.slice(0, 50).map((t) => encoder.encode_ordinary(t).length),
        );
      } finally {
        encoder.free();
      }
    },
  );
});
