/**
 * The demo model's written answers: reading tool results back to the user, and the plain
 * "I am the offline demo" answer. Everything is deterministic.
 */
import { helpCenterAnswer } from "./help-answer.js";
import type { ChatRequestMessage } from "./types.js";

export const OFFLINE_ANSWER = [
  "Hi! I'm the offline demo model: no `OPENAI_API_KEY` is configured, so I can't hold a real conversation yet.",
  "",
  "To use a real model, set `OPENAI_API_KEY` (and optionally `OPENAI_MODEL`, default `gpt-4o-mini`), or point `OPENAI_BASE_URL` at an OpenAI-compatible server such as Ollama or vLLM, then restart the service.",
  "",
  "What I can demo right now:",
  '- Weather: "What\'s the weather in Paris?"',
  '- Products: "Do you have wireless headphones under $100?"',
  '- Orders: "Where is my order 1042? My email is ana@example.com"',
  '- Help center: "How do I return an item?"',
  "- Files: attach a screenshot, a log or a PDF and I'll say what reached me.",
  "- Summaries: the `/summarize` command in Slack and Discord.",
].join("\n");

/** Sentences cycled to stretch the plain answer to `answerTokens` chunks (load tests want long streams). */
const PADDING = [
  "This sentence is padding, so load tests see an answer of realistic length.",
  "A real model would answer your question here, streaming it a few characters at a time.",
  "The service edits the chat message as these pieces arrive, within each platform's rate limits.",
];

/** Splits text into token-like pieces: a word (with its leading space) or 8 characters of a long one. */
export function splitPieces(text: string): string[] {
  return text.match(/\s*\S{1,8}/g) ?? [];
}

/** The plain answer as pieces, stretched or cut to about `answerTokens` pieces when given. */
export function offlineAnswerPieces(answerTokens?: number): string[] {
  const pieces = splitPieces(OFFLINE_ANSWER);
  if (answerTokens === undefined) return pieces;
  for (let i = 0; pieces.length < answerTokens; i++) {
    pieces.push(...splitPieces(`${i === 0 ? "\n\n" : " "}${PADDING[i % PADDING.length]}`));
  }
  return pieces.slice(0, Math.max(1, answerTokens));
}

export function contentText(content: ChatRequestMessage["content"]): string {
  if (typeof content === "string") return content;
  if (!content) return "";
  return content.map((p) => p.text ?? "").join("");
}

/** The tool results at the end of the conversation (the round the model must now answer), if any. */
export function trailingToolResults(
  messages: ChatRequestMessage[],
): { name: string | undefined; content: string }[] | undefined {
  let start = messages.length;
  while (start > 0 && messages[start - 1]?.role === "tool") start--;
  if (start === messages.length) return undefined;
  const names = new Map<string, string>();
  for (const call of messages[start - 1]?.tool_calls ?? []) names.set(call.id, call.function.name);
  return messages.slice(start).map((m) => ({
    name: names.get(m.tool_call_id ?? ""),
    content: contentText(m.content),
  }));
}

export function answerFromToolResults(results: { name: string | undefined; content: string }[]): string {
  return results.map((r) => describeResult(r.name, r.content)).join("\n\n");
}

const MAX_ITEMS = 5;
const MAX_VALUE_CHARS = 200;
const MAX_DEPTH = 2;

function describeResult(name: string | undefined, content: string): string {
  let data: unknown;
  try {
    data = JSON.parse(content);
  } catch {
    return `**${label(name)}**: ${truncate(content.trim() || "(empty result)")}`;
  }
  const failure = errorMessage(data);
  if (failure !== undefined) return `Sorry, I couldn't ${action(name)}: ${truncate(failure)}`;
  const written = writtenAnswer(name, data);
  if (written !== undefined) return written;
  const record = isRecord(data) ? data : {};
  const subject = scalar(record.location ?? record.city ?? record.name ?? record.order_id ?? record.orderId);
  const heading = `**${label(name)}${subject ? `: ${subject}` : ""}**`;
  const lines = factLines(data, "", 0);
  return lines.length > 0 ? `${heading}\n${lines.join("\n")}` : `${heading}\nNothing found.`;
}

function label(name: string | undefined): string {
  switch (name) {
    case "get_weather":
      return "Weather";
    case "search_products":
      return "Products";
    case "get_order_status":
      return "Order";
    default:
      return name ? humanize(name) : "Result";
  }
}

function action(name: string | undefined): string {
  switch (name) {
    case "get_weather":
      return "get the weather";
    case "search_products":
      return "search the catalog";
    case "get_order_status":
      return "look up that order";
    case "search_help_center":
      return "search the help center";
    default:
      return name ? `run ${name}` : "finish that lookup";
  }
}

/**
 * `{"error": "...", "message"?: "..."}`, `{"error": {"message": "..."}}` or `{"ok": false,
 * "message": "..."}`. A tool failure's message ("Could not reach Open-Meteo.") wins over its
 * code ("backend_error"), which means nothing to the person reading the answer.
 */
function errorMessage(data: unknown): string | undefined {
  if (!isRecord(data)) return undefined;
  const err = data.error;
  if (typeof err === "string") return typeof data.message === "string" && data.message ? data.message : err;
  if (isRecord(err)) return String(err.message ?? err.code ?? "unknown error");
  if (err === true || data.ok === false) return String(data.message ?? data.reason ?? "unknown error");
  return undefined;
}

function factLines(value: unknown, prefix: string, depth: number): string[] {
  if (Array.isArray(value)) return itemLines(value, prefix);
  if (!isRecord(value)) return [`- ${prefix ? `${humanize(prefix)}: ` : ""}${format(value)}`];
  const lines: string[] = [];
  for (const [key, v] of Object.entries(value)) {
    const name = prefix ? `${prefix} ${key}` : key;
    if (Array.isArray(v)) {
      if (v.length === 0) lines.push(`- ${humanize(name)}: none`);
      else if (v.every((x) => !isRecord(x)))
        lines.push(`- ${humanize(name)}: ${v.slice(0, 10).map(format).join(", ")}`);
      else lines.push(...itemLines(v, name));
    } else if (isRecord(v)) {
      if (depth < MAX_DEPTH) lines.push(...factLines(v, name, depth + 1));
    } else {
      lines.push(`- ${humanize(name)}: ${format(v)}`);
    }
  }
  return lines;
}

function itemLines(items: unknown[], key: string): string[] {
  const lines = items.slice(0, MAX_ITEMS).map((item) => `- ${itemLine(item)}`);
  if (items.length > MAX_ITEMS)
    lines.push(
      `- ...and ${items.length - MAX_ITEMS} more ${key ? humanize(key).toLowerCase() : ""}`.trimEnd(),
    );
  return lines;
}

function itemLine(item: unknown): string {
  if (!isRecord(item)) return format(item);
  const headKey = ["name", "title", "id"].find((k) => scalar(item[k]) !== undefined);
  const head = headKey ? format(item[headKey]) : "";
  const rest = Object.entries(item)
    .filter(([k, v]) => k !== headKey && scalar(v) !== undefined)
    .slice(0, 6)
    .map(([k, v]) => `${humanize(k).toLowerCase()}: ${format(v)}`);
  if (!head) return rest.join(", ");
  return rest.length > 0 ? `${head} (${rest.join(", ")})` : head;
}

function scalar(v: unknown): string | undefined {
  if (typeof v === "string" && v !== "") return v;
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  return undefined;
}

function format(v: unknown): string {
  if (typeof v === "boolean") return v ? "yes" : "no";
  if (v === null || v === undefined) return "n/a";
  if (typeof v === "object") return truncate(JSON.stringify(v));
  return truncate(String(v));
}

function humanize(key: string): string {
  const words = key
    .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
    .replace(/[_-]+/g, " ")
    .trim()
    .toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

function truncate(text: string): string {
  return text.length > MAX_VALUE_CHARS ? `${text.slice(0, MAX_VALUE_CHARS - 3)}...` : text;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

// ---------------------------------------------------------------------------------------------
// Written answers for the three tools' result shapes (src/tools): what a model would say. Any
// other shape falls back to the generic list of facts above.

function writtenAnswer(name: string | undefined, data: unknown): string | undefined {
  if (!isRecord(data)) return undefined;
  // A personal result in a shared conversation (src/core/personal-data.ts): nothing to read out.
  if (data.sent_privately === true) return "The details are in a private message to you.";
  if (name === "handoff_to_human" && data.handedOff === true)
    return "I've passed this on to a person from our support team.";
  if (name === "get_weather" && isRecord(data.current) && typeof data.location === "string")
    return weatherAnswer(data);
  if (name === "search_products" && Array.isArray(data.results)) return productsAnswer(data);
  if (name === "search_help_center" && Array.isArray(data.results)) return helpCenterAnswer(data);
  if (name === "get_order_status" && typeof data.order_id === "string" && typeof data.status === "string") {
    return orderAnswer(data);
  }
  return undefined;
}

function weatherAnswer(data: Record<string, unknown>): string {
  const units = isRecord(data.units) ? data.units : {};
  const t = typeof units.temperature === "string" ? units.temperature : "°";
  const w = typeof units.wind_speed === "string" ? ` ${units.wind_speed}` : "";
  const now = data.current as Record<string, unknown>;
  const parts = [`**${data.location}** right now: ${lower(now.conditions)}, ${num(now.temperature)}${t}`];
  if (now.feels_like !== null && now.feels_like !== undefined)
    parts.push(`feels like ${num(now.feels_like)}${t}`);
  if (now.humidity_percent !== null && now.humidity_percent !== undefined)
    parts.push(`humidity ${num(now.humidity_percent)}%`);
  if (now.wind_speed !== null && now.wind_speed !== undefined) parts.push(`wind ${num(now.wind_speed)}${w}`);
  const days = (Array.isArray(data.forecast) ? data.forecast : []).filter(isRecord).slice(0, MAX_ITEMS);
  const forecast = days.map((d) => {
    const rain = d.precipitation_chance_percent;
    return `- ${d.date}: ${lower(d.conditions)}, ${num(d.low)} to ${num(d.high)}${t}${rain !== null && rain !== undefined ? `, ${num(rain)}% chance of rain` : ""}`;
  });
  return `${parts.join(", ")}.${forecast.length > 0 ? `\n\nThe next days:\n${forecast.join("\n")}` : ""}`;
}

function productsAnswer(data: Record<string, unknown>): string {
  const query = typeof data.query === "string" ? data.query : "that";
  const filters = isRecord(data.filters) ? data.filters : {};
  const under = typeof filters.max_price === "number" ? ` under ${filters.max_price}` : "";
  const items = (data.results as unknown[]).filter(isRecord).slice(0, MAX_ITEMS);
  if (items.length === 0) {
    return `I couldn't find any products matching "${query}"${under}. Try other words or a higher price limit.`;
  }
  const lines = items.map((p) => {
    const stock = p.in_stock === false ? "out of stock" : "in stock";
    const link = typeof p.url === "string" ? ` ([details](${p.url}))` : "";
    const summary = typeof p.summary === "string" ? ` ${truncate(p.summary)}` : "";
    return `- **${p.name}**: ${num(p.price)} ${p.currency ?? ""}, ${stock}.${summary}${link}`;
  });
  const total = typeof data.total_matches === "number" ? data.total_matches : items.length;
  const heading =
    total === 1
      ? `I found one match for "${query}"${under}:`
      : `Here are the best of ${total} matches for "${query}"${under}:`;
  return `${heading}\n${lines.join("\n")}`;
}

function orderAnswer(data: Record<string, unknown>): string {
  const status = String(data.status).replaceAll("_", " ");
  const detail = typeof data.status_text === "string" ? `: ${data.status_text}` : "";
  const lines: string[] = [];
  const date = (v: unknown) => (typeof v === "string" ? v.slice(0, 10) : undefined);
  if (date(data.placed_at)) lines.push(`- Placed: ${date(data.placed_at)}`);
  if (date(data.shipped_at)) lines.push(`- Shipped: ${date(data.shipped_at)}`);
  if (date(data.delivered_at)) lines.push(`- Delivered: ${date(data.delivered_at)}`);
  else if (date(data.estimated_delivery))
    lines.push(`- Estimated delivery: ${date(data.estimated_delivery)}`);
  if (typeof data.carrier === "string") {
    lines.push(
      `- Carrier: ${data.carrier}${typeof data.tracking_number === "string" ? `, tracking number ${data.tracking_number}` : ""}`,
    );
  }
  const items = (Array.isArray(data.items) ? data.items : []).filter(isRecord);
  if (items.length > 0)
    lines.push(`- Items: ${items.map((i) => `${i.name} × ${i.quantity ?? 1}`).join(", ")}`);
  if (typeof data.total === "number") lines.push(`- Total: ${data.total} ${data.currency ?? ""}`.trimEnd());
  return `Order **${data.order_id}** is **${status}**${detail}.${lines.length > 0 ? `\n${lines.join("\n")}` : ""}`;
}

function lower(v: unknown): string {
  const text = typeof v === "string" ? v : "unknown conditions";
  return text.charAt(0).toLowerCase() + text.slice(1);
}

function num(v: unknown): string {
  return typeof v === "number" ? String(v) : "?";
}
