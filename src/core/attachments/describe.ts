/**
 * The model's own one-line description of each image, for the history: later turns cannot see the
 * image again (its bytes are never stored), so they get what the model saw in it. Asked in a
 * second, small request that runs while the answer streams (so it adds no wait), with the images
 * at low detail (a fixed 85 tokens each on OpenAI's vision models). Stripping such a line out
 * of the streamed answer instead would have needed every platform's streaming to hide it.
 */
import type { Logger } from "../../log.js";
import type { ChatModel, ModelUsage } from "../ports.js";
import type { ContentPart } from "../types.js";
import type { ReadFile } from "./read.js";

/** Words are cheap; 60 tokens is ~40 words, room for one line and an error code. */
const TOKENS_PER_DESCRIPTION = 60;
/**
 * Reasoning models (gpt-5, o1, o3, o4-mini) spend hidden reasoning tokens out of the same output
 * cap: with 60 tokens per image they stop before writing a word, and the input is paid for
 * nothing. This much more room lets them answer; a model that does not reason still writes its
 * short lines and stops (and each line is cut to DESCRIPTION_MAX_CHARS).
 */
const REASONING_ROOM_TOKENS = 1024;
/** A description longer than this (the model ignored the instruction) is cut. */
const DESCRIPTION_MAX_CHARS = 200;

export const DESCRIBE_PROMPT =
  "You write short descriptions of images a customer attached to a support chat. For each image, " +
  "in order, write exactly one line: `<number>: <what it shows, at most 25 words; quote any error " +
  "message or code you can read>`. Nothing else.";

export interface ImageDescriptions {
  /** By attachment index. */
  byIndex: Map<number, string>;
  usage: ModelUsage;
}

export async function describeImages(
  model: ChatModel,
  files: ReadFile[],
  signal: AbortSignal,
  log: Logger,
): Promise<ImageDescriptions> {
  const result: ImageDescriptions = { byIndex: new Map(), usage: { inputTokens: 0, outputTokens: 0 } };
  const parts: ContentPart[] = [];
  for (const file of files) {
    for (const part of file.parts) {
      if (part.type !== "image") continue;
      parts.push({ type: "text", text: `Image ${file.index}:` }, { ...part, detail: "low" });
    }
  }
  if (parts.length === 0) return result;
  let text = "";
  try {
    for await (const event of model.stream({
      messages: [
        { role: "system", content: DESCRIBE_PROMPT },
        { role: "user", content: "", parts },
      ],
      tools: [],
      signal,
      maxOutputTokens: TOKENS_PER_DESCRIPTION * (parts.length / 2) + REASONING_ROOM_TOKENS,
    })) {
      if (event.type === "text") text += event.delta;
      else if (event.type === "done") result.usage = event.usage;
    }
  } catch (err) {
    // The history then keeps name, type and size only.
    log.info({ err }, "images could not be described for the history");
    return result;
  }
  for (const line of text.split("\n")) {
    const m = /^\s*(?:image\s*)?(\d+)\s*[:.)-]\s*(.+)$/i.exec(line);
    if (!m) continue;
    const description = m[2]!.replace(/\s+/g, " ").trim().slice(0, DESCRIPTION_MAX_CHARS);
    if (description !== "") result.byIndex.set(Number(m[1]), description);
  }
  return result;
}
