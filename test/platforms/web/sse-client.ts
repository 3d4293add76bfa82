/**
 * A small Server-Sent Events reader for tests, over fetch: records every event and comment so a
 * test can wait for what a browser tab would have received.
 */
export interface SseEvent {
  event: string;
  id: string | undefined;
  data: Record<string, unknown>;
}

export class SseClient {
  readonly events: SseEvent[] = [];
  comments = 0;
  status = 0;
  private readonly controller = new AbortController();
  private waiters: { check: () => boolean; resolve: () => void }[] = [];
  private closed = false;

  private constructor(private readonly url: string) {}

  /** Open the stream; resolves once the response headers arrived. */
  static async connect(url: string, headers: Record<string, string> = {}): Promise<SseClient> {
    const client = new SseClient(url);
    const res = await fetch(url, {
      headers: { accept: "text/event-stream", ...headers },
      signal: client.controller.signal,
    });
    client.status = res.status;
    if (res.body) void client.read(res.body);
    return client;
  }

  get lastId(): string | undefined {
    for (let i = this.events.length - 1; i >= 0; i--) {
      const id = this.events[i]?.id;
      if (id !== undefined) return id;
    }
    return undefined;
  }

  of(type: string): SseEvent[] {
    return this.events.filter((e) => e.event === type);
  }

  /** Resolve when `check` holds; reject with what arrived so far after `timeoutMs`. */
  async until(check: (events: SseEvent[]) => boolean, timeoutMs = 10_000): Promise<SseEvent[]> {
    if (check(this.events)) return this.events;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(
          new Error(
            `SSE ${this.url}: condition not met in ${timeoutMs} ms; got ${this.events.map((e) => e.event).join(",")}`,
          ),
        );
      }, timeoutMs);
      this.waiters.push({
        check: () => check(this.events),
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      });
    });
    return this.events;
  }

  close(): void {
    this.closed = true;
    this.controller.abort();
  }

  private async read(body: ReadableStream<Uint8Array>): Promise<void> {
    const decoder = new TextDecoder();
    let buffer = "";
    try {
      for await (const chunk of body) {
        buffer += decoder.decode(chunk, { stream: true });
        let end = buffer.indexOf("\n\n");
        while (end !== -1) {
          this.parse(buffer.slice(0, end));
          buffer = buffer.slice(end + 2);
          end = buffer.indexOf("\n\n");
        }
        this.notify();
      }
    } catch (err) {
      if (!this.closed) throw err;
    }
  }

  private parse(block: string): void {
    let event = "message";
    let id: string | undefined;
    const data: string[] = [];
    let onlyComments = true;
    for (const line of block.split("\n")) {
      if (line.startsWith(":")) continue;
      onlyComments = false;
      const colon = line.indexOf(":");
      const field = colon === -1 ? line : line.slice(0, colon);
      const value = colon === -1 ? "" : line.slice(colon + 1).replace(/^ /, "");
      if (field === "event") event = value;
      else if (field === "id") id = value;
      else if (field === "data") data.push(value);
    }
    if (onlyComments) {
      this.comments += 1;
      return;
    }
    if (data.length === 0) return;
    this.events.push({ event, id, data: JSON.parse(data.join("\n")) as Record<string, unknown> });
  }

  private notify(): void {
    this.waiters = this.waiters.filter((w) => {
      if (!w.check()) return true;
      w.resolve();
      return false;
    });
  }
}

/** A check for `until`: the turn's `end` event arrived. */
export const ended =
  (turnId: unknown) =>
  (events: SseEvent[]): boolean =>
    events.some((e) => e.event === "end" && e.data.turnId === turnId);
