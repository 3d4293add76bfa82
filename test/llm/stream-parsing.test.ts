import { APIError } from "openai";
import { describe, expect, it } from "vitest";
import { ChunkFormatter } from "../../src/llm/demo/sse.js";
import { retryAfterMsFrom } from "../../src/llm/retry.js";
import { readSseBatches } from "../../src/llm/sse-reader.js";
import { ToolCallAssembler } from "../../src/llm/tool-call-assembler.js";

/** A body delivered in exactly these network reads. */
function body(...reads: (string | Uint8Array)[]): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  return new ReadableStream({
    start(controller) {
      for (const r of reads) controller.enqueue(typeof r === "string" ? encoder.encode(r) : r);
      controller.close();
    },
  });
}

async function readAll(stream: ReadableStream<Uint8Array>): Promise<{ events: unknown[]; batches: number }> {
  const events: unknown[] = [];
  let batches = 0;
  for await (const batch of readSseBatches(stream, new Headers())) {
    batches++;
    events.push(...batch.events);
    if (batch.done) break;
  }
  return { events, batches };
}

describe("SSE reader", () => {
  it("reassembles events split across reads, including a split multi-byte character", async () => {
    const bytes = new TextEncoder().encode('data: {"t":"héllo"}\n\n');
    const cut = bytes.indexOf(0xc3) + 1; // inside "é"
    const { events } = await readAll(body(bytes.slice(0, cut), bytes.slice(cut), 'data: {"t":2}\n\n'));
    expect(events).toEqual([{ t: "héllo" }, { t: 2 }]);
  });

  it("reads the same events wherever the network splits the stream, even a line over three reads", async () => {
    const stream =
      ': hi\r\n\r\ndata: {"a":\r\ndata: 1}\r\n\r\ndata: {"t":"héllo"}\n\ndata: {"b":2}\n\ndata: [DONE]\n\n';
    const bytes = new TextEncoder().encode(stream);
    const expected = [{ a: 1 }, { t: "héllo" }, { b: 2 }];
    for (let i = 1; i < bytes.length; i++) {
      const j = Math.min(bytes.length, i + 3);
      const { events } = await readAll(body(bytes.slice(0, i), bytes.slice(i, j), bytes.slice(j)));
      expect(events, `split at ${i} and ${j}`).toEqual(expected);
    }
  });

  it("skips a byte order mark before the stream, even one split across reads", async () => {
    const bytes = new Uint8Array([0xef, 0xbb, 0xbf, ...new TextEncoder().encode('data: {"a":1}\n\n')]);
    expect((await readAll(body(bytes))).events).toEqual([{ a: 1 }]);
    expect((await readAll(body(bytes.slice(0, 2), bytes.slice(2)))).events).toEqual([{ a: 1 }]);
  });

  it("reads an answer's text chunks in place the same wherever the network splits them", async () => {
    const fmt = new ChunkFormatter("chatcmpl-1", 1_700_000_000, "gpt-4o-mini");
    const pieces = [" Hello", ' "quoted"', " back\\slash", " line\nbreak", " 🎉", " end"];
    let stream = fmt.role();
    for (const [i, piece] of pieces.entries()) {
      stream += fmt.content(JSON.stringify(piece));
      // A chunk of another shape in the middle: the full parser reads it, the text path resumes.
      if (i === 2) stream += fmt.toolCall({ index: 0, id: "call_1", name: "f", arguments: "{}" });
    }
    stream += `${fmt.finish("stop")}data: [DONE]\n\n`;
    const bytes = new TextEncoder().encode(stream);
    const textsOf = (events: unknown[]) => events.filter((e): e is string => typeof e === "string");
    const whole = await readAll(body(bytes));
    expect(textsOf(whole.events)).toEqual(pieces);
    expect(whole.events).toHaveLength(pieces.length + 3); // + the role, the tool call and the finish
    for (let i = 1; i < bytes.length; i += 7) {
      const { events } = await readAll(body(bytes.slice(0, i), bytes.slice(i)));
      expect(textsOf(events), `split at ${i}`).toEqual(pieces);
      expect(events, `split at ${i}`).toHaveLength(pieces.length + 3);
    }
  });

  it("understands CRLF, comments, other fields and multi-line data", async () => {
    const { events } = await readAll(
      body(': keep-alive\r\n\r\nevent: message\r\nid: 7\r\ndata: {"a":\r\ndata: 1}\r\n\r\ndata:{"b":2}\n\n'),
    );
    expect(events).toEqual([{ a: 1 }, { b: 2 }]);
  });

  it("stops at [DONE] and ignores anything after it", async () => {
    const { events } = await readAll(body('data: {"x":1}\n\ndata: [DONE]\n\ndata: {"x":2}\n\n'));
    expect(events).toEqual([{ x: 1 }]);
  });

  it("returns everything one read completed as one batch", async () => {
    const { batches, events } = await readAll(
      body('data: {"x":1}\n\ndata: {"x":2}\n\n', 'data: {"x":3}\n\n'),
    );
    expect(events).toHaveLength(3);
    expect(batches).toBe(2);
  });

  it("keeps a last event that lacks its trailing newline", async () => {
    const { events } = await readAll(body('data: {"x":1}\n\ndata: {"x":2}'));
    expect(events).toEqual([{ x: 1 }, { x: 2 }]);
  });

  it("hands over the good events of a read before failing on a malformed one", async () => {
    const seen: unknown[] = [];
    let error: unknown;
    try {
      for await (const batch of readSseBatches(body('data: {"ok":1}\n\ndata: {"broken\n\n'), new Headers())) {
        seen.push(...batch.events);
      }
    } catch (err) {
      error = err;
    }
    expect(seen).toEqual([{ ok: 1 }]);
    expect(error).toBeInstanceOf(SyntaxError);
  });

  it("throws the API's error when the stream carries an error object", async () => {
    await expect(readAll(body('data: {"error":{"message":"overloaded"}}\n\n'))).rejects.toBeInstanceOf(
      APIError,
    );
  });
});

describe("tool call assembly", () => {
  it("tolerates servers that repeat ids and names and leave out the index", () => {
    const calls = new ToolCallAssembler();
    calls.add({ id: "a", function: { name: "get_weather", arguments: '{"loc' } });
    calls.add({ id: "a", function: { name: "get_weather", arguments: 'ation":"Oslo"}' } });
    calls.add({ id: "b", function: { name: "get_order_status", arguments: "" } });
    expect(calls.finish()).toEqual([
      { id: "a", name: "get_weather", arguments: '{"location":"Oslo"}' },
      // No arguments at all is an empty object to OpenAI.
      { id: "b", name: "get_order_status", arguments: "{}" },
    ]);
  });

  it("invents distinct ids when the server sends none", () => {
    const calls = new ToolCallAssembler();
    calls.add({ index: 0, function: { name: "x", arguments: "{}" } });
    calls.add({ index: 1, function: { name: "y", arguments: "{}" } });
    const [first, second] = calls.finish();
    expect(first?.id).toMatch(/^call_/);
    expect(first?.id).not.toBe(second?.id);
  });

  it("refuses a call that never got a name", () => {
    const calls = new ToolCallAssembler();
    calls.add({ index: 0, id: "a", function: { arguments: "{}" } });
    expect(() => calls.finish()).toThrow(/without a function name/);
  });
});

describe("Retry-After", () => {
  it("reads seconds, milliseconds and HTTP dates", () => {
    expect(retryAfterMsFrom(new Headers({ "retry-after": "3" }))).toBe(3000);
    expect(retryAfterMsFrom(new Headers({ "retry-after": "0.5" }))).toBe(500);
    expect(retryAfterMsFrom(new Headers({ "retry-after-ms": "250", "retry-after": "9" }))).toBe(250);
    const now = Date.parse("2025-01-01T00:00:00Z");
    expect(retryAfterMsFrom(new Headers({ "retry-after": "Wed, 01 Jan 2025 00:00:07 GMT" }), now)).toBe(7000);
    expect(retryAfterMsFrom(new Headers({ "retry-after": "soon" }))).toBeUndefined();
    expect(retryAfterMsFrom(new Headers())).toBeUndefined();
  });
});
