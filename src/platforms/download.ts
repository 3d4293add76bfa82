/**
 * Fetching an attached file from a chat platform (Slack's file servers, Discord's CDN), shared by
 * the adapters. Three rules, because the URL comes from a chat message and the bytes go into
 * memory and then to the model:
 *
 * - Size is counted while the body streams in and the download stops the moment it passes
 *   `maxBytes`. A declared Content-Length is never trusted to let a file in (only to refuse one
 *   early that says itself it is too big); compressed bodies are counted after decompression.
 * - Redirects are followed by hand, at most `MAX_REDIRECTS` times, and only to hosts the caller
 *   allows: the first URL is checked the same way. A platform that answers with a redirect to
 *   somewhere else gets no request there at all.
 * - Credentials (the caller's headers, e.g. Slack's bearer token) are sent only to hosts the
 *   caller says may have them, on every hop. `fetch` itself would drop an Authorization header on
 *   a cross-origin redirect, which breaks Slack's own hops between its file hosts; following by
 *   hand keeps the token on those and off everything else.
 *
 * - At most `MAX_CONCURRENT_DOWNLOADS` run at once in the process, whatever the number of turns
 *   and files: each holds up to `maxBytes` in memory, so many people sending large files at the
 *   same moment would otherwise add up without bound. A download waiting for a slot waits within
 *   its own time limit (and the caller's signal), so a queue never holds a turn longer than one
 *   download could.
 *
 * Failures are `AttachmentError`s: "too_big", "timeout" (our `timeoutMs` ran out) and
 * "download_failed" (refused host, too many redirects, an error status, a network error, or the
 * caller's signal cancelled the download).
 */
import { AttachmentError } from "../core/errors.js";
import { deadlineSignal } from "../core/timers.js";
import { Slots } from "./download-slots.js";

/** Slack's file hops (files.slack.com -> files-origin.slack.com -> a CDN) need two or three. */
export const MAX_REDIRECTS = 4;
const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
/**
 * Downloads in flight per process: the bytes held by downloads in progress stay under 8 times
 * the per-file limit (MAX_ATTACHMENT_BYTES), and 8 parallel fetches keep a turn with several
 * files quick.
 * Per process on purpose: it bounds this process's memory, which replicas do not share.
 */
export const MAX_CONCURRENT_DOWNLOADS = 8;
/** The process's download slots (see the header). */
export const downloadSlots = new Slots(MAX_CONCURRENT_DOWNLOADS);

export interface DownloadOptions {
  maxBytes: number;
  timeoutMs: number;
  signal: AbortSignal;
  /** May a request go to this URL (the first one and every redirect target)? */
  allowUrl(url: URL): boolean;
  /** Sent only to URLs `sendHeadersTo` accepts (default: none). */
  headers?: Record<string, string>;
  /** May this URL receive `headers` (credentials)? Checked on every hop. */
  sendHeadersTo?(url: URL): boolean;
}

export interface Downloaded {
  bytes: Uint8Array;
  /** The Content-Type of the final response, when it had one. */
  contentType: string | undefined;
  /** Where the bytes finally came from (after redirects). */
  url: string;
}

export async function download(rawUrl: string, opts: DownloadOptions): Promise<Downloaded> {
  const limit = deadlineSignal(opts.signal, opts.timeoutMs);
  let release: (() => void) | undefined;
  try {
    release = await downloadSlots.take(limit.signal);
    return await follow(rawUrl, opts, limit.signal);
  } catch (err) {
    if (err instanceof AttachmentError) throw err;
    if (limit.signal.aborted && !opts.signal.aborted) {
      throw new AttachmentError("timeout", `download took longer than ${opts.timeoutMs} ms`, { cause: err });
    }
    if (opts.signal.aborted)
      throw new AttachmentError("download_failed", "download cancelled", { cause: err });
    const message = err instanceof Error ? err.message : String(err);
    throw new AttachmentError("download_failed", `download failed: ${message}`, { cause: err });
  } finally {
    limit.clear();
    release?.();
  }
}

async function follow(rawUrl: string, opts: DownloadOptions, signal: AbortSignal): Promise<Downloaded> {
  let url = parseUrl(rawUrl);
  for (let hop = 0; ; hop++) {
    if (!opts.allowUrl(url)) {
      throw new AttachmentError(
        "download_failed",
        hop === 0 ? `refused host ${url.host}` : `refused redirect to host ${url.host}`,
      );
    }
    const headers = opts.headers && opts.sendHeadersTo?.(url) ? opts.headers : {};
    const res = await fetch(url, { headers, redirect: "manual", signal });
    if (REDIRECT_STATUSES.has(res.status)) {
      await res.body?.cancel().catch(() => {});
      const location = res.headers.get("location");
      if (!location) throw new AttachmentError("download_failed", `HTTP ${res.status} without a Location`);
      if (hop >= MAX_REDIRECTS) throw new AttachmentError("download_failed", "too many redirects");
      url = parseUrl(location, url);
      continue;
    }
    if (!res.ok) {
      await res.body?.cancel().catch(() => {});
      throw new AttachmentError("download_failed", `HTTP ${res.status}`);
    }
    const declared = Number(res.headers.get("content-length") ?? Number.NaN);
    if (declared > opts.maxBytes) {
      await res.body?.cancel().catch(() => {});
      throw tooBig(opts.maxBytes);
    }
    const bytes = await readCapped(res, opts.maxBytes);
    return { bytes, contentType: res.headers.get("content-type") ?? undefined, url: url.href };
  }
}

/** The body, counted chunk by chunk: the stream is cancelled as soon as it passes `maxBytes`. */
async function readCapped(res: Response, maxBytes: number): Promise<Uint8Array> {
  if (!res.body) return new Uint8Array(0);
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel().catch(() => {});
      throw tooBig(maxBytes);
    }
    chunks.push(value);
  }
  const out = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}

function tooBig(maxBytes: number): AttachmentError {
  return new AttachmentError("too_big", `file is larger than ${maxBytes} bytes`);
}

function parseUrl(raw: string, base?: URL): URL {
  try {
    return new URL(raw, base);
  } catch (err) {
    throw new AttachmentError("download_failed", "not a valid URL", { cause: err });
  }
}

/**
 * A host check for `allowUrl`: HTTPS to one of `suffixes` (the domain itself or any subdomain),
 * or anything on `origin` exactly (the configured API server: a local fake in tests).
 */
export function hostPolicy(suffixes: readonly string[], origin?: string): (url: URL) => boolean {
  const configured = origin ? new URL(origin).origin : undefined;
  return (url) => {
    if (configured && url.origin === configured) return true;
    if (url.protocol !== "https:") return false;
    const host = url.hostname.toLowerCase();
    return suffixes.some((s) => host === s || host.endsWith(`.${s}`));
  };
}
