import type { IncomingHttpHeaders } from "node:http";
import { createServer as createHttpServer } from "node:http";
import { connect, createServer, type Server, type Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import type { ModelRequest } from "../../src/core/ports.js";
import { postChatCompletion } from "../../src/llm/chat-request.js";
import type { DemoLlmServer } from "../../src/llm/demo/server.js";
import { collect, createTestModel, startFakeLlm } from "../fakes/llm.js";

let server: DemoLlmServer | undefined;
let proxy: Server | undefined;
const sockets: Socket[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
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

  it("answers one request after another over kept-alive connections, not one per answer", async () => {
    server = await startFakeLlm();
    const relay = await countingRelay(new URL(server.url));
    const { model } = createTestModel(relay.url);

    for (let i = 0; i < 10; i++) {
      const { text, error } = await collect(model.stream(request()));
      expect(error).toBeUndefined();
      expect(text).not.toBe("");
    }

    // The answer is complete at [DONE]; the response's last bytes may still be on their way when
    // the next request goes, which then takes a second connection. Never more than that.
    expect(relay.connections()).toBeLessThanOrEqual(2);
  });

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
});
