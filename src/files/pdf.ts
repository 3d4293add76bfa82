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
      // PDF.js takes ownership of (detaches) the buffer it is given: hand it a copy.
      const pdf = await getDocumentProxy(new Uint8Array(bytes), { verbosity: 0, isEvalSupported: false });
      try {
        let text = "";
        const pages = pdf.numPages;
        for (let n = 1; n <= Math.min(pages, MAX_PAGES) && text.length < limits.maxChars; n++) {
          const page = await pdf.getPage(n);
          const content = await page.getTextContent();
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
