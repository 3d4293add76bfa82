/**
 * Reads a message's attachments within the limits: downloads each one (at most `maxFiles`, each
 * within `maxBytes` and `timeoutMs`), decides what it is from its bytes, and turns it into model
 * input: images as image parts (re-encoded within the pixel and byte limits), text files and PDF
 * text as text parts cut to `textTokens`. Whatever is not read keeps its reason, for one line in
 * the answer. Bytes live only in memory, for this turn.
 */
import type { Logger } from "../../log.js";
import { AttachmentError } from "../errors.js";
import type { TokenCounter } from "../ports.js";
import { deadlineSignal } from "../timers.js";
import type { ContentPart, IncomingAttachment } from "../types.js";
import { formatBytes, safeFileName } from "./format.js";
import { type FileReaders, ImageTooLargeError } from "./ports.js";
import type { AttachmentSettings } from "./settings.js";
import { sniff } from "./sniff.js";
import { cutToTokens } from "./text.js";

export type UnreadReason =
  | "too_big"
  | "timeout"
  | "download_failed"
  | "unsupported"
  | "no_vision"
  | "over_count"
  | "unreadable"
  | "too_many_pixels"
  | "no_text"
  | "over_budget"
  | "too_slow"
  | "empty";

export interface ReadFile {
  /** 1-based position in the message. */
  index: number;
  name: string;
  /** What the bytes showed; absent when the file was never downloaded. */
  kind?: "image" | "text" | "pdf" | "other" | undefined;
  /** The type the bytes showed (or the declared one when the file was never downloaded). */
  mime?: string | undefined;
  /** Bytes downloaded (or the declared size when the file was never downloaded). */
  bytes?: number | undefined;
  /** "1280x800", "340 lines", "3 pages": what the model and the history are told besides type and size. */
  detail?: string | undefined;
  /** What the model gets: a header and the content (or only a header when not read). */
  parts: ContentPart[];
  unread?: { reason: UnreadReason; label?: string | undefined } | undefined;
  cut?: { keptTokens: number; totalTokens: number } | undefined;
  /** The text read (before any cut), so fit.ts can cut it shorter; for this turn only, never stored. */
  source?: string | undefined;
  /** Sent at low detail to fit the message's share of the context (fit.ts): the answer says so. */
  lowDetail?: boolean | undefined;
}

export interface ReadContext {
  settings: AttachmentSettings;
  /** The name of the model that answers this turn (for the vision setting). */
  model: string;
  readers: FileReaders | undefined;
  counter: TokenCounter;
  signal: AbortSignal;
  log: Logger;
}

/** Every attachment of the message, in order, read or with the reason it was not. Never throws. */
export async function readAttachments(list: IncomingAttachment[], ctx: ReadContext): Promise<ReadFile[]> {
  return Promise.all(
    list.map((attachment, i) =>
      readOne(attachment, i + 1, ctx).catch((err: unknown): ReadFile => {
        ctx.log.warn({ err, index: i + 1 }, "attachment could not be read");
        return unread(i + 1, attachment, "unreadable", ctx.settings);
      }),
    ),
  );
}

async function readOne(a: IncomingAttachment, index: number, ctx: ReadContext): Promise<ReadFile> {
  const { settings, log } = ctx;
  if (index > settings.maxFiles) return unread(index, a, "over_count", settings);
  if (a.declaredBytes !== undefined && a.declaredBytes > settings.maxBytes)
    return unread(index, a, "too_big", settings);

  let bytes: Uint8Array;
  try {
    bytes = await download(a, settings, ctx.signal);
  } catch (err) {
    const reason = err instanceof AttachmentError ? err.code : "download_failed";
    log.info(
      { index, reason, err: err instanceof AttachmentError ? undefined : err },
      "attachment not downloaded",
    );
    return unread(index, a, reason, settings);
  }
  // The adapter's read should stop at the cap; this holds even when it did not.
  if (bytes.length > settings.maxBytes) return unread(index, a, "too_big", settings);

  if (bytes.length === 0) return withHeader({ ...unread(index, a, "empty", settings), bytes: 0 }, settings);
  const found = sniff(bytes, a.name);
  const file: ReadFile = {
    index,
    name: safeFileName(a.name),
    kind: found.kind,
    mime: found.mime,
    bytes: bytes.length,
    parts: [],
  };
  log.info(
    { index, kind: found.kind, mime: found.mime, bytes: bytes.length, declared: a.declaredType },
    "attachment downloaded",
  );
  switch (found.kind) {
    case "other":
      return withHeader({ ...file, unread: { reason: "unsupported", label: found.label } }, settings);
    case "image": {
      const vision = typeof settings.vision === "function" ? settings.vision(ctx.model) : settings.vision;
      if (!vision) return withHeader({ ...file, unread: { reason: "no_vision" } }, settings);
      if (!ctx.readers)
        return withHeader({ ...file, unread: { reason: "unsupported", label: "image" } }, settings);
      let image: Awaited<ReturnType<FileReaders["images"]["prepare"]>>;
      // Waiting for a free decoder ends with the time limit, or the turn's Stop.
      const limit = deadlineSignal(ctx.signal, settings.timeoutMs);
      try {
        image = await ctx.readers.images.prepare(bytes, {
          maxPixels: settings.maxImagePixels,
          maxBytes: settings.maxImageBytes,
          signal: limit.signal,
        });
      } catch (err) {
        log.info({ index, err }, "image could not be decoded");
        const slow = err instanceof DOMException && err.name === "TimeoutError";
        const reason =
          err instanceof ImageTooLargeError ? "too_many_pixels" : slow ? "too_slow" : "unreadable";
        return withHeader({ ...file, unread: { reason } }, settings);
      } finally {
        limit.clear();
      }
      file.detail = `${image.width}x${image.height}`;
      return withHeader(file, settings, {
        type: "image",
        mime: image.mime,
        base64: Buffer.from(image.bytes).toString("base64"),
        width: image.width,
        height: image.height,
        // Screenshots carry small text (error messages, codes): only high detail can read it.
        detail: "high",
      });
    }
    case "pdf": {
      if (!ctx.readers)
        return withHeader({ ...file, unread: { reason: "unsupported", label: "PDF" } }, settings);
      let pdf: { text: string; pages: number };
      // Parsing a hostile PDF can take long: it gets the download's time limit, and the turn's Stop.
      const limit = deadlineSignal(ctx.signal, settings.timeoutMs);
      try {
        pdf = await ctx.readers.pdf.text(bytes, { maxChars: settings.textTokens * 12, signal: limit.signal });
      } catch (err) {
        const slow = err instanceof DOMException && err.name === "TimeoutError";
        log.info({ index, err }, slow ? "PDF took too long to read" : "PDF could not be read");
        return withHeader({ ...file, unread: { reason: slow ? "too_slow" : "unreadable" } }, settings);
      } finally {
        limit.clear();
      }
      file.detail = `${pdf.pages} ${pdf.pages === 1 ? "page" : "pages"}`;
      if (pdf.text.trim() === "") return withHeader({ ...file, unread: { reason: "no_text" } }, settings);
      return withText(file, pdf.text, ctx.settings, ctx.counter, ctx.settings.textTokens);
    }
    case "text": {
      const lines = found.text === "" ? 0 : found.text.replace(/\r?\n$/, "").split("\n").length;
      file.detail = `${lines} ${lines === 1 ? "line" : "lines"}`;
      return withText(file, found.text, ctx.settings, ctx.counter, ctx.settings.textTokens);
    }
  }
}

/** The bytes within the size cap and the time limit, whatever the adapter's `read` does about them. */
async function download(a: IncomingAttachment, settings: AttachmentSettings, turn: AbortSignal) {
  const limit = deadlineSignal(turn, settings.timeoutMs);
  // The time limit ends the wait even for an adapter that ignores its signal; the turn's Stop
  // ends it through the adapter.
  const timeout = new Promise<never>((_, reject) => {
    limit.signal.addEventListener("abort", () => {
      if (!turn.aborted)
        reject(new AttachmentError("timeout", `no complete download within ${settings.timeoutMs} ms`));
    });
  });
  try {
    return await Promise.race([
      a.read({ maxBytes: settings.maxBytes, timeoutMs: settings.timeoutMs, signal: limit.signal }),
      timeout,
    ]);
  } finally {
    limit.clear();
  }
}

/** The file's text cut to `limit` tokens, with a note to the model when it was cut. */
export function withText(
  file: ReadFile,
  text: string,
  settings: AttachmentSettings,
  counter: TokenCounter,
  limit: number,
): ReadFile {
  const kept = cutToTokens(text, limit, counter);
  file.source = text;
  file.cut = kept.cut;
  const note = kept.cut
    ? `\n[cut here: only the first ~${kept.cut.keptTokens} of ~${kept.cut.totalTokens} tokens of this file are included]`
    : "";
  return withHeader(file, settings, { type: "text", text: `${kept.text}${note}` });
}

/** The file's header line first (so the model knows what follows), then its content part. */
export function withHeader(file: ReadFile, settings: AttachmentSettings, content?: ContentPart): ReadFile {
  const reason = file.unread ? `: not read, ${reasonText(file.unread, settings)}` : "";
  const header = `[${describeFile(file)}${reason}]`;
  if (!content) file.parts = [{ type: "text", text: header }];
  else if (content.type === "text") file.parts = [{ type: "text", text: `${header}\n${content.text}` }];
  else file.parts = [{ type: "text", text: header }, content];
  return file;
}

function unread(
  index: number,
  a: IncomingAttachment,
  reason: UnreadReason,
  settings: AttachmentSettings,
): ReadFile {
  return withHeader(
    {
      index,
      name: safeFileName(a.name),
      mime: a.declaredType,
      bytes: a.declaredBytes,
      parts: [],
      unread: { reason },
    },
    settings,
  );
}

/** `Attachment 2: "screen.png", image/png, 1280x800, 210 KB` */
export function describeFile(file: ReadFile): string {
  const facts = [file.mime, file.detail, file.bytes === undefined ? undefined : formatBytes(file.bytes)];
  const known = facts.filter((f): f is string => !!f);
  return `Attachment ${file.index}: "${file.name}"${known.length > 0 ? `, ${known.join(", ")}` : ""}`;
}

/** Why a file was not read, as the end of a sentence ("it is larger than the 10 MB limit"). */
export function reasonText(unread: NonNullable<ReadFile["unread"]>, settings: AttachmentSettings): string {
  switch (unread.reason) {
    case "too_big":
      return `it is larger than the ${formatBytes(settings.maxBytes)} limit`;
    case "timeout":
      return "the download took too long";
    case "download_failed":
      return "it could not be downloaded";
    case "unsupported":
      return `I can't read this type of file${unread.label ? ` (${unread.label})` : ""}`;
    case "no_vision":
      return "the AI model I use cannot see images";
    case "over_count":
      return `I read at most ${settings.maxFiles} files per message`;
    case "unreadable":
      return "the file seems damaged or is not what its name says";
    case "too_many_pixels":
      return "the image has too many pixels to process";
    case "no_text":
      return "the PDF has no text to read (a scan?)";
    case "empty":
      return "the file is empty";
    case "too_slow":
      return "reading it took too long";
    case "over_budget":
      return "this message's files are more than I can read at once (send it on its own?)";
  }
}
