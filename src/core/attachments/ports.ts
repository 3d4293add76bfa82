/**
 * What the core needs to turn file bytes into model input. Implemented with libraries outside the
 * core (src/files/): sharp for images, unpdf (PDF.js) for PDF text.
 */

export type ImageMime = "image/png" | "image/jpeg" | "image/webp" | "image/gif";

export interface PreparedImage {
  mime: ImageMime;
  bytes: Uint8Array;
  width: number;
  height: number;
}

/** The image declares more pixels than the codec will decode (a decompression bomb, or a huge scan). */
export class ImageTooLargeError extends Error {
  constructor(readonly pixels: number) {
    super(`image of ${pixels} pixels is over the decoding limit`);
    this.name = "ImageTooLargeError";
  }
}

export interface ImageCodec {
  /**
   * Decode the image, turn it upright, scale it to at most `maxPixels` and re-encode it within
   * `maxBytes` (which also drops its metadata: camera, location). Rejects with
   * `ImageTooLargeError` when the image has too many pixels to decode, otherwise when the bytes
   * are not a decodable image or it cannot be made small enough. A codec that limits how many
   * images it decodes at once stops waiting for its turn when `signal` aborts.
   */
  prepare(
    bytes: Uint8Array,
    limits: { maxPixels: number; maxBytes: number; signal?: AbortSignal | undefined },
  ): Promise<PreparedImage>;
}

export interface PdfTextReader {
  /**
   * The text of the PDF, pages in order, stopping once `maxChars` are collected. Rejects when
   * the bytes are not a readable PDF (damaged, encrypted), and as soon as `signal` aborts (a
   * hostile PDF can take long to parse: the core aborts it after the attachment time limit).
   */
  text(
    bytes: Uint8Array,
    limits: { maxChars: number; signal?: AbortSignal | undefined },
  ): Promise<{ text: string; pages: number }>;
}

export interface FileReaders {
  images: ImageCodec;
  pdf: PdfTextReader;
}
