/**
 * Web chat sessions: the open SSE connections of each browser session, the turns it has running,
 * and a short, compacted log of recent events. The log lets a page that connects late (the answer
 * started before its EventSource was open), reconnects (Last-Event-ID) or reloads catch up.
 * Everything is bounded: sessions, sessions per client address, connections per session, log
 * events and log characters. One client cannot fill the hub: beyond its share it must close or
 * abandon sessions of its own, and idle sessions (no tab, no running turn) make room first.
 */
import { randomBytes } from "node:crypto";
import { SSE_HEARTBEAT, sseFrame, type WebEvent } from "./events.js";

/** The part of an HTTP response an SSE connection needs (a `ServerResponse` fits). */
export interface SseConnection {
  write(chunk: string): boolean;
  end(): void;
  readonly writableLength: number;
}

export interface SessionHubOptions {
  /** Sessions kept at once; the least recently opened idle one makes room for a new one. */
  maxSessions: number;
  /**
   * Sessions one client (remote address, an IPv6 /64: see client-address.ts) may hold; its own
   * least recently opened idle session makes room for a new one.
   */
  maxSessionsPerClient: number;
  /** A session with no connection and no running turn is dropped after this long without activity. */
  sessionIdleMs: number;
  /** Tabs of one session connected at once; the oldest connection is closed beyond this. */
  maxConnectionsPerSession: number;
  /** Events kept for replay per session (after compaction: one latest edit per message). */
  logMaxEvents: number;
  /** Characters of SSE frames kept for replay per session. */
  logMaxChars: number;
  /** A connection with this many bytes unsent is a stuck client: it is closed (it reconnects and replays). */
  maxPendingWriteBytes: number;
  now: () => number;
}

export const DEFAULT_SESSION_HUB_OPTIONS: SessionHubOptions = {
  // A local chat has a handful of tabs; 200 leaves room for a shared dev box.
  maxSessions: 200,
  // A person with a few browsers and many tabs (each browser profile is one session): a tenth of
  // the hub, so at least ten addresses can chat however hard one of them tries to fill it.
  maxSessionsPerClient: 20,
  // Long enough to come back from a coffee break with the page still catching up; the history
  // itself lives in the store and outlives this.
  sessionIdleMs: 30 * 60_000,
  // Browsers allow 6 HTTP/1.1 connections per host; more tabs than that cannot all connect anyway.
  maxConnectionsPerSession: 6,
  logMaxEvents: 500,
  // Ten answers at the web sink's 20,000-character limit.
  logMaxChars: 200_000,
  maxPendingWriteBytes: 1024 * 1024,
  now: () => Date.now(),
};

interface LogEntry {
  seq: number;
  /** Entries with the same key replace each other (edits of one message, status of one turn). */
  key: string | undefined;
  frame: string;
}

export class WebSession {
  /** Changes when the session is created anew (expiry, restart), so stale Last-Event-IDs replay all. */
  readonly epoch = randomBytes(4).toString("hex");
  readonly connections = new Set<SseConnection>();
  /** Running turns by turn id; aborting one stops its answer. */
  readonly turns = new Map<string, AbortController>();
  log: LogEntry[] = [];
  logChars = 0;
  seq = 0;

  constructor(
    readonly id: string,
    public lastActiveAt: number,
    /** Client key of the address that opened it: its sessions count against that client's share. */
    readonly client: string,
  ) {}
}

function compactionKey(event: WebEvent): string | undefined {
  switch (event.type) {
    case "edit":
    case "finalize":
      return `msg:${event.ref}`;
    case "status":
      return `status:${event.turnId}`;
    default:
      return undefined;
  }
}

/** Parse an event id `<epoch>-<seq>` as the page echoes it back. */
function parseEventId(id: string | undefined): { epoch: string; seq: number } | undefined {
  const match = id ? /^([0-9a-f]+)-(\d+)$/.exec(id.trim()) : null;
  if (!match?.[1] || !match[2]) return undefined;
  return { epoch: match[1], seq: Number(match[2]) };
}

export class SessionHub {
  private readonly sessions = new Map<string, WebSession>();
  /** Sessions per client key, kept with `sessions` (no scan to count one client's). */
  private readonly perClient = new Map<string, number>();
  private readonly opts: SessionHubOptions;

  constructor(opts: Partial<SessionHubOptions> = {}) {
    this.opts = { ...DEFAULT_SESSION_HUB_OPTIONS, ...opts };
  }

  get size(): number {
    return this.sessions.size;
  }

  get(id: string): WebSession | undefined {
    return this.sessions.get(id);
  }

  /**
   * The session, created if new for `client` (the remote address's key). Undefined when that
   * client holds its share of sessions, all in use, or the hub is full of sessions in use.
   */
  open(id: string, client = "local"): WebSession | undefined {
    const now = this.opts.now();
    const existing = this.sessions.get(id);
    if (existing) {
      // Re-insert: Map order is then least recently opened first, the eviction order.
      this.sessions.delete(id);
      this.sessions.set(id, existing);
      existing.lastActiveAt = now;
      return existing;
    }
    if ((this.perClient.get(client) ?? 0) >= this.opts.maxSessionsPerClient && !this.evictOne(client)) {
      return undefined;
    }
    if (this.sessions.size >= this.opts.maxSessions && !this.evictOne()) return undefined;
    const session = new WebSession(id, now, client);
    this.add(session);
    return session;
  }

  /** Send an event to every connection of the session and keep it for replay. */
  publish(session: WebSession, event: WebEvent): void {
    session.lastActiveAt = this.opts.now();
    session.seq += 1;
    const frame = sseFrame(event, `${session.epoch}-${session.seq}`);
    const key = compactionKey(event);
    if (key !== undefined) {
      for (let i = session.log.length - 1; i >= 0; i--) {
        const entry = session.log[i];
        if (entry?.key === key) {
          session.log.splice(i, 1);
          session.logChars -= entry.frame.length;
          break;
        }
      }
    }
    session.log.push({ seq: session.seq, key, frame });
    session.logChars += frame.length;
    while (
      session.log.length > 1 &&
      (session.log.length > this.opts.logMaxEvents || session.logChars > this.opts.logMaxChars)
    ) {
      const dropped = session.log.shift();
      if (dropped) session.logChars -= dropped.frame.length;
    }
    for (const conn of session.connections) this.write(session, conn, frame);
  }

  /**
   * Attach a connection: replay what it missed (everything after `lastEventId` of this session's
   * epoch; the whole log otherwise), then tell it which turns are still running.
   */
  connect(session: WebSession, conn: SseConnection, lastEventId?: string): void {
    session.lastActiveAt = this.opts.now();
    const last = parseEventId(lastEventId);
    const after = last && last.epoch === session.epoch ? last.seq : 0;
    const missed = session.log.filter((entry) => entry.seq > after);
    const replay = missed.map((entry) => entry.frame).join("");
    conn.write(replay + sseFrame({ type: "sync", running: [...session.turns.keys()] }));
    session.connections.add(conn);
    for (const old of session.connections) {
      if (session.connections.size <= this.opts.maxConnectionsPerSession) break;
      session.connections.delete(old);
      old.end();
    }
  }

  disconnect(session: WebSession, conn: SseConnection): void {
    session.connections.delete(conn);
    session.lastActiveAt = this.opts.now();
  }

  /** A comment on every open connection, so idle streams are not cut by proxies or the browser. */
  heartbeat(): void {
    for (const session of this.sessions.values()) {
      for (const conn of session.connections) this.write(session, conn, SSE_HEARTBEAT);
    }
  }

  /** Drop sessions that have no connection, no running turn and no recent activity. */
  sweep(): number {
    const cutoff = this.opts.now() - this.opts.sessionIdleMs;
    let dropped = 0;
    for (const [id, session] of this.sessions) {
      if (this.isIdle(session) && session.lastActiveAt <= cutoff) {
        this.remove(id);
        dropped += 1;
      }
    }
    return dropped;
  }

  /** Drop a session and its replay log now (`/forget`): its open tabs are disconnected. */
  drop(id: string): boolean {
    const session = this.sessions.get(id);
    if (!session) return false;
    for (const conn of session.connections) conn.end();
    session.connections.clear();
    return this.remove(id);
  }

  /** Close every connection (shutdown). Sessions and their logs stay until the process ends. */
  closeAllConnections(): void {
    for (const session of this.sessions.values()) {
      for (const conn of session.connections) conn.end();
      session.connections.clear();
    }
  }

  get connectionCount(): number {
    let count = 0;
    for (const session of this.sessions.values()) count += session.connections.size;
    return count;
  }

  private isIdle(session: WebSession): boolean {
    return session.connections.size === 0 && session.turns.size === 0;
  }

  /** Drop the least recently opened idle session (of `client` only, when given). */
  private evictOne(client?: string): boolean {
    for (const [id, session] of this.sessions) {
      if (this.isIdle(session) && (client === undefined || session.client === client)) {
        this.remove(id);
        return true;
      }
    }
    return false;
  }

  private add(session: WebSession): void {
    this.sessions.set(session.id, session);
    this.perClient.set(session.client, (this.perClient.get(session.client) ?? 0) + 1);
  }

  private remove(id: string): boolean {
    const session = this.sessions.get(id);
    if (!session) return false;
    this.sessions.delete(id);
    const left = (this.perClient.get(session.client) ?? 1) - 1;
    if (left > 0) this.perClient.set(session.client, left);
    else this.perClient.delete(session.client);
    return true;
  }

  private write(session: WebSession, conn: SseConnection, frame: string): void {
    if (conn.writableLength > this.opts.maxPendingWriteBytes) {
      session.connections.delete(conn);
      conn.end();
      return;
    }
    conn.write(frame);
  }
}
