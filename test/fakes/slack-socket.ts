/**
 * The Socket Mode side of the fake Slack: the WebSocket a `SocketModeClient` connects to after
 * `apps.connections.open`. Slack's protocol: a `hello` on connect, then envelopes
 * `{envelope_id, type, payload, accepts_response_payload}` that the app acknowledges by sending
 * back `{envelope_id, payload?}`.
 */
import { randomUUID } from "node:crypto";
import type { WebSocket, WebSocketServer } from "ws";

export interface SocketAck {
  envelope_id: string;
  payload?: Record<string, unknown>;
}

export class FakeSocketMode {
  private readonly sockets = new Set<WebSocket>();
  private readonly pending = new Map<string, (ack: SocketAck) => void>();
  private connectedWaiters: (() => void)[] = [];

  constructor(readonly wss: WebSocketServer) {}

  get connections(): number {
    return this.sockets.size;
  }

  accept(ws: WebSocket): void {
    this.sockets.add(ws);
    ws.on("close", () => this.sockets.delete(ws));
    ws.on("message", (data) => {
      let ack: SocketAck;
      try {
        ack = JSON.parse(String(data)) as SocketAck;
      } catch {
        return;
      }
      this.pending.get(ack.envelope_id)?.(ack);
      this.pending.delete(ack.envelope_id);
    });
    ws.send(
      JSON.stringify({ type: "hello", num_connections: this.sockets.size, debug_info: { host: "fake" } }),
    );
    for (const waiter of this.connectedWaiters) waiter();
    this.connectedWaiters = [];
  }

  /** Resolves once an app is connected. */
  waitForConnection(timeoutMs = 5000): Promise<void> {
    if (this.sockets.size > 0) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("no Socket Mode connection")), timeoutMs);
      this.connectedWaiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  /** Send one envelope to the connected app; resolves with its ack (rejects if none in time). */
  send(
    type: "events_api" | "slash_commands" | "interactive",
    payload: Record<string, unknown>,
    opts: { retryAttempt?: number; timeoutMs?: number } = {},
  ): Promise<SocketAck> {
    const ws = [...this.sockets][0];
    if (!ws) return Promise.reject(new Error("no Socket Mode connection"));
    const envelopeId = randomUUID();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(envelopeId);
        reject(new Error(`no ack for ${type} envelope within ${opts.timeoutMs ?? 3000} ms`));
      }, opts.timeoutMs ?? 3000);
      this.pending.set(envelopeId, (ack) => {
        clearTimeout(timer);
        resolve(ack);
      });
      ws.send(
        JSON.stringify({
          envelope_id: envelopeId,
          type,
          payload,
          accepts_response_payload: type !== "events_api",
          ...(opts.retryAttempt ? { retry_attempt: opts.retryAttempt, retry_reason: "timeout" } : {}),
        }),
      );
    });
  }

  closeAll(): void {
    for (const ws of this.sockets) ws.terminate();
    this.sockets.clear();
  }
}
