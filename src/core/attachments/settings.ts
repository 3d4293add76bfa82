/**
 * Limits for reading what people attach (docs/attachments.md). Every one is enforced by the core,
 * whatever the platform declared about the file.
 */
export interface AttachmentSettings {
  /** Files read per message (MAX_ATTACHMENTS); the rest get a "not read" line. */
  maxFiles: number;
  /** Bytes read per file (MAX_ATTACHMENT_BYTES), counted while downloading. */
  maxBytes: number;
  /** Images are scaled down to at most this many pixels before the model sees them (MAX_IMAGE_PIXELS). */
  maxImagePixels: number;
  /** Bytes of one re-encoded image sent to the model. */
  maxImageBytes: number;
  /** Tokens of one text file or PDF included; the rest is cut with a note (ATTACHMENT_TEXT_TOKENS). */
  textTokens: number;
  /** Milliseconds one file may take to download (ATTACHMENT_TIMEOUT_MS). */
  timeoutMs: number;
  /**
   * Whether the model accepts images (MODEL_VISION): fixed, or decided by the name of the turn's
   * model (a policy may pick another model per place).
   */
  vision: boolean | ((model: string) => boolean);
}

/**
 * OpenAI accepts up to 20 MB per image, but every byte travels base64 in each request of the turn
 * (every tool round resends it): 1.5 MB keeps a full-HD screenshot as PNG, or a photo as JPEG.
 */
export const DEFAULT_IMAGE_MAX_BYTES = 1_500_000;

export const DEFAULT_ATTACHMENT_SETTINGS: AttachmentSettings = {
  maxFiles: 4,
  maxBytes: 10 * 1024 * 1024,
  // OpenAI scales a high-detail image to fit 2048 x 2048 and then its short side to 768 px, so
  // more pixels than ~2 MP buy nothing but upload time.
  maxImagePixels: 2_000_000,
  maxImageBytes: DEFAULT_IMAGE_MAX_BYTES,
  textTokens: 4_000,
  timeoutMs: 20_000,
  vision: true,
};
