/**
 * The fake gateway: a WebSocket speaking Discord's protocol (v10, JSON, no compression) well
 * enough for a real discord.js Client: HELLO -> IDENTIFY -> READY (+ GUILD_CREATE per guild of
 * the shard), heartbeats and ACKs, RESUME of a dropped session (events dispatched meanwhile are
 * replayed, then RESUMED; an unknown session gets INVALID_SESSION), dispatches routed to shards
 * by Discord's formula, intent checks with the
 * real close codes (4004 bad token, 4010 bad shard, 4014 disallowed privileged intent).
 */
import { randomUUID } from "node:crypto";
import type { IncomingMessage, Server } from "node:http";
import type { Duplex } from "node:stream";
import { type WebSocket, WebSocketServer } from "ws";
import type { World } from "./model.js";
import { shardOf } from "./snowflake.js";

/** Gateway opcodes and close codes (Discord developer docs, "Opcodes and Status Codes"). */
const OP = {
  dispatch: 0,
  heartbeat: 1,
  identify: 2,
  resume: 6,
  reconnect: 7,
  invalidSession: 9,
  hello: 10,
  heartbeatAck: 11,
} as const;
export const CLOSE = { authenticationFailed: 4004, invalidShard: 4010, disallowedIntents: 4014 } as const;

/** Intent bits (docs, "Gateway Intents"). */
export const INTENT = {
  guilds: 1 << 0,
  guildMembers: 1 << 1,
  guildPresences: 1 << 8,
  guildMessages: 1 << 9,
  directMessages: 1 << 12,
  messageContent: 1 << 15,
} as const;
const PRIVILEGED = INTENT.guildMembers | INTENT.guildPresences | INTENT.messageContent;

export interface GatewaySession {
  id: string;
  shardId: number;
  shardCount: number;
  intents: number;
  ready: boolean;
  heartbeats: number;
  seq: number;
  socket: WebSocket;
}

export interface GatewayOptions {
  token: string;
  applicationId: string;
  /** Privileged intents switched on in the "developer portal" of the fake. */
  privilegedIntents: number;
  heartbeatIntervalMs: number;
}

export class FakeGateway {
  /** Connected sessions. */
  readonly sessions = new Set<GatewaySession>();
  /** Sessions whose connection dropped after READY: resumable, collecting their events. */
  private readonly dropped = new Map<
    string,
    { session: GatewaySession; missed: Record<string, unknown>[] }
  >();
  private readonly wss = new WebSocketServer({ noServer: true });
  /** Close codes the fake sent, for tests. */
  readonly closes: number[] = [];
  url = "";

  constructor(
    private readonly world: World,
    private readonly opts: GatewayOptions,
  ) {}

  attach(server: Server, url: string): void {
    this.url = url;
    server.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      if (!(req.url ?? "").startsWith("/gateway")) {
        socket.destroy();
        return;
      }
      this.wss.handleUpgrade(req, socket, head, (ws) => this.onConnection(ws));
    });
  }

  /** Send a dispatch to every ready session that would receive it on Discord. */
  dispatch(
    event: string,
    data: Record<string, unknown>,
    opts: { guildId: string | null; intent?: number },
  ): number {
    let delivered = 0;
    const wants = (session: GatewaySession) => {
      const shard = opts.guildId === null ? 0 : shardOf(opts.guildId, session.shardCount);
      return (
        shard === session.shardId && (opts.intent === undefined || (session.intents & opts.intent) !== 0)
      );
    };
    const payload = (session: GatewaySession) => ({
      op: OP.dispatch,
      t: event,
      s: ++session.seq,
      d: this.filterContent(event, data, session),
    });
    for (const session of this.sessions) {
      if (!session.ready || !wants(session)) continue;
      this.send(session, payload(session));
      delivered++;
    }
    for (const { session, missed } of this.dropped.values()) {
      if (wants(session)) missed.push(payload(session));
    }
    return delivered;
  }

  /** Close every session with `code` (to test reconnects); later events wait for a RESUME. */
  closeAll(code: number): void {
    for (const s of [...this.sessions]) {
      this.drop(s, code);
      s.socket.close(code, "closed by test");
    }
  }

  /** A clean close (1000/1001) ends the session on Discord; anything else may be resumed. */
  private drop(session: GatewaySession, code: number): void {
    if (!this.sessions.delete(session)) return;
    if (session.ready && code !== 1000 && code !== 1001)
      this.dropped.set(session.id, { session, missed: [] });
  }

  close(): void {
    this.dropped.clear();
    for (const s of this.sessions) s.socket.terminate();
    this.wss.close();
  }

  private onConnection(ws: WebSocket): void {
    const session: GatewaySession = {
      id: randomUUID().replaceAll("-", ""),
      shardId: 0,
      shardCount: 1,
      intents: 0,
      ready: false,
      heartbeats: 0,
      seq: 0,
      socket: ws,
    };
    this.sessions.add(session);
    ws.on("close", (code) => this.drop(session, code));
    ws.on("message", (raw) => {
      let payload: { op?: number; d?: unknown };
      try {
        payload = JSON.parse(String(raw)) as { op?: number; d?: unknown };
      } catch {
        this.closeWith(session, 4002, "Error while decoding payload.");
        return;
      }
      this.onPayload(session, payload);
    });
    this.send(session, { op: OP.hello, d: { heartbeat_interval: this.opts.heartbeatIntervalMs } });
  }

  private onPayload(session: GatewaySession, payload: { op?: number; d?: unknown }): void {
    switch (payload.op) {
      case OP.heartbeat:
        session.heartbeats++;
        this.send(session, { op: OP.heartbeatAck });
        return;
      case OP.identify:
        this.identify(session, payload.d as IdentifyData);
        return;
      case OP.resume:
        this.resume(session, payload.d as ResumeData);
        return;
      default:
        // Presence updates, member requests, voice: accepted and ignored.
        return;
    }
  }

  private identify(session: GatewaySession, d: IdentifyData): void {
    if (session.ready) {
      this.closeWith(session, 4005, "Already authenticated.");
      return;
    }
    if (d?.token !== this.opts.token) {
      this.closeWith(session, CLOSE.authenticationFailed, "Authentication failed.");
      return;
    }
    const [shardId, shardCount] = d.shard ?? [0, 1];
    if (shardCount < 1 || shardId < 0 || shardId >= shardCount) {
      this.closeWith(session, CLOSE.invalidShard, "Invalid shard.");
      return;
    }
    const intents = Number(d.intents ?? 0);
    if ((intents & PRIVILEGED & ~this.opts.privilegedIntents) !== 0) {
      this.closeWith(session, CLOSE.disallowedIntents, "Disallowed intent(s).");
      return;
    }
    session.shardId = shardId;
    session.shardCount = shardCount;
    session.intents = intents;
    session.ready = true;
    const guilds = [...this.world.guilds.values()].filter((g) => shardOf(g.id, shardCount) === shardId);
    this.send(session, {
      op: OP.dispatch,
      t: "READY",
      s: ++session.seq,
      d: {
        v: 10,
        user: this.world.userJson(this.world.bot),
        guilds: guilds.map((g) => ({ id: g.id, unavailable: true })),
        session_id: session.id,
        resume_gateway_url: this.url,
        shard: [shardId, shardCount],
        application: { id: this.opts.applicationId, flags: 0 },
        private_channels: [],
        relationships: [],
        presences: [],
        guild_join_requests: [],
        user_settings: {},
        geo_ordered_rtc_regions: [],
      },
    });
    if ((intents & INTENT.guilds) !== 0) {
      for (const g of guilds) {
        this.send(session, {
          op: OP.dispatch,
          t: "GUILD_CREATE",
          s: ++session.seq,
          d: this.world.guildJson(g),
        });
      }
    }
  }

  /** Take over a dropped session: replay what it missed, then RESUMED. */
  private resume(session: GatewaySession, d: ResumeData): void {
    const old = d?.session_id ? this.dropped.get(d.session_id) : undefined;
    if (!old || d.token !== this.opts.token) {
      this.send(session, { op: OP.invalidSession, d: false });
      return;
    }
    this.dropped.delete(old.session.id);
    Object.assign(session, { ...old.session, socket: session.socket, heartbeats: session.heartbeats });
    for (const payload of old.missed) this.send(session, payload);
    this.send(session, { op: OP.dispatch, t: "RESUMED", s: ++session.seq, d: {} });
  }

  /**
   * Without the Message Content intent Discord blanks content, except in DMs and in messages
   * that mention the bot (docs, "Message Content Intent").
   */
  private filterContent(
    event: string,
    data: Record<string, unknown>,
    session: GatewaySession,
  ): Record<string, unknown> {
    if (event !== "MESSAGE_CREATE" || (session.intents & INTENT.messageContent) !== 0) return data;
    if (!("guild_id" in data)) return data;
    const mentions = (data.mentions as { id: string }[] | undefined) ?? [];
    if (mentions.some((m) => m.id === this.world.bot.id)) return data;
    if ((data.author as { id: string }).id === this.world.bot.id) return data;
    return { ...data, content: "", embeds: [], attachments: [], components: [] };
  }

  private send(session: GatewaySession, payload: Record<string, unknown>): void {
    if (session.socket.readyState === session.socket.OPEN) session.socket.send(JSON.stringify(payload));
  }

  private closeWith(session: GatewaySession, code: number, reason: string): void {
    this.closes.push(code);
    session.ready = false;
    session.socket.close(code, reason);
  }
}

interface ResumeData {
  token?: string;
  session_id?: string;
  seq?: number;
}

interface IdentifyData {
  token?: string;
  intents?: number;
  shard?: [number, number];
}
