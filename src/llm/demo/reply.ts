/**
 * What the demo model says to one request: tool calls, an answer from tool results, a summary,
 * a request for missing details, or the plain offline answer. Pure and deterministic.
 */
import { answerFromToolResults, contentText, splitPieces, trailingToolResults } from "./answers.js";
import { attachmentReport, imageDescriptions } from "./attachments.js";
import { detectIntents } from "./intents.js";
import { extractiveSummary } from "./summary.js";
import type { ChatRequestBody, UsageBody } from "./types.js";

/** Text as JSON string literals, ready to paste into a chunk without another JSON.stringify. */
export interface EncodedText {
  json: readonly string[];
  chars: number;
}

export type DemoReply =
  | { kind: "text"; text: EncodedText }
  | { kind: "tool_calls"; calls: { id: string; name: string; arguments: string }[] };

export function encodeText(pieces: string[]): EncodedText {
  let chars = 0;
  for (const p of pieces) chars += p.length;
  return { json: pieces.map((p) => JSON.stringify(p)), chars };
}

const SUMMARY_REQUEST = /summar/i;

/**
 * @param requestIndex makes tool-call ids unique across the server's life without randomness.
 * @param offline the plain answer, encoded once when the server starts.
 */
export function demoReply(body: ChatRequestBody, requestIndex: number, offline: EncodedText): DemoReply {
  const messages = body.messages;
  const results = trailingToolResults(messages);
  if (results) return textReply(answerFromToolResults(results));

  const described = imageDescriptions(messages);
  if (described !== undefined) return textReply(described);
  const report = attachmentReport(messages);
  if (report) return textReply(report);

  const last = messages[messages.length - 1];
  const system = messages.filter((m) => m.role === "system" || m.role === "developer");
  if (system.some((m) => SUMMARY_REQUEST.test(contentText(m.content))) && last?.role === "user") {
    return textReply(extractiveSummary(contentText(last.content)));
  }

  if (last?.role === "user") {
    const offered = new Set((body.tools ?? []).map((t) => t.function.name));
    const intents = detectIntents(contentText(last.content), offered);
    if (intents.calls.length > 0) {
      return {
        kind: "tool_calls",
        calls: intents.calls.map((c, i) => ({
          id: `call_demo${requestIndex.toString(36)}x${i}`,
          name: c.name,
          arguments: JSON.stringify(c.args),
        })),
      };
    }
    if (intents.missing.length > 0) return textReply(intents.missing.join("\n\n"));
  }
  return { kind: "text", text: offline };
}

function textReply(text: string): DemoReply {
  return { kind: "text", text: encodeText(splitPieces(text)) };
}

/** OpenAI's rule of thumb, ~4 characters per token: cheap enough for 1,000+ requests a second. */
const CHARS_PER_TOKEN = 4;
/** Per-message framing and reply priming, as OpenAI counts them (see src/llm/tokens.ts). */
const TOKENS_PER_MESSAGE = 3;
const REPLY_PRIMING_TOKENS = 3;
const IMAGE_TOKENS = 85;

/** Prompt tokens of a request, estimated from its characters (not a tokenizer: see above). */
export function estimatePromptTokens(body: ChatRequestBody): number {
  let chars = 0;
  for (const m of body.messages) {
    chars += contentText(m.content).length + (m.name?.length ?? 0);
    if (Array.isArray(m.content)) {
      // An image costs at least OpenAI's 85 base tokens (src/llm/image-tokens.ts).
      for (const p of m.content) if (p.type === "image_url") chars += IMAGE_TOKENS * CHARS_PER_TOKEN;
    }
    for (const c of m.tool_calls ?? []) chars += c.function.name.length + c.function.arguments.length;
  }
  if (body.tools && body.tools.length > 0) chars += jsonChars(body.tools);
  return (
    Math.ceil(chars / CHARS_PER_TOKEN) + body.messages.length * TOKENS_PER_MESSAGE + REPLY_PRIMING_TOKENS
  );
}

/**
 * The length `JSON.stringify(value)` would have, without building it (escapes aside): the tools'
 * definitions are most of a request, and serializing them again was the demo server's largest
 * cost per request after parsing it (14 µs of ~9 KB, every request).
 */
export function jsonChars(value: unknown): number {
  switch (typeof value) {
    case "string":
      return value.length + 2;
    case "number":
    case "boolean":
      return String(value).length;
    case "object": {
      if (value === null) return 4;
      if (Array.isArray(value)) {
        let n = 2 + Math.max(0, value.length - 1);
        for (const v of value) n += v === undefined ? 4 : jsonChars(v);
        return n;
      }
      let n = 2;
      let first = true;
      for (const key in value) {
        const v = (value as Record<string, unknown>)[key];
        if (v === undefined || typeof v === "function") continue;
        n += (first ? 0 : 1) + key.length + 3 + jsonChars(v);
        first = false;
      }
      return n;
    }
    default:
      return 0;
  }
}

export function usageFor(body: ChatRequestBody, outputChars: number): UsageBody {
  return {
    prompt_tokens: estimatePromptTokens(body),
    completion_tokens: Math.ceil(outputChars / CHARS_PER_TOKEN),
  };
}
