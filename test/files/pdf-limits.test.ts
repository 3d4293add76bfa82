/**
 * A hostile PDF can take long to parse (PDF.js runs in this process): reading stops at the
 * attachment time limit or the turn's Stop, and the answer says why the file was not read.
 */
import { describe, expect, it } from "vitest";
import type { FileReaders } from "../../src/core/attachments/ports.js";
import { readAttachments } from "../../src/core/attachments/read.js";
import { DEFAULT_ATTACHMENT_SETTINGS } from "../../src/core/attachments/settings.js";
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
});
