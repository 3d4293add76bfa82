import { describe, expect, it } from "vitest";
import { clientKeyOf } from "../../../src/http/client-address.js";
import type { WebEvent } from "../../../src/platforms/web/events.js";
import { SessionHub, type SseConnection } from "../../../src/platforms/web/sessions.js";

/** An SSE connection that records frames; `pending` simulates bytes a slow client has not read. */
class FakeConnection implements SseConnection {
  frames: string[] = [];
  ended = false;
  pending = 0;
  get writableLength(): number {
    return this.pending;
  }
  write(chunk: string): boolean {
    this.frames.push(chunk);
    return true;
  }
  end(): void {
    this.ended = true;
  }
  /** Event names and texts in the order received (comments left out). */
  get events(): string[] {
    return this.frames
      .join("")
      .split("\n\n")
      .filter((block) => block.includes("event: "))
      .map((block) => {
        const type = /event: (\w+)/.exec(block)?.[1];
        const data = JSON.parse(/data: (.*)/.exec(block)?.[1] ?? "{}") as { text?: string };
        return data.text === undefined ? `${type}` : `${type}:${data.text}`;
      });
  }
}

function clock(start = 1_000_000) {
  let now = start;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

const edit = (text: string, ref = "m.1"): WebEvent => ({
  type: "edit",
  turnId: "web:m",
  ref,
  text,
  state: "streaming",
});

describe("SessionHub", () => {
  it("keeps events of a session without a tab and delivers them when a tab connects", () => {
    const hub = new SessionHub();
    const session = hub.open("session-a")!;
    hub.publish(session, { type: "post", turnId: "web:m", ref: "m.1", text: "Hel", state: "streaming" });
    hub.publish(session, edit("Hello"));
    const tab = new FakeConnection();
    hub.connect(session, tab);
    expect(tab.events).toEqual(["post:Hel", "edit:Hello", "sync"]);
  });

  it("replays only the latest edit of a message", () => {
    const hub = new SessionHub();
    const session = hub.open("session-a")!;
    hub.publish(session, { type: "post", turnId: "web:m", ref: "m.1", text: "a", state: "streaming" });
    for (const text of ["ab", "abc", "abcd"]) hub.publish(session, edit(text));
    hub.publish(session, { type: "status", turnId: "web:m", text: "thinking..." });
    hub.publish(session, { type: "status", turnId: "web:m", text: "" });
    const tab = new FakeConnection();
    hub.connect(session, tab);
    expect(tab.events).toEqual(["post:a", "edit:abcd", "status:", "sync"]);
  });

  it("replays what a reconnecting tab missed after its last event id, and everything for a stale id", () => {
    const hub = new SessionHub();
    const session = hub.open("session-a")!;
    const first = new FakeConnection();
    hub.connect(session, first);
    hub.publish(session, { type: "notice", turnId: "web:m", text: "one" });
    const lastId = /id: (\S+)/.exec(first.frames.join(""))?.[1];
    hub.disconnect(session, first);
    hub.publish(session, { type: "notice", turnId: "web:m", text: "two" });

    const again = new FakeConnection();
    hub.connect(session, again, lastId);
    expect(again.events).toEqual(["notice:two", "sync"]);
    const afterRestart = new FakeConnection();
    hub.connect(session, afterRestart, "0badc0de-1");
    expect(afterRestart.events).toEqual(["notice:one", "notice:two", "sync"]);
  });

  it("tells a connecting tab which turns are still running", () => {
    const hub = new SessionHub();
    const session = hub.open("session-a")!;
    session.turns.set("web:m1", new AbortController());
    const tab = new FakeConnection();
    hub.connect(session, tab);
    expect(tab.frames.join("")).toContain('event: sync\ndata: {"running":["web:m1"]}');
  });

  it("bounds the replay log by events and by characters", () => {
    const hub = new SessionHub({ logMaxEvents: 3, logMaxChars: 100_000 });
    const session = hub.open("session-a")!;
    for (let i = 1; i <= 5; i++) hub.publish(session, { type: "notice", turnId: "web:m", text: `n${i}` });
    expect(session.log).toHaveLength(3);

    const small = new SessionHub({ logMaxChars: 500 });
    const other = small.open("session-b")!;
    for (let i = 0; i < 10; i++)
      small.publish(other, { type: "notice", turnId: "web:m", text: "x".repeat(100) });
    expect(other.logChars).toBeLessThanOrEqual(500);
    const tab = new FakeConnection();
    small.connect(other, tab);
    expect(tab.events.length).toBeLessThan(10);
  });

  it("drops sessions that have had no tab, no turn and no activity for the idle time", () => {
    const time = clock();
    const hub = new SessionHub({ sessionIdleMs: 60_000, now: time.now });
    hub.open("idle");
    const watched = hub.open("watched")!;
    hub.connect(watched, new FakeConnection());
    const busy = hub.open("busy")!;
    busy.turns.set("web:m", new AbortController());
    time.advance(30_000);
    expect(hub.sweep()).toBe(0);
    time.advance(30_000);
    expect(hub.sweep()).toBe(1);
    expect(hub.get("idle")).toBeUndefined();
    expect(hub.get("watched")).toBeDefined();
    expect(hub.get("busy")).toBeDefined();
  });

  it("makes room by dropping the least recently used idle session, and refuses when all are in use", () => {
    const hub = new SessionHub({ maxSessions: 2 });
    hub.open("old");
    hub.open("recent");
    hub.open("old");
    expect(hub.open("new")).toBeDefined();
    expect(hub.get("recent")).toBeUndefined();
    expect(hub.get("old")).toBeDefined();

    for (const id of ["old", "new"]) hub.connect(hub.get(id)!, new FakeConnection());
    expect(hub.open("another")).toBeUndefined();
    expect(hub.size).toBe(2);
  });

  it("does not let one address fill the chat: its own idle sessions make room, then it is refused while others still chat", () => {
    const hub = new SessionHub({ maxSessions: 6, maxSessionsPerClient: 3 });
    hub.open("theirs-idle", "198.51.100.7");
    hub.open("mallory-0", "203.0.113.9");
    for (let i = 1; i < 3; i++) hub.connect(hub.open(`mallory-${i}`, "203.0.113.9")!, new FakeConnection());
    // At its share: its own idle session makes room, not someone else's.
    expect(hub.open("mallory-3", "203.0.113.9")).toBeDefined();
    expect(hub.get("mallory-0")).toBeUndefined();
    expect(hub.get("theirs-idle")).toBeDefined();
    hub.connect(hub.get("mallory-3")!, new FakeConnection());
    // Every session of that address in use: refused, however many it asks for.
    for (let i = 4; i < 20; i++) expect(hub.open(`mallory-${i}`, "203.0.113.9")).toBeUndefined();
    expect(hub.size).toBe(4);
    // Everyone else still gets a session, up to the hub's size.
    expect(hub.open("ann", "192.0.2.1")).toBeDefined();
    expect(hub.open("ben", "2001:db8:1:2::1")).toBeDefined();
    // An address's share frees again when its sessions go.
    hub.drop("mallory-1");
    expect(hub.open("mallory-again", "203.0.113.9")).toBeDefined();
  });

  it("counts one IPv6 /64 as one client, as the web chat's routes key it", () => {
    const hub = new SessionHub({ maxSessionsPerClient: 2 });
    for (const [id, address] of [
      ["a", "2001:db8:1:2::1"],
      ["b", "2001:db8:1:2:ffff::9"],
    ] as const) {
      hub.connect(hub.open(id, clientKeyOf(address))!, new FakeConnection());
    }
    expect(hub.open("c", clientKeyOf("2001:db8:1:2:abcd::1"))).toBeUndefined();
    expect(hub.open("c", clientKeyOf("2001:db8:1:3::1"))).toBeDefined();
  });

  it("closes the oldest tab when a session has too many", () => {
    const hub = new SessionHub({ maxConnectionsPerSession: 2 });
    const session = hub.open("session-a")!;
    const tabs = [new FakeConnection(), new FakeConnection(), new FakeConnection()];
    for (const tab of tabs) hub.connect(session, tab);
    expect(tabs.map((t) => t.ended)).toEqual([true, false, false]);
    expect(session.connections.size).toBe(2);
  });

  it("closes a tab that stopped reading instead of buffering for it without end", () => {
    const hub = new SessionHub({ maxPendingWriteBytes: 1000 });
    const session = hub.open("session-a")!;
    const stuck = new FakeConnection();
    const fine = new FakeConnection();
    hub.connect(session, stuck);
    hub.connect(session, fine);
    stuck.pending = 5000;
    hub.publish(session, { type: "notice", turnId: "web:m", text: "hello" });
    expect(stuck.ended).toBe(true);
    expect(fine.events).toContain("notice:hello");
    expect(session.connections.has(stuck)).toBe(false);
  });

  it("sends heartbeats to every open tab and closes them all on shutdown", () => {
    const hub = new SessionHub();
    const a = new FakeConnection();
    const b = new FakeConnection();
    hub.connect(hub.open("session-a")!, a);
    hub.connect(hub.open("session-b")!, b);
    hub.heartbeat();
    expect(a.frames.at(-1)).toBe(": ping\n\n");
    expect(b.frames.at(-1)).toBe(": ping\n\n");
    hub.closeAllConnections();
    expect([a.ended, b.ended]).toEqual([true, true]);
    expect(hub.connectionCount).toBe(0);
  });
});
