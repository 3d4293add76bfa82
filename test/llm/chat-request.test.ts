import type { IncomingHttpHeaders } from "node:http";
import { createServer as createHttpServer, type Server as HttpServer, type ServerResponse } from "node:http";
import { connect, createServer, type Server, type Socket } from "node:net";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { ModelRequest } from "../../src/core/ports.js";
import { postChatCompletion } from "../../src/llm/chat-request.js";
import type { DemoLlmServer } from "../../src/llm/demo/server.js";
import { collect, createTestModel, READ_MODES, startFakeLlm } from "../fakes/llm.js";

let server: DemoLlmServer | undefined;
let proxy: Server | undefined;
const sockets: Socket[] = [];
const servers: HttpServer[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  for (const http of servers.splice(0)) {
    http.closeAllConnections();
    await new Promise<void>((resolve) => http.close(() => resolve()));
  }
  await new Promise<void>((resolve) => (proxy ? proxy.close(() => resolve()) : resolve()));
  proxy = undefined;
  await server?.close();
  server = undefined;
});

function request(): ModelRequest {
  return {
    messages: [{ role: "user", content: "hello" }],
    tools: [],
    signal: new AbortController().signal,
  };
}

/** A plain HTTP server answering every request with `respond`; closed after the test. */
async function rawServer(respond: (res: ServerResponse) => void): Promise<string> {
  const http = createHttpServer((_req, res) => respond(res));
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
  servers.push(http);
  const address = http.address();
  if (address === null || typeof address === "string") throw new Error("no port");
  return `http://127.0.0.1:${address.port}/v1`;
}

/** A TCP relay in front of the fake LLM that counts the connections clients open. */
async function countingRelay(target: URL): Promise<{ url: string; connections: () => number }> {
  let connections = 0;
  proxy = createServer((client) => {
    connections++;
    const upstream = connect(Number(target.port), target.hostname);
    sockets.push(client, upstream);
    client.on("error", () => upstream.destroy());
    upstream.on("error", () => client.destroy());
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => proxy!.listen(0, "127.0.0.1", resolve));
  const address = proxy.address();
  if (address === null || typeof address === "string") throw new Error("no port");
  return { url: `http://127.0.0.1:${address.port}${target.pathname}`, connections: () => connections };
}

describe("chat-completions request", () => {
  it("sends the API key as a bearer token, a JSON body and the SDK's user agent", async () => {
    let seen: IncomingHttpHeaders | undefined;
    server = await startFakeLlm({
      respond: (_body, { headers }) => {
        seen = headers;
        return undefined;
      },
    });
    const { model } = createTestModel(server.url);

    const { text, error } = await collect(model.stream(request()));

    expect(error).toBeUndefined();
    expect(text).not.toBe("");
    expect(seen?.authorization).toBe("Bearer sk-test");
    expect(seen?.["content-type"]).toBe("application/json");
    expect(seen?.["user-agent"]).toMatch(/^OpenAI\/JS \d/);
    expect(server.requests[0]?.stream).toBe(true);
  });

  it("reaches the same endpoint when the base URL ends with a slash", async () => {
    server = await startFakeLlm();
    const { model } = createTestModel(`${server.url}/`);

    const { text, error } = await collect(model.stream(request()));

    expect(error).toBeUndefined();
    expect(text).not.toBe("");
  });

  it.each(READ_MODES)(
    "answers one request after another over kept-alive connections, not one per answer (%s)",
    async (_mode, read) => {
      server = await startFakeLlm();
      const relay = await countingRelay(new URL(server.url));
      const { model } = createTestModel(relay.url);

      for (let i = 0; i < 10; i++) {
        const { text, error } = await collect(read(model, request()));
        expect(error).toBeUndefined();
        expect(text).not.toBe("");
      }

      // The answer is complete at [DONE]; the response's last bytes may still be on their way when
      // the next request goes, which then takes a second connection. Never more than that.
      expect(relay.connections()).toBeLessThanOrEqual(2);
    },
  );

  it("stops reading the connection while the reader lags behind, and loses nothing", async () => {
    // A server that streams 16 MB as fast as the connection takes it, noting when it had to wait.
    const piece = `data: ${JSON.stringify({ pad: "x".repeat(1000) })}\n\n`;
    const pieces = 16_000;
    let bytes = 0;
    let readWhenAllSent = -1;
    const http = createHttpServer((_req, res) => {
      res.writeHead(200, { "content-type": "text/event-stream" });
      let sent = 0;
      const more = () => {
        while (sent < pieces) {
          sent++;
          if (!res.write(piece)) {
            res.once("drain", more);
            return;
          }
        }
        res.end(() => {
          readWhenAllSent = bytes;
        });
      };
      more();
    });
    await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
    const address = http.address();
    if (address === null || typeof address === "string") throw new Error("no port");
    try {
      const res = await postChatCompletion(
        `http://127.0.0.1:${address.port}/v1`,
        "sk-test",
        "{}",
        new AbortController().signal,
      );
      for await (const chunk of res.body) {
        bytes += chunk.length;
        // A slow reader: one read per turn of the event loop.
        await new Promise((resolve) => setImmediate(resolve));
      }
      const total = piece.length * pieces;
      expect(bytes).toBe(total);
      // The client paused the connection: the server could not get far ahead of the reader (by
      // more than the sockets' buffers), rather than the client queueing all 16 MB in memory.
      expect(readWhenAllSent).toBeGreaterThan(total - 8_000_000);
    } finally {
      await new Promise<void>((resolve) => http.close(() => resolve()));
    }
  });
  it.each(READ_MODES)(
    "takes a last event the body ends on without [DONE] or a blank line (%s)",
    async (_mode, read) => {
      const chunk = (delta: object, finish: string | null) =>
        `data: ${JSON.stringify({ id: "c1", object: "chat.completion.chunk", created: 1, model: "m", choices: [{ index: 0, delta, finish_reason: finish }] })}`;
      const url = await rawServer((res) => {
        res.writeHead(200, { "content-type": "text/event-stream" });
        res.end(`${chunk({ content: "Hel" }, null)}\n\n${chunk({ content: "lo" }, "stop")}`);
      });
      const { model } = createTestModel(url);

      const { text, events, error } = await collect(read(model, request()));

      expect(error).toBeUndefined();
      expect(text).toBe("Hello");
      expect(events.at(-1)).toMatchObject({ type: "done", finishReason: "stop" });
    },
  );

  it("hands a late reader what arrived before it, past the pause mark, then the rest, in order", async () => {
    // 2 MB of numbered lines: the client queues more than 64 KB before anyone reads, pauses the
    // connection, and must resume it when the reader comes.
    const lines = 20_000;
    const url = await rawServer((res) => {
      res.writeHead(200, { "content-type": "text/event-stream" });
      let sent = 0;
      const more = () => {
        while (sent < lines) {
          if (!res.write(`data: ${String(sent++).padStart(90, "0")}\n\n`)) {
            res.once("drain", more);
            return;
          }
        }
        res.end();
      };
      more();
    });
    const res = await postChatCompletion(url, "sk-test", "{}", new AbortController().signal);
    await vi.waitFor(() =>
      expect((res.body as unknown as { queuedBytes: number }).queuedBytes).toBeGreaterThan(64 * 1024),
    );

    const received: Buffer[] = [];
    await res.consume((read) => {
      received.push(Buffer.from(read));
      return true;
    });

    const body = Buffer.concat(received).toString();
    const numbers = body
      .split("\n\n")
      .filter((l) => l !== "")
      .map((l) => Number(l.slice(6)));
    expect(numbers).toHaveLength(lines);
    expect(numbers.every((n, i) => n === i)).toBe(true);
  });

  it("stops handing reads over once the reader wants no more, and drops the rest", async () => {
    let response!: ServerResponse;
    const url = await rawServer((res) => {
      response = res;
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.write("data: one\n\n");
    });
    const res = await postChatCompletion(url, "sk-test", "{}", new AbortController().signal);
    const reads: string[] = [];
    await res.consume((read) => {
      reads.push(Buffer.from(read).toString());
      return false;
    });
    // The rest of the body comes after the reader said it wants no more.
    response.end("data: two\n\n");

    // Dropped, not queued: the body's next read is its end.
    expect(await res.body[Symbol.asyncIterator]().next()).toEqual({ value: undefined, done: true });
    expect(reads).toEqual(["data: one\n\n"]);
  });
});
