/**
 * The `PdfTextReader` port on unpdf (Mozilla's PDF.js, bundled for servers: pure JavaScript, no
 * native build). Only the text layer is read; a scanned PDF without one yields no text.
 */
import { getDocumentProxy } from "unpdf";
import type { PdfTextReader } from "../core/attachments/ports.js";

/** Past this many pages we stop even below maxChars: a support question rarely needs page 200. */
const MAX_PAGES = 100;

export function createPdfTextReader(): PdfTextReader {
  return {
    async text(bytes, limits) {
      const signal = limits.signal;
      signal?.throwIfAborted();
      // PDF.js takes ownership of (detaches) the buffer it is given: hand it a copy.
      const loading = getDocumentProxy(new Uint8Array(bytes), { verbosity: 0, isEvalSupported: false });
      const pdf = await unlessAborted(loading, signal).catch((err: unknown) => {
        // Given up on while loading: free the document once PDF.js is done with it.
        loading.then(
          (late) => late.destroy(),
          () => undefined,
        );
        throw err;
      });
      try {
        let text = "";
        const pages = pdf.numPages;
        for (let n = 1; n <= Math.min(pages, MAX_PAGES) && text.length < limits.maxChars; n++) {
          // Between pages (and while one is parsed) the time limit holds: a hostile PDF is dropped.
          const page = await unlessAborted(pdf.getPage(n), signal);
          const content = await unlessAborted(page.getTextContent(), signal);
          for (const item of content.items) {
            if (!("str" in item)) continue;
            text += item.str;
            if (item.hasEOL) text += "\n";
          }
          text += "\n\n";
          page.cleanup();
        }
        return { text: text.slice(0, limits.maxChars).trim(), pages };
      } finally {
        await pdf.destroy();
      }
    },
  };
}

/** `work`, or a rejection the moment `signal` aborts (the work is then dropped with the document). */
function unlessAborted<T>(work: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return work;
  signal.throwIfAborted();
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}
