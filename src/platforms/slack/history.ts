/**
 * Reading a channel or thread for /summarize: conversations.history / conversations.replies,
 * page by page, keeping people's messages only (no bots, joins, topic changes), and turning
 * Slack's markup into plain text the model can read.
 */
import { PlatformError } from "../../core/errors.js";
import type { TranscriptLine } from "../../core/types.js";
import { withAttachedNote } from "../attached-note.js";
import type { SlackApi } from "./api.js";

/** Slack recommends pages of no more than 200 messages. */
const PAGE_SIZE = 200;
/** Pages we read beyond what the count needs, for channels full of bot and join messages. */
const EXTRA_PAGES = 3;
/** Pages of a thread read at most (200 messages each): 10,000 replies. */
const MAX_THREAD_PAGES = 50;
/** Subtypes that are people talking; everything else (joins, bots, topic changes) is skipped. */
const HUMAN_SUBTYPES = new Set(["thread_broadcast", "file_share", "me_message"]);

export interface RawMessage {
  ts: string;
  user?: string;
  text?: string;
  subtype?: string;
  bot_id?: string;
  /** Shared files: named in the transcript, never downloaded for a summary. */
  files?: { name?: string | null; title?: string | null }[];
}

export interface FetchedMessages {
  /** Oldest first. */
  messages: RawMessage[];
  /** Slack kept rate-limiting longer than we wait: the summary covers what was read. */
  partial: boolean;
}

interface Page {
  messages?: RawMessage[];
  has_more?: boolean;
  response_metadata?: { next_cursor?: string };
}

export async function fetchChannel(
  api: SlackApi,
  opts: {
    channel: string;
    count: number;
    oldestSec?: number | undefined;
    maxWaitMs: number;
    signal?: AbortSignal;
  },
): Promise<FetchedMessages> {
  return fetchPages(
    api,
    "conversations.history",
    { channel: opts.channel, ...(opts.oldestSec ? { oldest: String(opts.oldestSec) } : {}) },
    opts,
    true,
  );
}

export async function fetchThread(
  api: SlackApi,
  opts: { channel: string; ts: string; count: number; maxWaitMs: number; signal?: AbortSignal },
): Promise<FetchedMessages> {
  return fetchPages(api, "conversations.replies", { channel: opts.channel, ts: opts.ts }, opts, false);
}

async function fetchPages(
  api: SlackApi,
  method: string,
  base: Record<string, unknown>,
  opts: { count: number; maxWaitMs: number; signal?: AbortSignal },
  newestFirst: boolean,
): Promise<FetchedMessages> {
  const kept: RawMessage[] = [];
  let cursor: string | undefined;
  let partial = false;
  // A thread is read oldest first, so its newest messages come last: read it whole (up to a hard
  // cap). A channel is read newest first and stops once `count` are in.
  const maxPages = newestFirst ? Math.ceil(opts.count / PAGE_SIZE) + EXTRA_PAGES : MAX_THREAD_PAGES;
  let more = false;
  const started = Date.now();
  for (let page = 0; page < maxPages; page++) {
    let res: Page;
    try {
      res = await api.callPatiently<Page>(
        method,
        { ...base, limit: PAGE_SIZE, ...(cursor ? { cursor } : {}) },
        {
          maxWaitMs: Math.max(0, opts.maxWaitMs - (Date.now() - started)),
          ...(opts.signal ? { signal: opts.signal } : {}),
        },
      );
    } catch (err) {
      // Rate-limited beyond our patience after some pages: summarize what we have.
      if (err instanceof PlatformError && err.isRateLimit && kept.length > 0) {
        partial = true;
        break;
      }
      throw err;
    }
    for (const m of res.messages ?? []) if (isHuman(m)) kept.push(m);
    cursor = res.response_metadata?.next_cursor || undefined;
    more = Boolean(res.has_more && cursor);
    if (!more) break;
    // Threads are read whole (oldest first); channels only until the newest `count` are in.
    if (newestFirst && kept.length >= opts.count) break;
  }
  // A thread longer than the cap: what was read is not its latest part, so say it is partial.
  if (!newestFirst && more) partial = true;
  const ordered = newestFirst ? kept.slice(0, opts.count).reverse() : kept.slice(-opts.count);
  return { messages: ordered, partial };
}

function isHuman(m: RawMessage): boolean {
  if (m.bot_id || !m.user) return false;
  if (m.subtype && !HUMAN_SUBTYPES.has(m.subtype)) return false;
  return (m.text ?? "").trim() !== "" || (m.files?.length ?? 0) > 0;
}

/** User ids a transcript needs names for: authors and people mentioned. */
export function mentionedUsers(messages: RawMessage[]): Set<string> {
  const ids = new Set<string>();
  for (const m of messages) {
    if (m.user) ids.add(m.user);
    for (const match of (m.text ?? "").matchAll(/<@([A-Z0-9]+)(?:\|[^>]*)?>/g))
      if (match[1]) ids.add(match[1]);
  }
  return ids;
}

export function toTranscript(messages: RawMessage[], names: Map<string, string>): TranscriptLine[] {
  return messages.map((m) => ({
    author: (m.user && names.get(m.user)) || m.user || "someone",
    text: withAttachedNote(
      plainText(m.text ?? "", names),
      (m.files ?? []).map((f) => f.name || f.title || "file"),
    ),
    at: Math.round(Number(m.ts) * 1000),
  }));
}

/** Slack markup to readable text: mentions by name, links as "label (url)", entities decoded. */
export function plainText(text: string, names: Map<string, string>): string {
  return text
    .replace(
      /<@([A-Z0-9]+)(?:\|([^>]*))?>/g,
      (_m, id: string, label?: string) => `@${names.get(id) ?? label ?? id}`,
    )
    .replace(/<#([A-Z0-9]+)(?:\|([^>]*))?>/g, (_m, id: string, label?: string) => `#${label || id}`)
    .replace(/<!(here|channel|everyone)(?:\|[^>]*)?>/g, "@$1")
    .replace(/<!subteam\^[A-Z0-9]+(?:\|([^>]*))?>/g, (_m, label?: string) => label ?? "@group")
    .replace(/<(https?:\/\/[^|>]+)\|([^>]+)>/g, "$2 ($1)")
    .replace(/<(https?:\/\/[^>]+)>/g, "$1")
    .replace(/<mailto:[^|>]+\|([^>]+)>/g, "$1")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&amp;/g, "&");
}
