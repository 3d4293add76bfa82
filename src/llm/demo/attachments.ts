/**
 * The demo model and attachments: it cannot look inside files, so it says what reached it (each
 * file's name, type, size, and how it came: as an image, or as so many characters of text). That
 * makes the whole path visible without a key. It also answers the core's request for one-line
 * image descriptions (core/attachments/describe.ts) with a placeholder line per image.
 */
import type { ChatRequestMessage } from "./types.js";

type Part = Exclude<ChatRequestMessage["content"], string | null | undefined>[number];

/** The header line the core puts before each file (core/attachments/read.ts). */
const HEADER = /^\[Attachment (\d+): "([^"]*)"(?:, (.*?))?(?:: not read, (.*))?\]$/;
const DESCRIBE_REQUEST = /descriptions of images/i;
const IMAGE_LABEL = /^Image (\d+):$/;

function partsOf(m: ChatRequestMessage | undefined): Part[] {
  return m && Array.isArray(m.content) ? m.content : [];
}

/** Base64 carries 3 bytes in 4 characters. */
function dataUrlBytes(url: string): number {
  const comma = url.indexOf(",");
  return Math.floor(((url.length - comma - 1) * 3) / 4);
}

function formatBytes(bytes: number): string {
  return bytes < 1024 ? `${bytes} bytes` : `${(bytes / 1024).toFixed(1)} KB`;
}

/** A report of the files in the user's last message, or undefined when it has none. */
export function attachmentReport(messages: ChatRequestMessage[]): string | undefined {
  const last = messages[messages.length - 1];
  if (last?.role !== "user") return undefined;
  const parts = partsOf(last);
  const lines: string[] = [];
  parts.forEach((part, i) => {
    if (part.type !== "text" || !part.text) return;
    const newline = part.text.indexOf("\n");
    const header = newline < 0 ? part.text : part.text.slice(0, newline);
    const m = HEADER.exec(header);
    if (!m) return;
    const [, , name, facts, unread] = m;
    const what = facts ? ` (${facts})` : "";
    const next = parts[i + 1];
    let how: string;
    if (unread) how = `not read: ${unread}`;
    else if (next?.type === "image_url" && next.image_url)
      how = `came as an image of ${formatBytes(dataUrlBytes(next.image_url.url))}, at ${next.image_url.detail ?? "auto"} detail`;
    else how = `came as ${newline < 0 ? 0 : part.text.length - newline - 1} characters of text`;
    lines.push(`- \`${name}\`${what}: ${how}`);
  });
  if (lines.length === 0) return undefined;
  const n = lines.length;
  return [
    `I'm the offline demo model, so I can't look inside files, but here is what reached me with your message (${n} ${n === 1 ? "file" : "files"}):`,
    "",
    ...lines,
    "",
    "With an OpenAI key (and a vision model for images) the real model reads them.",
  ].join("\n");
}

/** The answer to the core's image-description request, if this is one. */
export function imageDescriptions(messages: ChatRequestMessage[]): string | undefined {
  const system = messages[0];
  if (system?.role !== "system" || typeof system.content !== "string") return undefined;
  if (!DESCRIBE_REQUEST.test(system.content)) return undefined;
  const lines: string[] = [];
  for (const part of partsOf(messages[messages.length - 1])) {
    const m = part.type === "text" && part.text ? IMAGE_LABEL.exec(part.text) : null;
    if (m) lines.push(`${m[1]}: an image (the offline demo model cannot see what it shows)`);
  }
  return lines.join("\n");
}
