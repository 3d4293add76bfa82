/**
 * Attachment fixtures made in the test (no files on disk): images drawn with sharp, a one-page
 * PDF written by hand, and an `IncomingAttachment` that serves bytes from memory under the same
 * size cap an adapter enforces.
 */
import { crc32 } from "node:zlib";
import sharp from "sharp";
import { AttachmentError } from "../../src/core/errors.js";
import type { IncomingAttachment } from "../../src/core/types.js";

export async function pngImage(width: number, height: number, color = "#d03030"): Promise<Uint8Array> {
  const data = await sharp({ create: { width, height, channels: 3, background: color } })
    .png()
    .toBuffer();
  return new Uint8Array(data);
}

/** A valid one-page PDF whose text layer holds `text` (ASCII, no parentheses). */
export function pdfWithText(text: string): Uint8Array {
  const content = `BT /F1 18 Tf 72 720 Td (${text}) Tj ET`;
  const objects = [
    "<< /Type /Catalog /Pages 2 0 R >>",
    "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
    "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
    `<< /Length ${content.length} >>\nstream\n${content}\nendstream`,
    "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
  ];
  let out = "%PDF-1.4\n";
  const offsets: number[] = [];
  objects.forEach((o, i) => {
    offsets.push(out.length);
    out += `${i + 1} 0 obj\n${o}\nendobj\n`;
  });
  const xref = out.length;
  out += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
  out += offsets.map((o) => `${String(o).padStart(10, "0")} 00000 n \n`).join("");
  out += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return new Uint8Array(Buffer.from(out, "latin1"));
}

/** The first bytes of a ZIP archive: enough for any sniffer. */
export function zipBytes(): Uint8Array {
  return new Uint8Array([
    0x50,
    0x4b,
    0x03,
    0x04,
    0x14,
    0x00,
    0x00,
    0x00,
    0x08,
    0x00,
    ...new Array(64).fill(7),
  ]);
}

export function textBytes(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}

/** An attachment read from memory, refusing more than `maxBytes` as an adapter's download does. */
export function memoryFile(
  name: string,
  bytes: Uint8Array,
  declaredType?: string,
  opts: { fail?: AttachmentError } = {},
): IncomingAttachment & { reads: number } {
  const file = {
    name,
    declaredType,
    reads: 0,
    async read(limits: { maxBytes: number }): Promise<Uint8Array> {
      file.reads++;
      if (opts.fail) throw opts.fail;
      if (bytes.length > limits.maxBytes) throw new AttachmentError("too_big", "over the cap");
      return bytes;
    },
  };
  return file;
}

/**
 * A small real PNG whose header is rewritten to declare `width` x `height` (how a decompression
 * bomb looks before decoding): the pixel data does not match, only the header is read.
 */
export async function pngDeclaring(width: number, height: number): Promise<Uint8Array> {
  const png = Buffer.from(await pngImage(1, 1));
  // Signature (8), IHDR length (4) and type (4), then width and height; the CRC follows the 13 data bytes.
  png.writeUInt32BE(width, 16);
  png.writeUInt32BE(height, 20);
  png.writeUInt32BE(crc32(png.subarray(12, 29)), 29);
  return new Uint8Array(png);
}
