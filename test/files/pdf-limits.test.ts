/**
 * A hostile PDF can take long to parse (PDF.js runs in this process): reading stops at the
 * attachment time limit or the turn's Stop, and the answer says why the file was not read.
 */
import { describe, expect, it } from "vitest";
import type { FileReaders } from "../../src/core/attachments/ports.js";
import { readAttachments } from "../../src/core/attachments/read.js";
import { DEFAULT_ATTACHMENT_SETTINGS } from "../../src/core/attachments/settings.js";
import { AttachmentError } from "../../src/core/errors.js";
import type { IncomingAttachment } from "../../src/core/types.js";
import { createFileReaders } from "../../src/files/index.js";
import { createPdfTextReader } from "../../src/files/pdf.js";
import { createTokenCounter } from "../../src/llm/tokens.js";
import { silentLogger } from "../../src/log.js";
import { memoryFile, pdfWithText } from "../support/files.js";

describe("PDF reading limits", () => {
  it("stops reading a PDF once the turn is stopped", async () => {
    const stopped = new AbortController();
    stopped.abort("stopped");
    await expect(
      createPdfTextReader().text(pdfWithText("Invoice 1234"), { maxChars: 1000, signal: stopped.signal }),
    ).rejects.toBe("stopped");
  });

  it("still reads a PDF within its limit", async () => {
    const read = await createPdfTextReader().text(pdfWithText("Invoice 1234"), {
      maxChars: 1000,
      signal: new AbortController().signal,
    });
    expect(read.text).toContain("Invoice 1234");
  });

  it("says a PDF took too long to read when parsing outlasts ATTACHMENT_TIMEOUT_MS", async () => {
    let gaveUp = false;
    // A PDF whose parsing never ends on its own: only the time limit can end it.
    const readers: FileReaders = {
      images: createFileReaders().images,
      pdf: {
        text: (_bytes, { signal }) =>
          new Promise((_, reject) => {
            signal?.addEventListener("abort", () => {
              gaveUp = true;
              reject(signal.reason);
            });
          }),
      },
    };
    const [file] = await readAttachments([memoryFile("slow.pdf", pdfWithText("x"))], {
      settings: { ...DEFAULT_ATTACHMENT_SETTINGS, timeoutMs: 1000 },
      model: "gpt-4o",
      readers,
      counter: createTokenCounter("gpt-4o"),
      signal: new AbortController().signal,
      log: silentLogger(),
    });
    expect(gaveUp).toBe(true);
    expect(file?.unread?.reason).toBe("too_slow");
  });

  it("says a download took too long when the platform's read never ends, even ignoring its signal", async () => {
    let signalled: AbortSignal | undefined;
    const never: IncomingAttachment = {
      name: "stuck.png",
      declaredType: "image/png",
      read: ({ signal }) => {
        signalled = signal;
        return new Promise<Uint8Array>(() => {});
      },
    };
    const [file] = await readAttachments([never], {
      settings: { ...DEFAULT_ATTACHMENT_SETTINGS, timeoutMs: 50 },
      model: "gpt-4o",
      readers: createFileReaders(),
      counter: createTokenCounter("gpt-4o"),
      signal: new AbortController().signal,
      log: silentLogger(),
    });
    expect(file?.unread?.reason).toBe("timeout");
    // The adapter was told to stop too.
    expect(signalled?.aborted).toBe(true);
  });

  it("stops a download at the turn's Stop through the platform's read", async () => {
    const turn = new AbortController();
    const stoppable: IncomingAttachment = {
      name: "slow.png",
      declaredType: "image/png",
      read: ({ signal }) =>
        new Promise<Uint8Array>((_, reject) => {
          signal.addEventListener("abort", () =>
            reject(new AttachmentError("download_failed", "download cancelled")),
          );
          turn.abort("stopped");
        }),
    };
    const [file] = await readAttachments([stoppable], {
      settings: { ...DEFAULT_ATTACHMENT_SETTINGS, timeoutMs: 60_000 },
      model: "gpt-4o",
      readers: createFileReaders(),
      counter: createTokenCounter("gpt-4o"),
      signal: turn.signal,
      log: silentLogger(),
    });
    expect(file?.unread?.reason).toBe("download_failed");
  });
});
