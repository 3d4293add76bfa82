/**
 * A channel's recent messages as transcript lines for /summarize: fetched newest first in pages
 * of 100 (Discord's maximum), bots and system messages dropped, mentions shown by name,
 * returned oldest first.
 */
import { type APIMessage, MessageType, Routes } from "discord.js";
import type { TranscriptLine } from "../../core/types.js";
import { withAttachedNote } from "../attached-note.js";
import { call } from "./rest.js";
import type { DiscordRest } from "./sink.js";

/** Discord's page size limit for Get Channel Messages (docs: 1-100). */
const PAGE_SIZE = 100;

export interface Transcript {
  lines: TranscriptLine[];
  /** Messages looked at (bots and system messages included). */
  fetched: number;
}

export async function fetchTranscript(
  rest: DiscordRest,
  channelId: string,
  count: number,
): Promise<Transcript> {
  const messages: APIMessage[] = [];
  let before: string | undefined;
  while (messages.length < count) {
    const limit = Math.min(PAGE_SIZE, count - messages.length);
    const query = new URLSearchParams({ limit: String(limit), ...(before ? { before } : {}) });
    const page = await call<APIMessage[]>("read channel history", () =>
      rest.get(Routes.channelMessages(channelId), { query }),
    );
    messages.push(...page);
    if (page.length < limit) break;
    before = page[page.length - 1]?.id;
  }
  const lines = messages
    .filter((m) => !m.author.bot && (m.type === MessageType.Default || m.type === MessageType.Reply))
    .map((m) => ({ author: authorName(m), text: lineText(m), at: Date.parse(m.timestamp) }))
    .filter((l) => l.text !== "")
    .reverse();
  return { lines, fetched: messages.length };
}

function authorName(m: APIMessage): string {
  const member = (m as APIMessage & { member?: { nick?: string | null } }).member;
  return member?.nick ?? m.author.global_name ?? m.author.username;
}

function lineText(m: APIMessage): string {
  const names = new Map(m.mentions.map((u) => [u.id, u.global_name ?? u.username]));
  const text = m.content
    .replace(/<@!?(\d+)>/g, (raw, id: string) => (names.has(id) ? `@${names.get(id)}` : raw))
    .trim();
  return withAttachedNote(
    text,
    m.attachments.map((a) => a.filename),
  );
}
