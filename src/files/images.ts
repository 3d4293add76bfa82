/**
 * The `ImageCodec` port on sharp (libvips, prebuilt for linux-x64/arm64 glibc and musl, installed
 * from npm with no compiler). Every image is decoded and re-encoded: the model gets an upright
 * image within the pixel and byte limits, in a format every vision API takes, with no metadata
 * (EXIF location of a phone photo never leaves the service). Animated GIFs give their first frame.
 */
import sharp from "sharp";
import {
  type ImageCodec,
  type ImageMime,
  ImageTooLargeError,
  type PreparedImage,
} from "../core/attachments/ports.js";
import { Slots } from "../platforms/download-slots.js";

/**
 * Larger images are refused before decoding (a few KB of PNG can declare billions of pixels):
 * 50 MP is a 8660 x 5773 photo, ~200 MB of pixels while being scaled.
 */
const INPUT_MAX_PIXELS = 50_000_000;
/** Each try that is still over the byte limit scales the image down by this factor. */
const SHRINK_PER_TRY = 0.7;
const MAX_TRIES = 4;
/** JPEG quality for images that are too large as PNG (photos): small, and text stays legible. */
const JPEG_QUALITY = 80;

/**
 * Images decoded at once in the process, each on one libvips thread: a 50 MP image takes ~200 MB
 * of pixels while it is scaled, so many screenshots arriving together wait for a slot (within the
 * attachment time limit) instead of all decoding at the same moment.
 */
export const IMAGE_SLOTS = 2;

export function createSharpImageCodec(options: { slots?: Slots } = {}): ImageCodec {
  // libvips keeps recent operations (and their pixels) in a process-wide cache for reuse; a
  // customer's image must not outlive its turn, and no two turns share an image.
  sharp.cache(false);
  // One thread per image (libvips defaults to one per core): IMAGE_SLOTS bounds the total.
  sharp.concurrency(1);
  const slots = options.slots ?? new Slots(IMAGE_SLOTS);
  return {
    async prepare(bytes, limits): Promise<PreparedImage> {
      const release = await slots.take(limits.signal ?? NEVER);
      try {
        return await prepareImage(bytes, limits);
      } finally {
        release();
      }
    },
  };
}

const NEVER = new AbortController().signal;

async function prepareImage(
  bytes: Uint8Array,
  limits: { maxPixels: number; maxBytes: number },
): Promise<PreparedImage> {
  const input = () => sharp(bytes, { limitInputPixels: INPUT_MAX_PIXELS, failOn: "error" });
  // The header only (no pixels are decoded), so the limit is checked here with a clear error.
  const meta = await sharp(bytes, { limitInputPixels: false }).metadata();
  const width = meta.autoOrient.width;
  const height = meta.autoOrient.height;
  if (!width || !height) throw new Error("image without dimensions");
  if (width * height > INPUT_MAX_PIXELS) throw new ImageTooLargeError(width * height);
  // Screenshots (PNG, GIF, WebP lossless) stay lossless while they fit; photos are JPEG anyway.
  const lossless = meta.format !== "jpeg";
  let scale = Math.min(1, Math.sqrt(limits.maxPixels / (width * height)));
  for (let attempt = 0; attempt < MAX_TRIES; attempt++) {
    const w = Math.max(1, Math.floor(width * scale));
    const h = Math.max(1, Math.floor(height * scale));
    const resized = input().autoOrient().resize(w, h, { fit: "fill" });
    const formats: ImageMime[] = lossless ? ["image/png", "image/jpeg"] : ["image/jpeg"];
    for (const mime of formats) {
      const encoded =
        mime === "image/png"
          ? resized.clone().png({ compressionLevel: 9, palette: false })
          : resized.clone().flatten({ background: "#ffffff" }).jpeg({ quality: JPEG_QUALITY, mozjpeg: true });
      const { data, info } = await encoded.toBuffer({ resolveWithObject: true });
      if (data.length <= limits.maxBytes) {
        return { mime, bytes: new Uint8Array(data), width: info.width, height: info.height };
      }
    }
    scale *= SHRINK_PER_TRY;
  }
  throw new Error(`image stays over ${limits.maxBytes} bytes even scaled down`);
}
