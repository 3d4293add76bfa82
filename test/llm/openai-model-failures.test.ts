import { createServer } from "node:net";
import { afterEach, describe, expect, it, vi } from "vitest";
import { LlmError } from "../../src/core/errors.js";
import type { ModelRequest } from "../../src/core/ports.js";
import type { DemoLlmServer } from "../../src/llm/demo/server.js";
import {
  type Behaviour,
  collect,
  createTestModel,
  llm,
  READ_MODES,
  scripted,
  startFakeLlm,
} from "../fakes/llm.js";

let server: DemoLlmServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

function request(signal = new AbortController().signal): ModelRequest {
  return {
    messages: [
      { role: "system", content: "You are a support assistant." },
      { role: "user", content: "hello" },
    ],
    tools: [],
    signal,
  };
}

async function serve(...steps: Behaviour[]): Promise<DemoLlmServer> {
  server = await startFakeLlm({ respond: scripted(...steps) });
  return server;
}

function codeOf(err: unknown): string | undefined {
  return err instanceof LlmError ? err.code : undefined;
}

/** A loopback port nobody listens on. */
async function refusedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  const address = probe.address();
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  if (address === null || typeof address === "string") throw new Error("no port");
  return address.port;
}

describe.each(READ_MODES)("%s", (_mode, read) => {
  describe("OpenAIChatModel retries before the first token", () => {
    it("waits as long as Retry-After asks after a 429, then answers", async () => {
      const s = await serve(llm.rateLimited({ retryAfterS: 2 }), llm.text(["ok"]));
      const { model, waits } = createTestModel(s.url);

      const { text, error } = await collect(read(model, request()));

      expect(error).toBeUndefined();
      expect(text).toBe("ok");
      expect(waits).toEqual([2000]);
      expect(s.requests).toHaveLength(2);
    });

    it("prefers retry-after-ms over Retry-After", async () => {
      const s = await serve(llm.rateLimited({ retryAfterS: 5, retryAfterMs: 1234 }), llm.text(["ok"]));
      const { model, waits } = createTestModel(s.url);

      await collect(read(model, request()));

      expect(waits).toEqual([1234]);
    });

    it("gives up at once with the wait when Retry-After is longer than it is willing to wait", async () => {
      const s = await serve(llm.rateLimited({ retryAfterS: 120 }), llm.text(["ok"]));
      const { model, waits } = createTestModel(s.url);

      const { error } = await collect(read(model, request()));

      expect(codeOf(error)).toBe("rate_limited");
      expect((error as LlmError).details.retryAfterMs).toBe(120_000);
      expect(waits).toEqual([]);
      expect(s.requests).toHaveLength(1);
    });

    it("does not retry a 429 that means the account is out of quota", async () => {
      const s = await serve(llm.rateLimited({}, "insufficient_quota"), llm.text(["ok"]));
      const { model } = createTestModel(s.url);

      const { error } = await collect(read(model, request()));

      expect(codeOf(error)).toBe("rate_limited");
      expect(s.requests).toHaveLength(1);
    });

    it("retries 5xx with growing jittered backoff and then answers", async () => {
      const s = await serve(llm.status(500), llm.status(503), llm.text(["recovered"]));
      const { model, waits } = createTestModel(s.url, { retry: { baseDelayMs: 100, maxDelayMs: 10_000 } });

      const { text, error } = await collect(read(model, request()));

      expect(error).toBeUndefined();
      expect(text).toBe("recovered");
      // random() = 0.5 of a ceiling that doubles: 100 ms, then 200 ms.
      expect(waits).toEqual([50, 100]);
    });

    it("reports the server unavailable after maxRetries failed attempts", async () => {
      const s = await serve(llm.status(502), llm.status(502), llm.status(502), llm.text(["too late"]));
      const { model, waits } = createTestModel(s.url, { maxRetries: 2 });

      const { error } = await collect(read(model, request()));

      expect(codeOf(error)).toBe("unavailable");
      expect((error as LlmError).details.status).toBe(502);
      expect(s.requests).toHaveLength(3);
      expect(waits).toHaveLength(2);
    });

    it("retries when the connection is refused and reports the server unavailable", async () => {
      const port = await refusedPort();
      const { model, waits } = createTestModel(`http://127.0.0.1:${port}/v1`, { maxRetries: 3 });

      const { error } = await collect(read(model, request()));

      expect(codeOf(error)).toBe("unavailable");
      expect(waits).toHaveLength(3);
    });

    it("retries a connection reset before any response", async () => {
      const s = await serve(llm.reset(), llm.text(["fine"]));
      const { model } = createTestModel(s.url);

      const { text, error } = await collect(read(model, request()));

      expect(error).toBeUndefined();
      expect(text).toBe("fine");
      expect(s.requests).toHaveLength(2);
    });

    it("retries a stream that breaks before any text was shown", async () => {
      const s = await serve(llm.cutAfter([]), llm.text(["second try"]));
      const { model } = createTestModel(s.url);

      const { text, error } = await collect(read(model, request()));

      expect(error).toBeUndefined();
      expect(text).toBe("second try");
    });

    it.each([
      [400, "bad_request"],
      [401, "auth"],
      [403, "auth"],
      [404, "bad_request"],
      [422, "bad_request"],
    ])("never retries HTTP %i and reports %s", async (status, code) => {
      const s = await serve(llm.status(status), llm.text(["should not be reached"]));
      const { model, waits } = createTestModel(s.url);

      const { error, text } = await collect(read(model, request()));

      expect(codeOf(error)).toBe(code);
      expect((error as LlmError).details.status).toBe(status);
      expect(text).toBe("");
      expect(s.requests).toHaveLength(1);
      expect(waits).toEqual([]);
    });

    it.each(["openai", "vllm"] as const)("recognises a %s context-length error", async (style) => {
      const s = await serve(llm.contextLength(style));
      const { model } = createTestModel(s.url);

      const { error } = await collect(read(model, request()));

      expect(codeOf(error)).toBe("context_length");
      expect(s.requests).toHaveLength(1);
    });
  });

  describe("OpenAIChatModel after the first token", () => {
    it("keeps the partial text and reports interrupted when the connection drops mid-stream", async () => {
      const s = await serve(llm.cutAfter(["Hello", " wor"]), llm.text(["retried"]));
      const { model } = createTestModel(s.url);

      const { text, events, error } = await collect(read(model, request()));

      expect(text).toBe("Hello wor");
      expect(events.some((e) => e.type === "done")).toBe(false);
      expect(codeOf(error)).toBe("interrupted");
      expect(s.requests).toHaveLength(1);
    });

    it("keeps the partial text and reports interrupted on a malformed chunk", async () => {
      const s = await serve(llm.malformedAfter(["Part one"]));
      const { model } = createTestModel(s.url);

      const { text, error } = await collect(read(model, request()));

      expect(text).toBe("Part one");
      expect(codeOf(error)).toBe("interrupted");
    });

    it("reports interrupted when the server sends an error object mid-stream", async () => {
      const s = await serve({
        kind: "stream",
        parts: [
          { text: "Start" },
          { raw: '{"error":{"message":"The server is overloaded","type":"server_error"}}' },
        ],
      });
      const { model } = createTestModel(s.url);

      const { text, error } = await collect(read(model, request()));

      expect(text).toBe("Start");
      expect(codeOf(error)).toBe("interrupted");
    });

    it("does not retry a request the server refused inside the stream, and says it was refused", async () => {
      const refusal: Behaviour = {
        kind: "stream",
        parts: [
          {
            raw: '{"error":{"message":"temperature must be below 2","type":"invalid_request_error","code":400}}',
          },
        ],
      };
      const s = await serve(refusal, refusal, refusal);
      const { model, waits } = createTestModel(s.url);

      const { error } = await collect(read(model, request()));

      expect(codeOf(error)).toBe("bad_request");
      expect(waits).toEqual([]);
      expect(s.requests).toHaveLength(1);
    });

    it("reports interrupted when the stream ends without a finish reason", async () => {
      const s = await serve(llm.text(["Half"], { finishReason: null }));
      const { model } = createTestModel(s.url);

      const { text, error } = await collect(read(model, request()));

      expect(text).toBe("Half");
      expect(codeOf(error)).toBe("interrupted");
    });
  });

  describe("OpenAIChatModel timeouts and cancellation", () => {
    it("times out when no token arrives within the first-token timeout", async () => {
      const s = await serve({ kind: "stream", parts: [{ text: "late" }], firstChunkDelayMs: 10_000 });
      const { model } = createTestModel(s.url, { firstTokenTimeoutMs: 150 });

      const { text, error } = await collect(read(model, request()));

      expect(text).toBe("");
      expect(codeOf(error)).toBe("timeout");
      expect(s.requests).toHaveLength(1);
      await vi.waitFor(() => expect(s.activeRequests).toBe(0));
    });

    it("times out when the response headers never come", async () => {
      const s = await serve(llm.hang());
      const { model } = createTestModel(s.url, { firstTokenTimeoutMs: 150 });

      const { error } = await collect(read(model, request()));

      expect(codeOf(error)).toBe("timeout");
    });

    it("times out a slow answer at the total timeout, keeping what was streamed", async () => {
      const parts = Array.from({ length: 1000 }, (_, i) => `w${i} `);
      const s = await serve(llm.text(parts, { intervalMs: 20 }));
      const { model } = createTestModel(s.url, { firstTokenTimeoutMs: 2_000, totalTimeoutMs: 800 });

      const { text, error } = await collect(read(model, request()));

      expect(codeOf(error)).toBe("timeout");
      expect(text.startsWith("w0 ")).toBe(true);
      expect(text.length).toBeLessThan(parts.join("").length);
      await vi.waitFor(() => expect(s.activeRequests).toBe(0));
    });

    it("stops waiting and aborts the HTTP request when the caller cancels", async () => {
      const s = await serve(llm.hang());
      const { model } = createTestModel(s.url);
      const abort = new AbortController();

      const pending = collect(read(model, request(abort.signal)));
      await vi.waitFor(() => expect(s.activeRequests).toBe(1));
      abort.abort();
      const { error } = await pending;

      expect(codeOf(error)).toBe("cancelled");
      await vi.waitFor(() => expect(s.activeRequests).toBe(0));
    });

    it("cancels mid-stream, keeping the text already streamed", async () => {
      const parts = Array.from({ length: 100 }, (_, i) => `t${i} `);
      const s = await serve(llm.text(parts, { intervalMs: 20 }));
      const { model } = createTestModel(s.url);
      const abort = new AbortController();

      let text = "";
      let error: unknown;
      try {
        for await (const e of model.stream(request(abort.signal))) {
          if (e.type === "text") text += e.delta;
          if (text.length > 0) abort.abort();
        }
      } catch (err) {
        error = err;
      }

      expect(codeOf(error)).toBe("cancelled");
      expect(text.startsWith("t0 ")).toBe(true);
      await vi.waitFor(() => expect(s.activeRequests).toBe(0));
    });

    it("does not send a request when the signal is already aborted", async () => {
      const s = await serve(llm.text(["never"]));
      const { model } = createTestModel(s.url);

      const { error } = await collect(read(model, request(AbortSignal.abort())));

      expect(codeOf(error)).toBe("cancelled");
      expect(s.requests).toHaveLength(0);
    });

    it("does not retry during a backoff the caller cancelled", async () => {
      const s = await serve(llm.status(500), llm.text(["no"]));
      const abort = new AbortController();
      const { model } = createTestModel(s.url, {
        retry: {
          sleep: (_ms, signal) => {
            abort.abort();
            return Promise.reject(signal.reason);
          },
        },
      });

      const { error } = await collect(read(model, request(abort.signal)));

      expect(codeOf(error)).toBe("cancelled");
      expect(s.requests).toHaveLength(1);
    });

    it("aborts the HTTP request when the caller stops reading early", async () => {
      const parts = Array.from({ length: 100 }, (_, i) => `p${i} `);
      const s = await serve(llm.text(parts, { intervalMs: 20 }));
      const { model } = createTestModel(s.url);

      for await (const e of model.stream(request())) {
        if (e.type === "text") break;
      }

      await vi.waitFor(() => expect(s.activeRequests).toBe(0));
    });
  });
});

describe("OpenAIChatModel with text handed to onText", () => {
  it("cancels from inside onText, keeping the text handed over, and stops the HTTP request", async () => {
    const parts = Array.from({ length: 100 }, (_, i) => `t${i} `);
    const s = await serve(llm.text(parts, { intervalMs: 20 }));
    const { model } = createTestModel(s.url);
    const abort = new AbortController();
    const pieces: string[] = [];

    const { error } = await collect(
      model.stream({
        ...request(abort.signal),
        onText: (delta) => {
          pieces.push(delta);
          abort.abort();
        },
      }),
    );

    expect(codeOf(error)).toBe("cancelled");
    expect(pieces).toEqual(["t0 "]);
    await vi.waitFor(() => expect(s.activeRequests).toBe(0));
  });

  it("ends the stream when onText throws, hands it nothing more, and stops the HTTP request", async () => {
    const parts = Array.from({ length: 100 }, (_, i) => `t${i} `);
    const s = await serve(llm.text(parts, { intervalMs: 20 }));
    const { model } = createTestModel(s.url);
    const pieces: string[] = [];

    const { error } = await collect(
      model.stream({
        ...request(),
        onText: (delta) => {
          pieces.push(delta);
          if (pieces.length === 2) throw new Error("the sink broke");
        },
      }),
    );

    expect(codeOf(error)).toBe("interrupted");
    expect((error as LlmError).message).toContain("the sink broke");
    expect(pieces).toEqual(["t0 ", "t1 "]);
    expect(s.requests).toHaveLength(1);
    await vi.waitFor(() => expect(s.activeRequests).toBe(0));
  });
});

describe.each(READ_MODES)("OpenAIChatModel trying again (%s)", (_mode, read) => {
  it("closes the failed attempt's request before trying again, though its server kept it open", async () => {
    const s = await serve(
      { kind: "stream", parts: [{ raw: "not json" }], end: "hang" },
      llm.text(["second try"]),
    );
    const { model } = createTestModel(s.url);

    const { text, error } = await collect(read(model, request()));

    expect(error).toBeUndefined();
    expect(text).toBe("second try");
    expect(s.requests).toHaveLength(2);
    await vi.waitFor(() => expect(s.activeRequests).toBe(0));
  });
});
