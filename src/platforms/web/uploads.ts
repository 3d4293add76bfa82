/**
 * Files the web chat page uploads with a message: JSON, each file's bytes base64 in the body (one
 * request, no multipart parser; the body cap below bounds it). The page sends a file over
 * MAX_ATTACHMENT_BYTES by name and size only, so the answer says why it was not read, as on
 * Slack and Discord. Bytes stay in memory for the turn; nothing is written to disk.
 */
import { z } from "zod";
import { AttachmentError } from "../../core/errors.js";
import type { IncomingAttachment } from "../../core/types.js";

/** More than MAX_ATTACHMENTS can allow (20): the core answers the extra ones with a line each. */
const MAX_UPLOADS = 20;
/** Room for a file's name, type and JSON punctuation. */
const PER_FILE_OVERHEAD_BYTES = 1024;

export const uploadSchema = z.object({
  name: z.string().min(1).max(255),
  type: z.string().max(200).optional(),
  size: z.number().int().nonnegative(),
  /** The bytes, base64 (no data: prefix); absent for a file the page knew was too large. */
  data: z.base64().optional(),
});

export const uploadsSchema = z.array(uploadSchema).max(MAX_UPLOADS).optional();

export type Upload = z.infer<typeof uploadSchema>;

/** What the page may upload per message, as the core will read it. */
export interface UploadLimits {
  maxFiles: number;
  maxBytes: number;
}

/** The largest JSON body a message with `maxFiles` full-size files takes (base64: 4 chars per 3 bytes). */
export function uploadBodyBytes(limits: UploadLimits): number {
  return limits.maxFiles * (Math.ceil(limits.maxBytes / 3) * 4 + PER_FILE_OVERHEAD_BYTES);
}

/** The uploads as the core's attachments, read from memory under the core's size cap. */
export function toAttachments(uploads: Upload[] | undefined): IncomingAttachment[] | undefined {
  if (!uploads || uploads.length === 0) return undefined;
  return uploads.map((upload) => {
    const sent = upload.data !== undefined;
    let bytes = sent ? new Uint8Array(Buffer.from(upload.data ?? "", "base64")) : undefined;
    return {
      name: upload.name,
      declaredType: upload.type || undefined,
      declaredBytes: upload.size,
      async read({ maxBytes }) {
        // Handed over once: the message (and so this closure) lives until its turn ends, often
        // after waiting for the thread; the raw upload must not stay in memory all that time.
        const held = bytes;
        bytes = undefined;
        if (!sent || (held && held.length > maxBytes))
          throw new AttachmentError("too_big", "upload over the size cap");
        if (!held) throw new AttachmentError("download_failed", "upload already read");
        return held;
      },
    };
  });
}

/**
 * Message bodies with files being received at once, per client address and in the process: each
 * one is held whole in memory while it is parsed (up to MAX_ATTACHMENTS x MAX_ATTACHMENT_BYTES,
 * base64). A second upload from the same address waits for its first to be taken in (the page
 * sends one message at a time anyway).
 */
export class UploadsInFlight {
  private readonly byKey = new Map<string, number>();
  private total = 0;

  constructor(
    readonly perKey = 1,
    readonly perProcess = 4,
  ) {}

  /** A release function, or undefined when `key` or the process is at its limit. */
  enter(key: string): (() => void) | undefined {
    const mine = this.byKey.get(key) ?? 0;
    if (mine >= this.perKey || this.total >= this.perProcess) return undefined;
    this.byKey.set(key, mine + 1);
    this.total++;
    let done = false;
    return () => {
      if (done) return;
      done = true;
      this.total--;
      const left = (this.byKey.get(key) ?? 1) - 1;
      if (left <= 0) this.byKey.delete(key);
      else this.byKey.set(key, left);
    };
  }
}

/** The user's bubble in other tabs: the text, then a paperclip line per file. */
export function textWithFiles(text: string, uploads: Upload[] | undefined): string {
  const names = (uploads ?? []).map((u) => `📎 ${u.name}`);
  return [text, ...names].filter((t) => t !== "").join("\n");
}
