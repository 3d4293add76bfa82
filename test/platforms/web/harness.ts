/**
 * Starts the web chat adapter on the real HTTP server and a real Conversation, on a free
 * loopback port, for HTTP-level tests.
 */
import { type Env, loadConfig } from "../../../src/config.js";
import type { Conversation } from "../../../src/core/conversation.js";
import type { ReplyRules } from "../../../src/core/policy/replies.js";
import type { Store } from "../../../src/core/ports.js";
import { HttpServer } from "../../../src/http/server.js";
import { silentLogger } from "../../../src/log.js";
import { Metrics } from "../../../src/metrics.js";
import type { PlatformAdapter } from "../../../src/platforms/adapter.js";
import { createWebChatAdapter, type WebChatOptions } from "../../../src/platforms/web/index.js";
import { SseClient } from "./sse-client.js";

export interface WebChatHarness {
  baseUrl: string;
  adapter: PlatformAdapter;
  http: HttpServer;
  /** Open the session's event stream, as a tab does; resolves once its `sync` arrived. */
  listen(sessionId: string, headers?: Record<string, string>): Promise<SseClient>;
  /** A new session, as the page gets one (`POST /api/sessions`). */
  session(): Promise<string>;
  /** POST a JSON body (or raw string) to a path. */
  post(
    path: string,
    body: unknown,
    headers?: Record<string, string>,
  ): Promise<{ status: number; body: Record<string, unknown> }>;
  close(): Promise<void>;
}

export async function startWebChat(opts: {
  conversation: Conversation;
  store: Store;
  /** The parsed environment (default: all defaults). */
  env?: Env;
  options?: Partial<WebChatOptions>;
  /** POLICY_FILE's routing rules (src/policy/setup.ts). */
  replies?: ReplyRules;
}): Promise<WebChatHarness> {
  const log = silentLogger();
  const env: Env = opts.env ?? loadConfig({ WEB_CHAT: "on" }).env;
  const http = new HttpServer(log);
  const adapter = createWebChatAdapter(
    {
      env,
      conversation: opts.conversation,
      http,
      store: opts.store,
      log,
      metrics: new Metrics(),
      ...(opts.replies ? { replies: opts.replies } : {}),
    },
    opts.options,
  );
  await adapter.start();
  const port = await http.listen(0, "127.0.0.1");
  const baseUrl = `http://127.0.0.1:${port}`;
  const post: WebChatHarness["post"] = async (path, body, headers = {}) => {
    const res = await fetch(baseUrl + path, {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body: typeof body === "string" ? body : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
  };
  const clients: SseClient[] = [];
  return {
    baseUrl,
    adapter,
    http,
    post,
    async listen(sessionId, headers = {}) {
      const url = `${baseUrl}/api/events?session=${encodeURIComponent(sessionId)}`;
      const client = await SseClient.connect(url, headers);
      clients.push(client);
      await client.until((events) => events.some((e) => e.event === "sync"));
      return client;
    },
    async session() {
      const res = await post("/api/sessions", {});
      if (res.status !== 200 || typeof res.body.sessionId !== "string") {
        throw new Error(`no session: HTTP ${res.status}`);
      }
      return res.body.sessionId;
    },
    async close() {
      for (const client of clients.splice(0)) client.close();
      await adapter.stop();
      await opts.conversation.drain(1000);
      http.server.closeAllConnections();
      await http.close();
    },
  };
}
