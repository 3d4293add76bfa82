/**
 * A lean server-sent-events reader for chat-completion streams. The SDK's own stream iterator
 * passes every chunk through several async generators: 7.6 µs of CPU a chunk against 2.6 µs
 * here (`npm run bench -- sse`, Node 20, openai 6.49); at the 1,000 answers a second the core
 * benchmark aims for, ~200 chunks each, that is 1.5 CPU cores against 0.5. This parses each
 * network read as it comes, splits lines by hand and hands back every JSON payload that read
 * completed.
 */
import { APIError } from "openai";
import {
  CHUNK_START_BYTES,
  startsWithBytes,
  TEXT_MARKER,
  TEXT_MARKER_BYTES,
  textAfterMarkerBytes,
  textChunk,
} from "./text-chunk.js";

export interface SseBatch {
  /**
   * Parsed `data:` payloads, in order. A plain text chunk (text-chunk.ts) comes as its text, a
   * string; every other payload as JSON.parse gives it.
   */
  events: unknown[];
  /** `data: [DONE]` was seen: nothing after it matters. */
  done: boolean;
}

/**
 * The reader itself, fed one network read at a time and synchronous: the model adapter reads the
 * body's queue and parses each read in the same step (no async generator between the two: a
 * promise, a yield and a batch object per network read, dozens of times per answer). `push`
 * appends the events a read completed to `out`; after it, `done` tells whether `data: [DONE]` was
 * seen (nothing after it is read) and `failure` holds the error of a payload that was not JSON or
 * was an `{"error": ...}` (the events before it are in `out`; nothing after it is read).
 *
 * The read is parsed as bytes: lines are found with the native byte search, and only what is
 * kept becomes a string (a text chunk's few characters; the whole line of any other event).
 * Decoding every read whole was a copy of the entire stream per answer, the largest allocation
 * of a turn. A line is decoded once complete, so a character split between reads is whole by
 * then (a newline byte is never part of a multi-byte character).
 */
export class SseParser {
  /** The start of a line whose end has not arrived yet. */
  private pending: Buffer | null = null;
  private first = true;
  private data: string | undefined;
  /**
   * Where the text marker sits in this stream's text chunks, in bytes from the payload's start:
   * the id, object, created and model before it are the same in every chunk of one answer. Once
   * known, a one-line text chunk is read in place (its text is the only string made); -1 until
   * the first text chunk has been read the long way.
   */
  private markerAt = -1;
  /** `data: [DONE]` was seen. */
  done = false;
  /** Why reading stopped early: a payload that is not JSON (SyntaxError) or an API error. */
  failure: unknown = undefined;

  constructor(private readonly headers: Headers) {}

  /**
   * Parse one result of the body's iterator (a read, or its end) into `out`, emptied first. True
   * while there is more to read: false once the body ended, `[DONE]` came or a payload failed
   * (`failure`; the events before it are in `out`).
   */
  take(read: IteratorResult<Uint8Array>, out: unknown[]): boolean {
    return this.takeRead(read.done ? null : read.value, out);
  }

  /** `take` for a read handed over as it arrives (`ChatResponse.consume`); null: the body ended. */
  takeRead(read: Uint8Array | null, out: unknown[]): boolean {
    out.length = 0;
    if (read === null) this.end(out);
    else this.push(read, out);
    return read !== null && !this.done && this.failure === undefined;
  }

  /** Parse one network read; the events it completed go to the end of `out`. */
  push(value: Uint8Array, out: unknown[]): void {
    if (this.done || this.failure !== undefined) return;
    const read = Buffer.isBuffer(value)
      ? value
      : Buffer.from(value.buffer, value.byteOffset, value.byteLength);
    let from = 0;
    if (this.pending) {
      // A line split between two reads is joined on its own: the rest of the read is parsed
      // where it lies.
      const nl = read.indexOf(10);
      if (nl === -1) {
        this.pending = Buffer.concat([this.pending, read]);
        return;
      }
      const joined = Buffer.concat([this.pending, read.subarray(0, nl + 1)]);
      this.pending = null;
      if (!this.lines(joined, out)) return;
      from = nl + 1;
    }
    this.lines(from === 0 ? read : read.subarray(from), out);
  }

  /** The body ended: a final event without its blank line (or even its newline) still counts. */
  end(out: unknown[]): void {
    if (this.done || this.failure !== undefined) return;
    const rest = this.pending;
    this.pending = null;
    if (rest) this.lines(Buffer.concat([rest, NEWLINE]), out);
    if (this.data !== undefined && !this.done && this.failure === undefined) this.complete(out);
  }

  /**
   * Parse the complete lines of `bytes`; what follows the last newline waits in `pending`.
   * False when reading must stop (done or failed).
   */
  private lines(bytes: Buffer, out: unknown[]): boolean {
    let start = 0;
    if (this.first && bytes.length > 0) {
      // A byte order mark before the stream is not part of it. (A first line split between
      // reads is checked once joined: `pending` is only ever set after this.)
      if (bytes.length < 3 && bytes.indexOf(10) === -1) {
        this.pending = Buffer.from(bytes);
        return true;
      }
      this.first = false;
      if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) start = 3;
    }
    for (let nl = bytes.indexOf(10, start); nl !== -1; nl = bytes.indexOf(10, start)) {
      let end = nl;
      if (end > start && bytes[end - 1] === 13) end--; // CRLF
      if (end === start) {
        // A blank line ends an event.
        if (this.data !== undefined && !this.complete(out)) return false;
      } else if (startsWithBytes(bytes, start, DATA_FIELD)) {
        const from = bytes[start + 5] === 32 ? start + 6 : start + 5;
        const markerAt = this.markerAt;
        if (
          markerAt > 0 &&
          this.data === undefined &&
          bytes[nl + 1] === 10 && // its blank line follows: a one-line event
          startsWithBytes(bytes, from + markerAt, TEXT_MARKER_BYTES) &&
          startsWithBytes(bytes, from, CHUNK_START_BYTES)
        ) {
          const piece = textAfterMarkerBytes(bytes, from + markerAt + TEXT_MARKER_BYTES.length, end);
          if (piece !== null) {
            out.push(piece);
            start = nl + 2;
            continue;
          }
        }
        const line = bytes.toString("utf8", from, end);
        this.data = this.data === undefined ? line : `${this.data}\n${line}`;
      }
      // Other fields (event:, id:, retry:) and comments (": keep-alive") carry nothing for us.
      start = nl + 1;
    }
    // Copied: the read's memory may be reused once it is handed back.
    if (start < bytes.length) this.pending = Buffer.from(bytes.subarray(start));
    return true;
  }

  /** The event in `data` is complete: parse it into `out`. False when reading must stop. */
  private complete(out: unknown[]): boolean {
    const payload = this.data!;
    this.data = undefined;
    if (payload === "[DONE]") {
      this.done = true;
      return false;
    }
    try {
      const event = parsePayload(payload, this.headers);
      if (this.markerAt < 0 && typeof event === "string") {
        this.markerAt = Buffer.byteLength(payload.slice(0, payload.indexOf(TEXT_MARKER)));
      }
      out.push(event);
      return true;
    } catch (err) {
      this.failure = err;
      return false;
    }
  }
}

const NEWLINE = Buffer.from("\n");
const DATA_FIELD = Buffer.from("data:");

/**
 * The same reader over a whole body, one batch per network read that completed at least one
 * event (tests and the SSE benchmark; the model adapter drives `SseParser` itself). A payload
 * that is not JSON throws SyntaxError; an `{"error": ...}` payload throws the SDK's APIError (no
 * status), as the SDK's own reader does; either after the batch of the events before it.
 */
export async function* readSseBatches(
  body: AsyncIterable<Uint8Array>,
  headers: Headers,
): AsyncGenerator<SseBatch> {
  // Not `for await`: leaving that loop at [DONE] would destroy the body, and with it a keep-alive
  // connection the server was about to hand back. Whoever stops early aborts the request.
  const reads = body[Symbol.asyncIterator]();
  const parser = new SseParser(headers);
  for (;;) {
    const events: unknown[] = [];
    const more = parser.take(await reads.next(), events);
    if (events.length > 0 || parser.done) yield { events, done: parser.done };
    if (parser.failure !== undefined) throw parser.failure;
    if (!more) return;
  }
}

function parsePayload(data: string, headers: Headers): unknown {
  // Most chunks are a few characters of text: read those without a full parse (text-chunk.ts).
  const text = textChunk(data);
  if (text !== null) return text;
  const parsed: unknown = JSON.parse(data);
  if (typeof parsed === "object" && parsed !== null && "error" in parsed && parsed.error) {
    throw new APIError(undefined, parsed.error as object, undefined, headers);
  }
  return parsed;
}
