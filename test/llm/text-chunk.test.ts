import { describe, expect, it } from "vitest";
import { ChunkFormatter } from "../../src/llm/demo/sse.js";
import { CHUNK_START, TEXT_MARKER, textAfterMarkerBytes, textChunk } from "../../src/llm/text-chunk.js";

const fmt = new ChunkFormatter("chatcmpl-1", 1_700_000_000, "gpt-4o-mini");
/** The JSON payload of one of the formatter's SSE frames. */
const payload = (frame: string) => frame.slice("data: ".length).trimEnd();
/** What the reader's consumer reads from a chunk, the same whichever way it was parsed. */
/** The same chunk read as the SSE reader reads it, from the bytes of the network read. */
const fromBytes = (data: string) => {
  const at = data.indexOf(TEXT_MARKER);
  if (!data.startsWith(CHUNK_START) || at === -1) return null;
  const bytes = Buffer.from(`data: ${data}\n\n`);
  const from = Buffer.byteLength(`data: ${data.slice(0, at + TEXT_MARKER.length)}`);
  return textAfterMarkerBytes(bytes, from, bytes.length - 2);
};
const seen = (chunk: unknown) => {
  const c = chunk as { choices?: { delta?: Record<string, unknown>; finish_reason?: unknown }[] };
  return { delta: c.choices?.[0]?.delta, finish: c.choices?.[0]?.finish_reason ?? null };
};

describe("reading a streamed answer's text chunks without a full JSON parse", () => {
  const pieces = [
    " Hello",
    "",
    'she said "hi"',
    "a\\b",
    "line\nbreak\ttab",
    "emoji 🎉 and ünïcødé",
    '\\"',
    "ends with a backslash \\",
    '","logprobs":null,"finish_reason":"stop"}]',
    "\u2028\u0000",
  ];

  for (const piece of pieces) {
    it(`reads ${JSON.stringify(piece)} exactly as JSON.parse does`, () => {
      const data = payload(fmt.content(JSON.stringify(piece)));
      const fast = textChunk(data);
      expect(fast).toBe(piece);
      expect(fromBytes(data)).toBe(piece);
      expect(seen(JSON.parse(data))).toEqual({ delta: { content: fast }, finish: null });
    });
  }

  it("reads OpenAI's own layout, with usage null and the obfuscation field after the choices", () => {
    const data =
      '{"id":"chatcmpl-A","object":"chat.completion.chunk","created":1,"model":"gpt-4o-mini-2024-07-18",' +
      '"service_tier":"default","system_fingerprint":"fp_1","choices":[{"index":0,"delta":{"content":" word"},' +
      '"logprobs":null,"finish_reason":null}],"usage":null,"obfuscation":"Xy"}';
    expect(textChunk(data)).toBe(" word");
    expect(fromBytes(data)).toBe(" word");
    expect(seen(JSON.parse(data)).delta).toEqual({ content: " word" });
  });

  it("leaves every other chunk to the full parser", () => {
    const others = [
      fmt.role(),
      fmt.finish("stop"),
      fmt.toolCall({ index: 0, id: "call_1", name: "get_weather", arguments: '{"city":"Paris"}' }),
      fmt.usage({ prompt_tokens: 10, completion_tokens: 5 }),
      fmt.delta('{"content":"x","refusal":null}'),
      fmt.delta('{"content":"x"}', "length"),
      fmt.delta('{"reasoning_content":"thinking","content":"x"}'),
    ].map(payload);
    others.push('{"error":{"message":"overloaded","type":"server_error"}}');
    // A second choice, a truncated object, a key that only looks like the marker.
    others.push(
      '{"choices":[{"index":0,"delta":{"content":"a"},"logprobs":null,"finish_reason":null},{"index":1,"delta":{"content":"b"},"logprobs":null,"finish_reason":null}]}',
    );
    others.push(
      '{"id":"x","choices":[{"index":0,"delta":{"content":"a"},"logprobs":null,"finish_reason":null}]',
    );
    others.push(
      '{"x\\"choices":[{"index":0,"delta":{"content":"a"},"logprobs":null,"finish_reason":null}],"choices":[]}',
    );
    const text = '{"index":0,"delta":{"content":"a"},"logprobs":null,"finish_reason":null}';
    others.push(`{"id":"x","choices":[${text},${text.replace('"index":0', '"index":1')}]}`);
    others.push(`{"id":"x","choices":[${text}],"usage":{"prompt_tokens":1,"completion_tokens":1}}`);
    others.push(`{"id":"x","choices":[${text}],"extra":1}`);
    for (const data of others) {
      expect(textChunk(data), data).toBeNull();
      expect(fromBytes(data), data).toBeNull();
    }
  });

  it("reads every short token right however often it comes and whatever came before", () => {
    // Short ASCII tokens are decoded once and then looked up by their bytes: tokens that share
    // bytes in another order or length must never come back as each other.
    let seed = 7;
    const random = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const tokens = [" a", "a", "a ", "ab", "ba", "aa", " ab", "~~~~~~", "~~~~~~~", "é", "ü1", 'a"', "\\"];
    for (let i = 0; i < 3_000; i++) {
      const length = 1 + Math.floor(random() * 8);
      tokens.push(Array.from({ length }, () => String.fromCharCode(32 + Math.floor(random() * 95))).join(""));
    }
    for (const round of [1, 2]) {
      for (const token of tokens) {
        const data = payload(fmt.content(JSON.stringify(token)));
        expect(fromBytes(data), `${JSON.stringify(token)}, round ${round}`).toBe(token);
        expect(textChunk(data)).toBe(token);
      }
    }
  });

  it("leaves a text with a broken escape to the full parser, which rejects it", () => {
    const data = payload(fmt.content('"bad \\x escape"'));
    expect(textChunk(data)).toBeNull();
    expect(fromBytes(data)).toBeNull();
    expect(() => JSON.parse(data)).toThrow(SyntaxError);
  });
});
