/**
 * The chat-completions request body as JSON, with the parts that repeat from request to request
 * serialized once instead of in every request:
 * - each tool's definition (name, description, JSON schema), the largest fixed part of a request:
 *   ~3.4 KB for the built-in tools, ~28 µs of CPU per request to rebuild and stringify on the
 *   development machine, for the same bytes every time;
 * - each frozen message: the history turns read back from the store are deep-frozen by the
 *   store's HistoryCache (store/history.ts) and come back as the same objects on the thread's next
 *   turn, so their JSON is reused too (and the system prompt's, see core/budget.ts).
 * The output is byte for byte what `JSON.stringify` of the whole body gives (same keys, same order).
 */
import type { ToolSpec } from "../core/ports.js";
import type { ModelMessage } from "../core/types.js";
import { toOpenAiMessage, toOpenAiTools } from "./openai-messages.js";

/**
 * One tool's JSON, keyed by its spec object. Specs are built once by the tool registry and never
 * changed afterwards (a registry hands out the same objects on every `specs()` call).
 */
const toolJson = new WeakMap<ToolSpec, string>();

function serializedTool(spec: ToolSpec): string {
  let json = toolJson.get(spec);
  if (json === undefined) {
    json = JSON.stringify(toOpenAiTools([spec])[0]);
    toolJson.set(spec, json);
  }
  return json;
}

/** A frozen message's JSON, keyed by the message: it cannot change, so neither can its JSON. */
const messageJson = new WeakMap<ModelMessage, string>();

function serializedMessage(message: ModelMessage): string {
  // Not frozen: this request's own messages (the question, this turn's tool results), or a
  // caller's objects that may still change. Frozen ones are frozen all the way down.
  if (!Object.isFrozen(message)) return JSON.stringify(toOpenAiMessage(message));
  let json = messageJson.get(message);
  if (json === undefined) {
    json = JSON.stringify(toOpenAiMessage(message));
    messageJson.set(message, json);
  }
  return json;
}

/**
 * `JSON.stringify({ model, messages: toOpenAiMessages(messages), stream: true, stream_options:
 * { include_usage: true }, tools: toOpenAiTools(tools), [limit.param]: limit.value })`, with the
 * tools' and the frozen messages' JSON reused. No tools: no `tools` field (OpenAI rejects an
 * empty array); no limit: no limit field.
 */
export function requestBodyJson(
  model: string,
  messages: readonly ModelMessage[],
  tools: readonly ToolSpec[],
  limit: { param: string; value: number } | undefined,
): string {
  let json = `{"model":${JSON.stringify(model)},"messages":[`;
  for (let i = 0; i < messages.length; i++) json += (i === 0 ? "" : ",") + serializedMessage(messages[i]!);
  json += `],"stream":true,"stream_options":{"include_usage":true}`;
  if (tools.length > 0) json += `,"tools":[${tools.map(serializedTool).join(",")}]`;
  if (limit) json += `,${JSON.stringify(limit.param)}:${JSON.stringify(limit.value)}`;
  return `${json}}`;
}
