/**
 * Our message and tool shapes -> OpenAI chat-completions request params.
 */
import type {
  ChatCompletionContentPart,
  ChatCompletionFunctionTool,
  ChatCompletionMessageParam,
} from "openai/resources/chat/completions";
import type { ToolSpec } from "../core/ports.js";
import type { ContentPart, ModelMessage } from "../core/types.js";

/** OpenAI rejects a `name` outside `^[a-zA-Z0-9_-]{1,64}$` with a 400, and display names have spaces. */
const NAME_MAX_CHARS = 64;

export function toOpenAiName(name: string | undefined): string | undefined {
  if (!name) return undefined;
  const cleaned = name
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .replace(/[^a-zA-Z0-9_-]+/g, "_")
    .replace(/^_+|_+$/g, "")
    .slice(0, NAME_MAX_CHARS);
  return cleaned === "" ? undefined : cleaned;
}

export function toOpenAiMessages(messages: ModelMessage[]): ChatCompletionMessageParam[] {
  return messages.map(toOpenAiMessage);
}

export function toOpenAiMessage(m: ModelMessage): ChatCompletionMessageParam {
  switch (m.role) {
    case "system":
      return { role: "system", content: m.content };
    case "user": {
      const name = toOpenAiName(m.name);
      const content = m.parts && m.parts.length > 0 ? toOpenAiParts(m.content, m.parts) : m.content;
      return name ? { role: "user", content, name } : { role: "user", content };
    }
    case "assistant":
      if (m.toolCalls && m.toolCalls.length > 0) {
        return {
          role: "assistant",
          // OpenAI accepts null content next to tool calls; an empty string is sent as is.
          content: m.content,
          tool_calls: m.toolCalls.map((c) => ({
            id: c.id,
            type: "function" as const,
            function: { name: c.name, arguments: c.arguments },
          })),
        };
      }
      return { role: "assistant", content: m.content ?? "" };
    case "tool":
      return { role: "tool", tool_call_id: m.toolCallId, content: m.content };
  }
}

/** The message text first (when there is any), then attached files' text and images. */
function toOpenAiParts(text: string, parts: ContentPart[]): ChatCompletionContentPart[] {
  const out: ChatCompletionContentPart[] = text === "" ? [] : [{ type: "text", text }];
  for (const p of parts) {
    if (p.type === "text") out.push({ type: "text", text: p.text });
    else
      out.push({
        type: "image_url",
        image_url: { url: `data:${p.mime};base64,${p.base64}`, detail: p.detail },
      });
  }
  return out;
}

export function toOpenAiTools(tools: ToolSpec[]): ChatCompletionFunctionTool[] {
  return tools.map((t) => ({
    type: "function" as const,
    function: {
      name: t.name,
      description: t.description,
      parameters: t.parameters,
      // Only sent when asked for: some compatible servers reject `strict: false` as unknown.
      ...(t.strict && { strict: true }),
    },
  }));
}
