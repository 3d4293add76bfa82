/**
 * How an answer looks on Discord: the message body for a text and state (content, the Stop
 * button while streaming, no pings, no link previews) and the sink limits Discord imposes.
 * Discord renders the markdown models write (bold, lists, code fences, headings, masked links),
 * so text passes through unchanged.
 */
import type { MessageState, SinkLimits } from "../../core/ports.js";

/** Discord's content limit for a bot message (docs, "Create Message": 2000 characters). */
export const DISCORD_MAX_CONTENT_CHARS = 2000;
/**
 * What we hand the core as the limit: below 2000 so the few characters we may add (the
 * placeholder for an empty frame) and Discord counting some emoji sequences as more than we do
 * never push a part over the limit.
 */
export const DISCORD_MAX_CHARS = DISCORD_MAX_CONTENT_CHARS - 50;
/** Edits per channel Discord allows: 5 per 5 seconds (the X-RateLimit headers of PATCH message). */
export const DISCORD_CHANNEL_EDITS = 5;
const DISCORD_EDIT_BUCKET_MS = 5000;
/**
 * Our window is longer than Discord's by a round trip plus discord.js' 50 ms reset offset:
 * discord.js learns a bucket's reset from the last response (arriving half a round trip late)
 * and adds 50 ms; an edit granted before that is bounced by its own pre-check and costs the
 * answer a slot. 300 ms covers round trips up to 250 ms.
 */
const EDIT_WINDOW_MARGIN_MS = 300;
export const DISCORD_EDIT_WINDOW_MS = DISCORD_EDIT_BUCKET_MS + EDIT_WINDOW_MARGIN_MS;
/** One message alone may be edited about once a second (the bucket's average rate). */
export const DISCORD_MIN_EDIT_INTERVAL_MS = 1000;

/** Shown while the model has produced nothing yet (Discord refuses empty messages). */
const EMPTY_FRAME = "…";

/** Message flags (docs, "Message Flags"). */
export const FLAG_SUPPRESS_EMBEDS = 1 << 2;
export const FLAG_EPHEMERAL = 1 << 6;

/** Allowed mentions for all model text: nobody is pinged, not even the user we reply to. */
export const NO_MENTIONS = { parse: [] as string[], replied_user: false } as const;

export interface EditBudgetShape {
  edits: number;
  windowMs: number;
  minEditIntervalMs: number;
}

export const DISCORD_EDIT_BUDGET: EditBudgetShape = {
  edits: DISCORD_CHANNEL_EDITS,
  windowMs: DISCORD_EDIT_WINDOW_MS,
  minEditIntervalMs: DISCORD_MIN_EDIT_INTERVAL_MS,
};

/** Limits for messages in one Discord channel (or thread: threads are channels with their own buckets). */
export function discordLimits(scope: string, budget: EditBudgetShape = DISCORD_EDIT_BUDGET): SinkLimits {
  return {
    maxChars: DISCORD_MAX_CHARS,
    scope: `discord:${scope}`,
    scopeEdits: budget.edits,
    windowMs: budget.windowMs,
    minEditIntervalMs: budget.minEditIntervalMs,
  };
}

export interface MessageBody {
  content: string;
  allowed_mentions: typeof NO_MENTIONS;
  components: unknown[];
  flags?: number;
}

/**
 * The body of a post or edit. `stopId` is the Stop button's custom id, shown only while the
 * message is still streaming; a final state removes it (components: []).
 */
export function messageBody(
  text: string,
  state: MessageState,
  stopId: string | null,
  /** A final row (an answer's feedback buttons). */
  finalRow?: Record<string, unknown>,
): MessageBody {
  return {
    content: fitContent(text),
    allowed_mentions: NO_MENTIONS,
    components: state === "streaming" && stopId ? [stopRow(stopId)] : finalRow ? [finalRow] : [],
    flags: FLAG_SUPPRESS_EMBEDS,
  };
}

/** Plain text for notices (throttled, busy): same safety, no button. */
export function noticeBody(text: string): MessageBody {
  return {
    content: fitContent(text),
    allowed_mentions: NO_MENTIONS,
    components: [],
    flags: FLAG_SUPPRESS_EMBEDS,
  };
}

function fitContent(text: string): string {
  if (text.trim() === "") return EMPTY_FRAME;
  // The core splits at DISCORD_MAX_CHARS; this only guards against a caller that did not.
  if (text.length <= DISCORD_MAX_CONTENT_CHARS) return text;
  return `${text.slice(0, DISCORD_MAX_CONTENT_CHARS - 1)}…`;
}

function stopRow(customId: string): Record<string, unknown> {
  return {
    type: 1,
    components: [{ type: 2, style: 4, label: "Stop", custom_id: customId, emoji: { name: "⏹️" } }],
  };
}
