/** The file readers the core uses for attachments (core/attachments/ports.ts). */
import type { Env } from "../config.js";
import type { FileReaders } from "../core/attachments/ports.js";
import { type AttachmentSettings, DEFAULT_IMAGE_MAX_BYTES } from "../core/attachments/settings.js";
import { modelSeesImages } from "../llm/vision.js";
import { createSharpImageCodec } from "./images.js";
import { createPdfTextReader } from "./pdf.js";

export function createFileReaders(): FileReaders {
  return { images: createSharpImageCodec(), pdf: createPdfTextReader() };
}

/** The attachment limits from the environment (docs/attachments.md). */
export function attachmentSettings(env: Env, demoModel: boolean): AttachmentSettings {
  return {
    maxFiles: env.MAX_ATTACHMENTS,
    maxBytes: env.MAX_ATTACHMENT_BYTES,
    maxImagePixels: env.MAX_IMAGE_PIXELS,
    maxImageBytes: DEFAULT_IMAGE_MAX_BYTES,
    textTokens: env.ATTACHMENT_TEXT_TOKENS,
    timeoutMs: env.ATTACHMENT_TIMEOUT_MS,
    // Per turn: a policy (POLICY_FILE) may answer a place with another model than OPENAI_MODEL.
    vision: (model) => modelSeesImages(env.MODEL_VISION, model, demoModel),
  };
}
