/**
 * The service's one HTTP server. Adapters and the ops endpoints register exact-path routes;
 * everything else is a JSON 404. A handler that throws gets a JSON 500 and a log line, and the
 * server keeps serving.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import type { Logger } from "../log.js";
import { clientKeyOf } from "./client-address.js";
import type { HostCheck } from "./hosts.js";

export type RouteHandler = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;

export interface RouteOptions {
  /** Requests whose Host this refuses get a 403 (see hosts.ts: DNS rebinding). Default: any Host. */
  allowHost?: HostCheck;
}

interface Route {
  handler: RouteHandler;
  allowHost: HostCheck | undefined;
}

/** Bodies larger than this are refused with 413 unless a route asks for another limit. */
export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export interface HttpLimits {
  /** Open connections the server keeps at once; more are dropped by Node as they arrive. */
  maxConnections: number;
  /** Open connections one remote address may hold at once; more are closed as they arrive. */
  maxConnectionsPerIp: number;
}

export const DEFAULT_HTTP_LIMITS: HttpLimits = {
  // Every connection may be buffering a body (1 MB at most for Slack, ~50 KB for the web chat):
  // 256 of them stay well inside a 640 Mi pod. Idle keep-alive sockets cost a few KB each.
  maxConnections: 256,
  // A quarter of the whole: one client cannot take every slot, while a load balancer or ingress
  // that forwards all of Slack's traffic from one address still has room.
  maxConnectionsPerIp: 64,
};

/** The whole request (headers and body) must arrive within this: slow uploads (slowloris) end. */
export const REQUEST_TIMEOUT_MS = 30_000;
/** The headers must arrive within this. */
export const HEADERS_TIMEOUT_MS = 15_000;
/** How often Node checks open requests against those timeouts (its default is 30 s). */
const TIMEOUT_CHECK_INTERVAL_MS = 5_000;
/** A refused client is logged once, then at most this often while it stays over its limit. */
const REFUSAL_LOG_INTERVAL_MS = 60_000;

export class HttpServer {
  readonly server: Server;
  private readonly routes = new Map<string, Route>();
  private readonly limits: HttpLimits;
  private readonly openByIp = new Map<string, number>();
  private lastRefusalLogAt = Number.NEGATIVE_INFINITY;
  private lastHostLogAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly log: Logger,
    limits: Partial<HttpLimits> = {},
  ) {
    this.limits = { ...DEFAULT_HTTP_LIMITS, ...limits };
    this.server = createServer({ connectionsCheckingInterval: TIMEOUT_CHECK_INTERVAL_MS }, (req, res) => {
      void this.dispatch(req, res);
    });
    // Slow-loris guard; long-lived SSE responses disable their own socket timeout.
    this.server.requestTimeout = REQUEST_TIMEOUT_MS;
    this.server.headersTimeout = HEADERS_TIMEOUT_MS;
    this.server.maxConnections = this.limits.maxConnections;
    this.server.on("connection", (socket: Socket) => this.countConnection(socket));
    this.server.on("drop", (data?: { remoteAddress?: string }) =>
      this.logRefusal(data?.remoteAddress, "the server is at HTTP_MAX_CONNECTIONS"),
    );
  }

  /** Register a handler for an exact method and path (query strings are ignored when matching). */
  route(method: "GET" | "POST", path: string, handler: RouteHandler, opts: RouteOptions = {}): void {
    this.routes.set(`${method} ${path}`, { handler, allowHost: opts.allowHost });
  }

  hasRoute(method: "GET" | "POST", path: string): boolean {
    return this.routes.has(`${method} ${path}`);
  }

  async listen(port: number, host = "0.0.0.0"): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.server.once("error", reject);
      this.server.listen(port, host, () => {
        this.server.off("error", reject);
        resolve();
      });
    });
    return (this.server.address() as AddressInfo).port;
  }

  /** Stop accepting connections; idle keep-alive sockets are closed, open streams may finish. */
  async close(): Promise<void> {
    if (!this.server.listening) return;
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeIdleConnections();
    });
  }

  /**
   * Per-client connection count (an IPv6 client is its /64, see client-address.ts); a connection
   * over the client's limit is closed at once.
   */
  private countConnection(socket: Socket): void {
    if (socket.remoteAddress === undefined) return;
    const ip = clientKeyOf(socket.remoteAddress);
    const open = (this.openByIp.get(ip) ?? 0) + 1;
    if (open > this.limits.maxConnectionsPerIp) {
      socket.destroy();
      this.logRefusal(ip, "the address is at HTTP_MAX_CONNECTIONS_PER_IP");
      return;
    }
    this.openByIp.set(ip, open);
    socket.once("close", () => {
      const left = (this.openByIp.get(ip) ?? 1) - 1;
      if (left <= 0) this.openByIp.delete(ip);
      else this.openByIp.set(ip, left);
    });
  }

  private logRefusal(ip: string | undefined, reason: string): void {
    const now = Date.now();
    if (now - this.lastRefusalLogAt < REFUSAL_LOG_INTERVAL_MS) return;
    this.lastRefusalLogAt = now;
    this.log.warn({ ip, reason }, "http connection refused (further refusals are logged once a minute)");
  }

  private logUnknownHost(host: string | undefined, path: string): void {
    const now = Date.now();
    if (now - this.lastHostLogAt < REFUSAL_LOG_INTERVAL_MS) return;
    this.lastHostLogAt = now;
    this.log.warn(
      { host: host?.slice(0, 100), path },
      "request with a Host that is not allowed refused (add the name to WEB_ALLOWED_HOSTS if it is yours; " +
        "further refusals are logged once a minute)",
    );
  }

  private async dispatch(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? "/").split("?")[0] ?? "/";
    const route = this.routes.get(`${req.method} ${path}`);
    if (!route) {
      const known = [...this.routes.keys()].some((k) => k.endsWith(` ${path}`));
      sendJson(res, known ? 405 : 404, { error: known ? "method not allowed" : "not found" });
      return;
    }
    if (route.allowHost && !route.allowHost(req.headers.host)) {
      this.logUnknownHost(req.headers.host, path);
      req.resume();
      sendJson(res, 403, { error: "this host name is not allowed here (see WEB_ALLOWED_HOSTS)" });
      return;
    }
    try {
      await route.handler(req, res);
    } catch (err) {
      if (err instanceof HttpError) {
        if (!res.headersSent) sendJson(res, err.status, { error: err.message });
        else res.end();
        return;
      }
      this.log.error({ err, path, method: req.method }, "http handler failed");
      if (!res.headersSent) sendJson(res, 500, { error: "internal error" });
      else res.end();
    }
  }
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "content-type": "application/json; charset=utf-8",
    "content-length": Buffer.byteLength(text),
  });
  res.end(text);
}

/** Read a request body, refusing (413) anything over `maxBytes` without buffering it all. */
export async function readBody(req: IncomingMessage, maxBytes = DEFAULT_MAX_BODY_BYTES): Promise<Buffer> {
  const declared = Number(req.headers["content-length"] ?? 0);
  if (declared > maxBytes) {
    req.resume();
    throw new HttpError(413, `body larger than ${maxBytes} bytes`);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buf = chunk as Buffer;
    size += buf.length;
    if (size > maxBytes) {
      req.resume();
      throw new HttpError(413, `body larger than ${maxBytes} bytes`);
    }
    chunks.push(buf);
  }
  return Buffer.concat(chunks);
}
