/**
 * What a file really is, from its first bytes: the declared type and the file name are hints a
 * sender controls, so they never decide how a file is read. Names only pick a label for text
 * (a `.csv` is shown as text/csv) once the bytes have shown it is text.
 */
import type { ImageMime } from "./ports.js";

export type Sniffed =
  | { kind: "image"; mime: ImageMime }
  | { kind: "pdf"; mime: "application/pdf" }
  | { kind: "text"; mime: string; text: string }
  /** Not something we read; `label` names it for the "not read" line when we recognise it. */
  | { kind: "other"; mime: string; label: string };

/** "%PDF-" may follow some junk; PDF readers look for it within the first 1024 bytes. */
const PDF_HEADER_WINDOW = 1024;
/** Share of control characters (besides tab, CR, LF, form feed, ESC) above which "text" is binary. */
const MAX_CONTROL_SHARE = 0.01;

const TEXT_TYPES: Record<string, string> = {
  csv: "text/csv",
  tsv: "text/tab-separated-values",
  json: "application/json",
  md: "text/markdown",
  markdown: "text/markdown",
  html: "text/html",
  htm: "text/html",
  xml: "application/xml",
  yaml: "application/yaml",
  yml: "application/yaml",
  log: "text/plain",
  txt: "text/plain",
};

const OTHER: { magic: number[]; at?: number; mime: string; label: string }[] = [
  { magic: [0x50, 0x4b, 0x03, 0x04], mime: "application/zip", label: "ZIP archive" },
  { magic: [0x1f, 0x8b], mime: "application/gzip", label: "gzip archive" },
  { magic: [0x4d, 0x5a], mime: "application/x-msdownload", label: "Windows program" },
  { magic: [0x7f, 0x45, 0x4c, 0x46], mime: "application/x-elf", label: "Linux program" },
  { magic: [0x66, 0x74, 0x79, 0x70], at: 4, mime: "video/mp4", label: "video" },
  { magic: [0x49, 0x44, 0x33], mime: "audio/mpeg", label: "audio file" },
  { magic: [0x49, 0x49, 0x2a, 0x00], mime: "image/tiff", label: "TIFF image" },
  { magic: [0x4d, 0x4d, 0x00, 0x2a], mime: "image/tiff", label: "TIFF image" },
];

function startsWith(bytes: Uint8Array, magic: number[], at = 0): boolean {
  if (bytes.length < at + magic.length) return false;
  return magic.every((b, i) => bytes[at + i] === b);
}

function ascii(bytes: Uint8Array, from: number, to: number): string {
  return String.fromCharCode(...bytes.subarray(from, to));
}

export function sniff(bytes: Uint8Array, name: string): Sniffed {
  if (startsWith(bytes, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return image("image/png");
  if (startsWith(bytes, [0xff, 0xd8, 0xff])) return image("image/jpeg");
  const head6 = ascii(bytes, 0, 6);
  if (head6 === "GIF87a" || head6 === "GIF89a") return image("image/gif");
  if (ascii(bytes, 0, 4) === "RIFF" && ascii(bytes, 8, 12) === "WEBP") return image("image/webp");
  if (ascii(bytes, 0, PDF_HEADER_WINDOW).includes("%PDF-")) return { kind: "pdf", mime: "application/pdf" };
  for (const o of OTHER) {
    if (startsWith(bytes, o.magic, o.at)) return { kind: "other", mime: o.mime, label: o.label };
  }
  const text = decodeText(bytes);
  if (text !== undefined) return { kind: "text", mime: textTypeOf(name), text };
  return { kind: "other", mime: "application/octet-stream", label: "binary file" };
}

function image(mime: ImageMime): Sniffed {
  return { kind: "image", mime };
}

/** UTF-8 (with or without BOM) or UTF-16 with a BOM, and no binary control characters; else undefined. */
export function decodeText(bytes: Uint8Array): string | undefined {
  let text: string;
  try {
    if (startsWith(bytes, [0xff, 0xfe])) text = new TextDecoder("utf-16le", { fatal: true }).decode(bytes);
    else if (startsWith(bytes, [0xfe, 0xff]))
      text = new TextDecoder("utf-16be", { fatal: true }).decode(bytes);
    else text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return undefined;
  }
  let control = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0) return undefined;
    if (c < 32 && c !== 9 && c !== 10 && c !== 13 && c !== 12 && c !== 27) control++;
  }
  if (control > text.length * MAX_CONTROL_SHARE) return undefined;
  return text;
}

function textTypeOf(name: string): string {
  const ext = /\.([A-Za-z0-9]+)$/.exec(name)?.[1]?.toLowerCase() ?? "";
  return TEXT_TYPES[ext] ?? "text/plain";
}
