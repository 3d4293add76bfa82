import { connect, type Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { type HttpLimits, HttpServer, sendJson } from "../../src/http/server.js";
import { captureLog } from "../store/log-capture.js";

let http: HttpServer | undefined;
const sockets: Socket[] = [];
afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.destroy();
  await http?.close();
  http = undefined;
});

async function serve(limits: Partial<HttpLimits>) {
  const captured = captureLog();
  http = new HttpServer(captured.log, limits);
  http.route("GET", "/healthz", (_req, res) => sendJson(res, 200, { status: "ok" }));
  const port = await http.listen(0, "127.0.0.1");
  return { port, captured };
}

/** A raw keep-alive connection whose every byte received is recorded, and whether it closed. */
async function open(port: number) {
  const socket = connect(port, "127.0.0.1");
  sockets.push(socket);
  const state = { received: "", closed: false };
  socket.on("data", (chunk) => {
    state.received += chunk.toString();
  });
  socket.on("error", () => {});
  const closed = new Promise<void>((resolve) =>
    socket.on("close", () => {
      state.closed = true;
      resolve();
    }),
  );
  await new Promise<void>((resolve) => socket.once("connect", () => resolve()));
  /** Send one request and wait for its answer (or for the connection to end). */
  const request = async (): Promise<string> => {
    const before = state.received.length;
    socket.write("GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n");
    await expect
      .poll(() => state.closed || state.received.slice(before).includes('{"status":"ok"}'), { timeout: 5000 })
      .toBe(true);
    return state.received.slice(before);
  };
  return { socket, state, closed, request };
}

/** A new connection over a limit: closed by the server before it answers anything. */
async function expectRefused(port: number): Promise<void> {
  const c = await open(port);
  c.socket.write("GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n");
  await c.closed;
  expect(c.state.received).toBe("");
}

describe("HTTP connection limits", () => {
  it("closes a connection over the per-address limit at once while the others keep being served", async () => {
    const { port, captured } = await serve({ maxConnectionsPerIp: 2 });
    const a = await open(port);
    const b = await open(port);
    expect(await a.request()).toContain("200 OK");
    expect(await b.request()).toContain("200 OK");

    await expectRefused(port);
    expect(captured.text()).toContain("HTTP_MAX_CONNECTIONS_PER_IP");

    // The two within the limit still work; once one closes, the address may connect again.
    expect(await a.request()).toContain("200 OK");
    a.socket.end();
    await a.closed;
    await expect
      .poll(async () => (await open(port).then((d) => d.request())).includes("200 OK"), { timeout: 5000 })
      .toBe(true);
  });

  it("drops connections beyond the server-wide limit", async () => {
    const { port } = await serve({ maxConnections: 2, maxConnectionsPerIp: 100 });
    const a = await open(port);
    const b = await open(port);
    expect(await a.request()).toContain("200 OK");
    expect(await b.request()).toContain("200 OK");
    await expectRefused(port);
  });
});
