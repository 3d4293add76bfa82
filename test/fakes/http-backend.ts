/**
 * A small local JSON backend for the PRODUCTS_URL and ORDERS_URL contracts. The test gives a
 * handler from request URL to status and body; the server records requests and can be made slow.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

export interface BackendReply {
  status: number;
  /** JSON-encoded unless it is a string (sent as is, for "not JSON" tests). */
  body?: unknown;
}

export type BackendHandler = (url: URL) => BackendReply | Promise<BackendReply>;

export interface FakeHttpBackend {
  /** Base URL, e.g. http://127.0.0.1:1234 (append the path the test wants). */
  url: string;
  requests: URL[];
  setHandler(handler: BackendHandler): void;
  /** Delay every answer (0 to stop). */
  setDelay(ms: number): void;
  close(): Promise<void>;
}

export async function startFakeHttpBackend(handler: BackendHandler): Promise<FakeHttpBackend> {
  let current = handler;
  let delayMs = 0;
  const requests: URL[] = [];
  const server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? "/", "http://fake");
      requests.push(url);
      if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
      if (res.destroyed) return;
      let reply: BackendReply;
      try {
        reply = await current(url);
      } catch (err) {
        reply = { status: 500, body: { error: String(err) } };
      }
      const text = typeof reply.body === "string" ? reply.body : JSON.stringify(reply.body ?? {});
      res.writeHead(reply.status, {
        "content-type": typeof reply.body === "string" ? "text/plain" : "application/json",
      });
      res.end(text);
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    setHandler: (h) => {
      current = h;
    },
    setDelay: (ms) => {
      delayMs = ms;
    },
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
