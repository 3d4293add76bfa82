/**
 * `/summarize [thread link] [count | time window] [share]`, e.g. `/summarize`, `/summarize 50`,
 * `/summarize 3h`, `/summarize https://acme.slack.com/archives/C0123/p1700000000123456 share`.
 */

/** Without a count or window: the last this many messages. */
export const DEFAULT_SUMMARY_MESSAGES = 200;
/** More would be slow to fetch (5 history pages) and rarely summarizes well. */
export const MAX_SUMMARY_MESSAGES = 1000;
/** The longest time window accepted: 30 days. */
const MAX_WINDOW_MS = 30 * 24 * 3600 * 1000;

export interface SummarizeArgs {
  /** A thread to summarize instead of the channel. */
  thread?: { channel: string; ts: string } | undefined;
  /** Most recent messages to include. */
  count: number;
  /** Only messages newer than this many ms. */
  windowMs?: number | undefined;
  /** Post the summary in the channel instead of only to the asker. */
  share: boolean;
}

export type ParsedArgs = { ok: true; args: SummarizeArgs } | { ok: false; help: string };

export const SUMMARIZE_USAGE = [
  "*Usage:* `/summarize [thread link] [count | time window] [share]`",
  "• `/summarize`: the last 200 messages of this channel",
  "• `/summarize 50` or `/summarize 3h` (also `30m`, `2d`): a count or a time window",
  "• `/summarize <link to a thread message>`: that thread (use *Copy link* on any message in it)",
  "• add `share` to post the summary in the channel for everyone; otherwise only you see it",
].join("\n");

export function parseSummarizeArgs(text: string): ParsedArgs {
  const args: SummarizeArgs = { count: DEFAULT_SUMMARY_MESSAGES, share: false };
  let countGiven = false;
  for (const raw of text.trim().split(/\s+/).filter(Boolean)) {
    const token = raw.replace(/^<|>$/g, "").split("|")[0] ?? "";
    const lower = token.toLowerCase();
    if (lower === "help" || lower === "?") return { ok: false, help: SUMMARIZE_USAGE };
    if (lower === "share" || lower === "public") {
      args.share = true;
      continue;
    }
    const link = parseMessageLink(token);
    if (link) {
      args.thread = link;
      continue;
    }
    if (/^\d+$/.test(token)) {
      const n = Number(token);
      if (n < 1 || n > MAX_SUMMARY_MESSAGES) {
        return {
          ok: false,
          help: `I can summarize between 1 and ${MAX_SUMMARY_MESSAGES} messages.\n${SUMMARIZE_USAGE}`,
        };
      }
      args.count = n;
      countGiven = true;
      continue;
    }
    const window = /^(\d+)\s*(m|min|mins|h|hr|hrs|hours?|d|days?)$/i.exec(token);
    if (window) {
      const unit = (window[2] ?? "m").toLowerCase();
      const ms =
        Number(window[1]) * (unit.startsWith("d") ? 86_400_000 : unit.startsWith("h") ? 3_600_000 : 60_000);
      if (ms <= 0 || ms > MAX_WINDOW_MS)
        return { ok: false, help: `The time window can be up to 30 days.\n${SUMMARIZE_USAGE}` };
      args.windowMs = ms;
      // A window alone means "everything in it", up to the maximum.
      if (!countGiven) args.count = MAX_SUMMARY_MESSAGES;
      continue;
    }
    return { ok: false, help: `I didn't understand \`${token.slice(0, 80)}\`.\n${SUMMARIZE_USAGE}` };
  }
  return { ok: true, args };
}

/**
 * A Slack message permalink: https://<team>.slack.com/archives/<channel>/p<ts without dot>
 * with `?thread_ts=<root ts>` when the message is a reply. Returns the thread's root.
 */
export function parseMessageLink(text: string): { channel: string; ts: string } | null {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return null;
  }
  const m = /\/archives\/([A-Z0-9]+)\/p(\d{10})(\d{6})\/?$/.exec(url.pathname);
  if (!m) return null;
  const threadTs = url.searchParams.get("thread_ts");
  const ts = threadTs && /^\d{10}\.\d{6}$/.test(threadTs) ? threadTs : `${m[2]}.${m[3]}`;
  return { channel: m[1] ?? "", ts };
}
