/**
 * A fake Slack Web API on loopback: the methods the adapter calls, with Slack's wire format
 * (form or JSON bodies, `{ok, error}` answers), real error codes, per-method rate limits
 * (429 + Retry-After, windows scaled down by `timeScale`), response_url endpoints for slash
 * commands, and a Socket Mode WebSocket. Every call and every visible state of every message is
 * recorded, so tests and the benchmark can check what a user would have seen, and when.
 */

import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { WebSocketServer } from "ws";
import { SLACK_BOT_SCOPES } from "../../src/platforms/slack/install-routes.js";
import { FakeSlackFiles } from "./slack-files.js";
import { type ApiArgs, handleMethod } from "./slack-methods.js";
import { FakeOAuth } from "./slack-oauth.js";
import { livePings, stringsIn } from "./slack-pings.js";
import { DEFAULT_RATE_RULES, type RateRule, SlidingWindowLimiter } from "./slack-rate.js";
import { FakeSocketMode } from "./slack-socket.js";
import { type FakeViews, newFakeViews } from "./slack-views.js";

export const FAKE_TEAM_ID = "T0FAKE";
export const FAKE_BOT_USER_ID = "U0BOT";
export const FAKE_BOT_ID = "B0BOT";
export const FAKE_BOT_TOKEN = "xoxb-fake-bot-token";
export const FAKE_APP_TOKEN = "xapp-fake-app-token";

/** Every scope the manifest grants; tests remove some to provoke `missing_scope`. */
export const ALL_SCOPES: readonly string[] = SLACK_BOT_SCOPES;

export interface FakeChannel {
  id: string;
  name: string;
  type: "public" | "private" | "im";
  botMember: boolean;
  /** Human members (the bot is a member when `botMember`). Unset: every human user of the fake. */
  members?: string[];
}

export interface FakeUser {
  id: string;
  name: string;
  realName: string;
  isBot?: boolean;
}

export interface VisibleState {
  at: number;
  text: string;
  method: string;
}

export interface FakeMessage {
  channel: string;
  ts: string;
  threadTs?: string;
  user?: string;
  botId?: string;
  subtype?: string;
  text: string;
  blocks?: unknown[];
  /** Files shared with the message (objects from `files.add`). */
  files?: Record<string, unknown>[];
  /** Set for messages created by chat.startStream. */
  stream?: { state: "open" | "stopped"; startedAt: number; markdown: string; stoppedByUser: boolean };
  /** Every state a user saw, oldest first. */
  timeline: VisibleState[];
}

export interface ApiCall {
  method: string;
  args: ApiArgs;
  at: number;
  status: number;
  error?: string;
  /** The token the call was made with ("" when none). */
  token: string;
}

export interface ResponseUrlPost {
  id: string;
  at: number;
  body: Record<string, unknown>;
}

export interface FakeSlackOptions {
  /** Real windows are divided by this; 10 turns a per-minute budget into one per 6 s. */
  timeScale?: number;
  /** Override or add per-method limits (undefined removes a limit). */
  rates?: Record<string, RateRule | undefined>;
  /** Added before every Web API answer, like a network round trip. */
  latencyMs?: number;
  /** chat.*Stream answer `unknown_method` when false, like a Slack without native streaming. */
  nativeStreaming?: boolean;
  /** A stream stops accepting appends this long after it started (Slack: about 5 minutes). */
  streamLifetimeMs?: number;
  /** Longest `text` chat.postMessage/update accept before `msg_too_long` (Slack: 40 000). */
  maxTextChars?: number;
  scopes?: string[];
}

export class FakeSlack {
  readonly calls: ApiCall[] = [];
  readonly channels = new Map<string, FakeChannel>();
  readonly users = new Map<string, FakeUser>();
  readonly messages: FakeMessage[] = [];
  readonly ephemerals: {
    channel: string;
    user: string;
    text: string;
    blocks?: unknown[];
    threadTs?: string;
    at: number;
  }[] = [];
  readonly assistantCalls: { method: string; args: ApiArgs; at: number }[] = [];
  readonly responsePosts: ResponseUrlPost[] = [];
  /** Modals opened with views.open (slack-views.ts). */
  readonly views: FakeViews = newFakeViews();
  readonly scopes: Set<string>;
  readonly limiter: SlidingWindowLimiter;
  readonly socket: FakeSocketMode;
  /** Files shared in messages, served at their url_private URLs (slack-files.ts). */
  readonly files: FakeSlackFiles;
  readonly options: Required<Omit<FakeSlackOptions, "rates" | "scopes">>;
  /** Queued failures: method -> error codes returned by its next calls. */
  readonly failures = new Map<string, string[]>();
  /** Installed workspaces (bot tokens), the authorize page and oauth.v2.access. */
  readonly oauth = new FakeOAuth();
  private readonly server: Server;
  private readonly wss: WebSocketServer;
  private lastTsMicros = 0;
  private responseUrls = 0;
  url = "";

  constructor(opts: FakeSlackOptions = {}) {
    const timeScale = opts.timeScale ?? 1;
    this.options = {
      timeScale,
      latencyMs: opts.latencyMs ?? 0,
      nativeStreaming: opts.nativeStreaming ?? true,
      streamLifetimeMs: opts.streamLifetimeMs ?? 300_000 / timeScale,
      maxTextChars: opts.maxTextChars ?? 40_000,
    };
    this.scopes = new Set(opts.scopes ?? ALL_SCOPES);
    this.files = new FakeSlackFiles(this, FAKE_TEAM_ID, FAKE_BOT_TOKEN);
    const rules: Record<string, RateRule | undefined> = { ...DEFAULT_RATE_RULES, ...(opts.rates ?? {}) };
    this.limiter = new SlidingWindowLimiter(rules, timeScale);
    this.oauth.addWorkspace({
      token: FAKE_BOT_TOKEN,
      teamId: FAKE_TEAM_ID,
      teamName: "Fake Team",
      orgWide: false,
      botUserId: FAKE_BOT_USER_ID,
      botId: FAKE_BOT_ID,
    });
    this.users.set(FAKE_BOT_USER_ID, {
      id: FAKE_BOT_USER_ID,
      name: "supportbot",
      realName: "Support Bot",
      isBot: true,
    });
    this.server = createServer((req, res) => {
      this.route(req, res).catch((err: unknown) => {
        res.writeHead(500, { "content-type": "application/json" });
        res.end(JSON.stringify({ ok: false, error: `fake_crashed: ${String(err)}` }));
      });
    });
    this.wss = new WebSocketServer({ noServer: true });
    this.socket = new FakeSocketMode(this.wss);
    this.server.on("upgrade", (req, socket, head) => {
      if (!req.url?.startsWith("/socket")) {
        socket.destroy();
        return;
      }
      this.wss.handleUpgrade(req, socket, head, (ws) => this.socket.accept(ws));
    });
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, "127.0.0.1", resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async close(): Promise<void> {
    this.socket.closeAll();
    this.wss.close();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** Base URL for the adapter's SLACK_API_URL. */
  get apiUrl(): string {
    return `${this.url}/api/`;
  }

  // --- test setup ---------------------------------------------------------------------------

  addChannel(ch: Partial<FakeChannel> & { id: string }): FakeChannel {
    const channel: FakeChannel = { name: ch.id.toLowerCase(), type: "public", botMember: true, ...ch };
    this.channels.set(channel.id, channel);
    return channel;
  }

  addUser(user: FakeUser): FakeUser {
    this.users.set(user.id, user);
    return user;
  }

  /** A message by someone else (user or bot) already in the channel. */
  seed(msg: Omit<FakeMessage, "timeline" | "ts"> & { ts?: string }): FakeMessage {
    const full: FakeMessage = { ...msg, ts: msg.ts ?? this.nextTs(), timeline: [] };
    this.messages.push(full);
    return full;
  }

  /** Block types this Slack does not know: a call whose blocks hold one fails with invalid_blocks. */
  readonly unknownBlockTypes = new Set<string>();

  /** Make the next `count` calls of `method` fail with `error`. */
  failNext(method: string, error: string, count = 1): void {
    this.failures.set(method, [...(this.failures.get(method) ?? []), ...Array<string>(count).fill(error)]);
  }

  /** Like a user pressing Slack's own stop on a streaming message. */
  stopStreamByUser(ts: string): void {
    const msg = this.messages.find((m) => m.ts === ts);
    if (msg?.stream) msg.stream.stoppedByUser = true;
  }

  /** A response_url for one slash command or interaction (Slack allows 5 uses in 30 minutes). */
  newResponseUrl(): string {
    this.responseUrls++;
    return `${this.url}/response/r${this.responseUrls}`;
  }

  nextTs(): string {
    const micros = Math.max(Date.now() * 1000, this.lastTsMicros + 1);
    this.lastTsMicros = micros;
    return `${Math.floor(micros / 1e6)}.${String(micros % 1e6).padStart(6, "0")}`;
  }

  // --- what a user sees ---------------------------------------------------------------------

  /** Messages the bot posted (optionally in one channel / thread), oldest first. */
  botMessages(channel?: string, threadTs?: string): FakeMessage[] {
    return this.messages.filter(
      (m) =>
        m.botId === FAKE_BOT_ID &&
        (channel === undefined || m.channel === channel) &&
        (threadTs === undefined || m.threadTs === threadTs),
    );
  }

  /** The text a user reads in a message now (stream markdown, block text, or plain text). */
  visibleText(msg: FakeMessage): string {
    return msg.timeline[msg.timeline.length - 1]?.text ?? msg.text;
  }

  /** Buttons in a message's blocks. */
  buttons(msg: FakeMessage): { actionId: string; value: string; text: string; blockId: string }[] {
    return buttonsOf(msg.blocks ?? []);
  }

  /**
   * Every ping (broadcast, group or user mention) anything the bot sent would set off: in any
   * call's arguments, response_url body, and in what a stream's appends add up to. The bot's
   * own mention of `allowed` users (e.g. "Shared by <@U1>") is left out.
   */
  pingsSent(allowed: string[] = []): string[] {
    const own = new RegExp(`<@(?:${allowed.join("|") || "-"})>`, "g");
    const texts = [
      ...this.calls.flatMap((c) => stringsIn(c.args)),
      ...this.messages
        .filter((m) => m.botId === FAKE_BOT_ID)
        .flatMap((m) => [m.stream?.markdown ?? "", ...m.timeline.map((t) => t.text)]),
    ];
    return texts.flatMap((t) => livePings(t.replace(own, "")));
  }

  callsOf(method: string): ApiCall[] {
    return this.calls.filter((c) => c.method === method);
  }

  get rateLimited(): ApiCall[] {
    return this.calls.filter((c) => c.status === 429);
  }

  // --- HTTP ---------------------------------------------------------------------------------

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req);
    const path = (req.url ?? "/").split("?")[0] ?? "/";
    // Everything recorded, for a benchmark that runs the fake in another process.
    if (path === "/_dump") return send(res, 200, { calls: this.calls, messages: this.messages });
    if (path === "/oauth/v2/authorize") return this.oauth.authorize(req, res);
    if (path.startsWith("/response/"))
      return this.responseUrl(path.slice("/response/".length), body, req, res);
    if (this.files.handle(path, req, res)) return;
    if (!path.startsWith("/api/")) return send(res, 404, { ok: false, error: "not_found" });
    const method = path.slice("/api/".length);
    const args = parseArgs(body, req.headers["content-type"] ?? "");
    const token = (req.headers.authorization ?? "").replace(/^Bearer /, "") || String(args.token ?? "");
    if (this.options.latencyMs > 0) await new Promise((r) => setTimeout(r, this.options.latencyMs));
    const at = Date.now();
    const channel = typeof args.channel === "string" ? args.channel : undefined;
    const workspace = this.oauth.workspaces.get(token);
    const wait = this.limiter.take(
      method,
      workspace?.teamId ?? workspace?.enterpriseId ?? FAKE_TEAM_ID,
      channel,
    );
    if (wait !== null) {
      this.calls.push({ method, args, at, status: 429, error: "ratelimited", token });
      res.writeHead(429, {
        "content-type": "application/json",
        "retry-after": String(Math.max(1, Math.ceil(wait / 1000))),
      });
      res.end(JSON.stringify({ ok: false, error: "ratelimited" }));
      return;
    }
    const queued = this.failures.get(method);
    const injected =
      queued?.shift() ??
      ([...this.unknownBlockTypes].some((t) => JSON.stringify(args.blocks ?? []).includes(`"type":"${t}"`))
        ? "invalid_blocks"
        : undefined);
    const result = injected ? { ok: false, error: injected } : handleMethod(this, method, args, token);
    this.calls.push({
      method,
      args,
      at,
      status: 200,
      token,
      ...(result.ok ? {} : { error: String(result.error) }),
    });
    send(res, 200, result);
  }

  private responseUrl(id: string, body: string, req: IncomingMessage, res: ServerResponse): void {
    const uses = this.responsePosts.filter((p) => p.id === id).length;
    // Slack: a response_url works up to 5 times within 30 minutes.
    if (uses >= 5) {
      send(res, 404, { ok: false, error: "used_url" });
      return;
    }
    const parsed = parseArgs(body, req.headers["content-type"] ?? "application/json");
    this.responsePosts.push({ id, at: Date.now(), body: parsed });
    this.calls.push({ method: "response_url", args: parsed, at: Date.now(), status: 200, token: "" });
    send(res, 200, { ok: true });
  }
}

export function buttonsOf(
  blocks: unknown[],
): { actionId: string; value: string; text: string; blockId: string }[] {
  const out: { actionId: string; value: string; text: string; blockId: string }[] = [];
  for (const block of blocks as {
    type?: string;
    block_id?: string;
    elements?: unknown[];
    accessory?: unknown;
  }[]) {
    const elements = [...(block.elements ?? []), ...(block.accessory ? [block.accessory] : [])];
    for (const el of elements as {
      type?: string;
      action_id?: string;
      value?: string;
      text?: { text?: string };
    }[]) {
      if (el.type === "button") {
        out.push({
          actionId: el.action_id ?? "",
          value: el.value ?? "",
          text: el.text?.text ?? "",
          blockId: block.block_id ?? "",
        });
      }
    }
  }
  return out;
}

/** Form fields that carry JSON (WebClient JSON-encodes objects and arrays in form bodies). */
const JSON_FIELDS = new Set(["blocks", "chunks", "prompts", "attachments", "metadata", "payload", "view"]);

function parseArgs(body: string, contentType: string): ApiArgs {
  if (body.trim() === "") return {};
  if (contentType.includes("application/json")) return JSON.parse(body) as ApiArgs;
  const args: ApiArgs = {};
  for (const [key, value] of new URLSearchParams(body)) {
    args[key] = JSON_FIELDS.has(key) ? safeJson(value) : value;
  }
  return args;
}

function safeJson(value: string): unknown {
  try {
    return JSON.parse(value);
  } catch {
    return value;
  }
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "content-type": "application/json; charset=utf-8" });
  res.end(JSON.stringify(body));
}
