/**
 * Sends one streaming chat-completions request on undici's dispatcher, with a handler of our own
 * instead of the SDK's `fetch` or undici's `request()`. fetch hands the body over as a WHATWG
 * ReadableStream (a transfer, a promise and a queue per network read): measured with the core
 * benchmark's fake LLM, a bare fetch client spent ~4x the CPU per answer of a bare `request()`
 * client. `request()` in turn wraps the body in a Node Readable read through its async iterator
 * (an async-hooks scope, stream state and several promises per read); here each read is a Buffer
 * put in a queue that the SSE reader takes from directly (`ResponseChunks`), which is what a
 * streamed answer costs per network read, dozens of times per answer. A reader that can take each
 * read where it arrives (`consume`) gets it in undici's own data callback: no promise, no iterator
 * result and no resumed async function per read. Failures are raised as the
 * SDK's own error classes, built the way the SDK builds them, so llm-errors.ts classifies them
 * exactly as before.
 */
import { APIConnectionError, APIConnectionTimeoutError, APIError } from "openai";
import { VERSION } from "openai/version";
import { Agent, type Dispatcher } from "undici";

export interface ChatResponse {
  /** The response's headers (built when first read: only errors need them). */
  readonly headers: Headers;
  /** The SSE body, one Uint8Array per network read. */
  body: AsyncIterable<Uint8Array>;
  /**
   * Instead of iterating `body`: each read (those queued first) is handed to `onRead` as it
   * arrives, in the network callback. Resolves when `onRead` returns false (it wants no more;
   * later reads are dropped) or the body ends; rejects with the body's failure or with what
   * `onRead` threw, and `onRead` is not called again.
   */
  consume(onRead: (read: Uint8Array) => boolean): Promise<void>;
  /** Stop the request: the rest of the body is not wanted (its connection is closed). */
  cancel(): void;
}

/**
 * The model's own connection pool, shared by every model client of the process. Not the global
 * dispatcher: discord.js brings its own undici, and whichever copy loads first would otherwise
 * decide which one carries the model's requests.
 */
const pool = new Agent();

/** Sent as the SDK sends it: some gateways route or log by it. */
const USER_AGENT = `OpenAI/JS ${VERSION}`;

/**
 * Bytes of response kept unread before the connection is paused (a reader slower than the
 * server); reading resumes once the queue is empty. A streamed answer rarely has more than a few
 * kilobytes in flight.
 */
const HIGH_WATER_BYTES = 64 * 1024;
/** Longest error body kept for the APIError (an HTML error page from a proxy can be large). */
const MAX_ERROR_BODY_CHARS = 64 * 1024;

/**
 * POST `body` (already JSON) to `<baseURL>/chat/completions`. Resolves once a 2xx status and the
 * headers are in; a non-2xx answer throws the SDK's APIError for that status (with the server's
 * error object and headers, e.g. Retry-After), a connection failure APIConnectionError (or
 * APIConnectionTimeoutError). An abort through `signal` rejects with the signal's reason, before
 * the headers from here and afterwards from the body; the caller knows why it aborted.
 */
export function postChatCompletion(
  baseURL: string,
  apiKey: string,
  body: string,
  signal: AbortSignal,
): Promise<ChatResponse> {
  const target = endpointOf(baseURL);
  return new Promise<ChatResponse>((resolve, reject) => {
    if (signal.aborted) {
      reject(signal.reason);
      return;
    }
    const handler = new ChatHandler(signal, resolve, reject);
    try {
      pool.dispatch(
        {
          origin: target.origin,
          path: target.path,
          method: "POST",
          headers: {
            authorization: `Bearer ${apiKey}`,
            "content-type": "application/json",
            accept: "application/json",
            "user-agent": USER_AGENT,
          },
          body,
        },
        handler,
      );
    } catch (err) {
      handler.fail(err);
    }
  });
}

/** A parsed `<baseURL>/chat/completions`, per base URL (one or two per process). */
const endpoints = new Map<string, { origin: string; path: string }>();

function endpointOf(baseURL: string): { origin: string; path: string } {
  let endpoint = endpoints.get(baseURL);
  if (!endpoint) {
    const url = new URL(chatCompletionsUrl(baseURL));
    endpoint = { origin: url.origin, path: `${url.pathname}${url.search}` };
    endpoints.set(baseURL, endpoint);
  }
  return endpoint;
}

type Controller = Parameters<NonNullable<Dispatcher.DispatchHandler["onRequestStart"]>>[0];
type RawHeaders = Record<string, string | string[] | undefined>;

/**
 * One request's handler: settles the header promise, then feeds the body's reads into
 * `ResponseChunks`. A non-2xx answer's body is collected and thrown as the SDK's APIError.
 */
class ChatHandler implements Dispatcher.DispatchHandler {
  private controller: Controller | null = null;
  private settled = false;
  private chunks: ResponseChunks | null = null;
  /** A non-2xx answer: its status, headers and body so far. */
  private failed: { status: number; headers: RawHeaders; text: string; decoder: TextDecoder } | null = null;
  private readonly onAbort: () => void;

  constructor(
    private readonly signal: AbortSignal,
    private readonly resolve: (res: ChatResponse) => void,
    private readonly reject: (err: unknown) => void,
  ) {
    this.onAbort = () => {
      this.controller?.abort(signal.reason);
      // Before the headers the caller stops waiting at once, even for a request still queued
      // for a connection (undici aborts that one when it would have started).
      if (!this.chunks) this.settle(signal.reason);
    };
    signal.addEventListener("abort", this.onAbort, { once: true });
  }

  onRequestStart(controller: Controller): void {
    this.controller = controller;
    if (this.signal.aborted) controller.abort(this.signal.reason);
  }

  onResponseStart(controller: Controller, statusCode: number, headers: RawHeaders): void {
    if (statusCode < 200) return; // 1xx: the real answer follows
    if (statusCode > 299) {
      this.failed = { status: statusCode, headers, text: "", decoder: new TextDecoder() };
      return;
    }
    this.chunks = new ResponseChunks(controller);
    this.settled = true;
    this.resolve(new Response(headers, this.chunks));
  }

  onResponseData(controller: Controller, chunk: Buffer): void {
    if (this.chunks) {
      this.chunks.push(chunk);
      if (this.chunks.queuedBytes > HIGH_WATER_BYTES) controller.pause();
    } else if (this.failed && this.failed.text.length < MAX_ERROR_BODY_CHARS) {
      this.failed.text += this.failed.decoder.decode(chunk, { stream: true });
    }
  }

  onResponseEnd(): void {
    this.signal.removeEventListener("abort", this.onAbort);
    if (this.chunks) {
      this.chunks.end();
      return;
    }
    const failed = this.failed;
    if (!failed) {
      this.fail(new Error("the response ended before its status"));
      return;
    }
    // As the SDK does: the body as JSON if it is JSON, else its text as the message.
    const text = failed.text + failed.decoder.decode();
    const json = safeJson(text);
    this.settle(APIError.generate(failed.status, json, json ? undefined : text, toHeaders(failed.headers)));
  }

  onResponseError(_controller: Controller, err: Error): void {
    this.fail(err);
  }

  /** Any failure: before the headers it rejects the request, afterwards the body's next read. */
  fail(err: unknown): void {
    this.signal.removeEventListener("abort", this.onAbort);
    if (this.chunks) {
      this.chunks.error(this.signal.aborted ? this.signal.reason : err);
      return;
    }
    this.settle(this.signal.aborted ? this.signal.reason : connectionError(err));
  }

  private settle(err: unknown): void {
    if (this.settled) return;
    this.settled = true;
    this.reject(err);
  }
}

/** The response as the reader sees it; its headers are built on first use. */
class Response implements ChatResponse {
  private built: Headers | null = null;
  constructor(
    private readonly raw: RawHeaders,
    readonly body: ResponseChunks,
  ) {}
  get headers(): Headers {
    this.built ??= toHeaders(this.raw);
    return this.built;
  }
  consume(onRead: (read: Uint8Array) => boolean): Promise<void> {
    return this.body.consume(onRead);
  }
  cancel(): void {
    this.body.cancel();
  }
}

/**
 * The body's reads, queued as they arrive; iterated once. `next()` hands over a queued read at
 * once (a resolved promise) or waits for the next one. The connection is paused while more than
 * HIGH_WATER_BYTES wait unread and resumed when the queue is empty.
 */
class ResponseChunks implements AsyncIterable<Uint8Array>, AsyncIterator<Uint8Array> {
  private readonly queue: Buffer[] = [];
  private head = 0;
  queuedBytes = 0;
  private ended = false;
  private failure: { err: unknown } | null = null;
  private waiting: { resolve: (r: IteratorResult<Uint8Array>) => void; reject: (e: unknown) => void } | null =
    null;
  /** `consume`'s reader and its promise's settlers, while it takes reads. */
  private reader: ((read: Buffer) => boolean) | null = null;
  private consumed: { resolve: () => void; reject: (e: unknown) => void } | null = null;
  /** `consume` has finished: later reads are dropped. */
  private discard = false;

  constructor(private readonly controller: Controller) {}

  [Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    return this;
  }

  push(chunk: Buffer): void {
    if (this.reader) {
      this.read(chunk);
      return;
    }
    if (this.discard) return;
    const waiting = this.waiting;
    if (waiting) {
      this.waiting = null;
      waiting.resolve({ value: chunk, done: false });
      return;
    }
    this.queue.push(chunk);
    this.queuedBytes += chunk.length;
  }

  end(): void {
    this.ended = true;
    this.stopReading()?.resolve();
    const waiting = this.waiting;
    this.waiting = null;
    waiting?.resolve({ value: undefined, done: true });
  }

  error(err: unknown): void {
    if (this.ended || this.failure) return;
    this.failure = { err };
    this.stopReading()?.reject(err);
    const waiting = this.waiting;
    this.waiting = null;
    waiting?.reject(err);
  }

  next(): Promise<IteratorResult<Uint8Array>> {
    if (this.head < this.queue.length) {
      const chunk = this.queue[this.head]!;
      this.queue[this.head++] = EMPTY;
      this.queuedBytes -= chunk.length;
      if (this.head === this.queue.length) {
        this.queue.length = 0;
        this.head = 0;
        if (this.controller.paused) this.controller.resume();
      }
      return Promise.resolve({ value: chunk, done: false });
    }
    if (this.failure) return Promise.reject(this.failure.err);
    if (this.ended) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve, reject) => {
      this.waiting = { resolve, reject };
    });
  }

  consume(onRead: (read: Buffer) => boolean): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.reader = onRead;
      this.consumed = { resolve, reject };
      // What arrived before: in order, until the reader wants no more.
      while (this.reading() && this.head < this.queue.length) {
        const chunk = this.queue[this.head]!;
        this.queue[this.head++] = EMPTY;
        this.read(chunk);
      }
      this.queue.length = 0;
      this.head = 0;
      this.queuedBytes = 0;
      if (this.controller.paused) this.controller.resume();
      if (!this.reading()) return;
      if (this.failure) this.stopReading()?.reject(this.failure.err);
      else if (this.ended) this.stopReading()?.resolve();
    });
  }

  cancel(): void {
    if (this.ended || this.failure) return;
    this.controller.abort(new Error("the rest of the response is not wanted"));
  }

  private reading(): boolean {
    return this.reader !== null;
  }

  private read(chunk: Buffer): void {
    let more: boolean;
    try {
      more = this.reader!(chunk);
    } catch (err) {
      this.stopReading()?.reject(err);
      return;
    }
    if (!more) this.stopReading()?.resolve();
  }

  /** End `consume`: the settlers of its promise, if it was still reading. */
  private stopReading(): { resolve: () => void; reject: (e: unknown) => void } | null {
    const consumed = this.consumed;
    if (!consumed) return null;
    this.reader = null;
    this.consumed = null;
    this.discard = true;
    return consumed;
  }
}

const EMPTY = Buffer.alloc(0);

/** The SDK's URL: the base URL (with or without a trailing slash) plus the endpoint path. */
export function chatCompletionsUrl(baseURL: string): string {
  return `${baseURL.endsWith("/") ? baseURL.slice(0, -1) : baseURL}/chat/completions`;
}

/** The SDK's rule: an error that reads like a timeout is a connection timeout. */
function connectionError(err: unknown): APIConnectionError {
  const cause = err instanceof Error ? err : new Error(String(err));
  const described = String(cause) + ("cause" in cause ? String(cause.cause) : "");
  if (/timed? ?out/i.test(described)) return new APIConnectionTimeoutError();
  return new APIConnectionError({ cause });
}

function toHeaders(raw: Record<string, string | string[] | undefined>): Headers {
  const headers = new Headers();
  for (const [name, value] of Object.entries(raw)) {
    if (value === undefined) continue;
    if (Array.isArray(value)) for (const v of value) headers.append(name, v);
    else headers.set(name, value);
  }
  return headers;
}

function safeJson(text: string): object | undefined {
  try {
    return JSON.parse(text) as object;
  } catch {
    return undefined;
  }
}
