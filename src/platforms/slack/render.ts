/**
 * Message payloads. An answer's markdown goes to Slack as it is, in a `markdown` block: Slack
 * renders standard markdown there itself (the block made for AI apps), as it does in native
 * streams. Only surfaces that take mrkdwn and nothing else get a conversion, by
 * slackify-markdown: the top-level `text` (notification and fallback line) and notices
 * (ephemeral one-liners). Pings are made inert later, on the final strings (outgoing.ts).
 */
import slackifyMarkdown from "slackify-markdown";
import { splitMarkdown } from "../../core/split.js";

/**
 * Slack: "The cumulative limit for all markdown blocks in a single payload is 12,000
 * characters" (markdown block reference). SLACK_MAX_MESSAGE_CHARS (at most 10,000) keeps an
 * answer's part well inside it.
 */
export const MARKDOWN_BLOCK_MAX_CHARS = 12_000;
/** The top-level `text` is only the notification/fallback line when blocks are present. */
const FALLBACK_TEXT_CHARS = 300;
/** Shown while a message has no text yet (a markdown block may not be empty). */
const EMPTY_TEXT = "…";

export const STOP_ACTION_ID = "stop_answer";
export const SHARE_ACTION_ID = "share_summary";

export type SlackBlock = Record<string, unknown>;

export interface MessagePayload {
  text: string;
  blocks: SlackBlock[];
}

export interface ButtonSpec {
  actionId: string;
  label: string;
  value: string;
  style?: "primary" | "danger";
}

/**
 * Payload for chat.postMessage / chat.update / postEphemeral / response_url. `markdown` must fit
 * one markdown block (callers split longer text with `splitForMessages`); a longer one is cut
 * rather than refused by Slack.
 */
export function renderMessage(
  markdown: string,
  buttons: ButtonSpec[] = [],
  fallback: FallbackText = new FallbackText(),
  /** Blocks after the text and buttons (an answer's feedback buttons). */
  extra: SlackBlock[] = [],
): MessagePayload {
  let text = markdown.trim() || EMPTY_TEXT;
  if (text.length > MARKDOWN_BLOCK_MAX_CHARS) text = `${text.slice(0, MARKDOWN_BLOCK_MAX_CHARS - 1)}…`;
  const blocks: SlackBlock[] = [{ type: "markdown", text }];
  if (buttons.length > 0) {
    blocks.push({
      type: "actions",
      block_id: "answer_controls",
      elements: buttons.map((b) => ({
        type: "button",
        action_id: b.actionId,
        text: { type: "plain_text", text: b.label },
        value: b.value,
        ...(b.style ? { style: b.style } : {}),
      })),
    });
  }
  blocks.push(...extra);
  return { text: fallback.of(markdown), blocks };
}

/** Markdown longer than one message, in parts that each fit one (code fences closed and reopened). */
export function splitForMessages(markdown: string): string[] {
  return splitMarkdown(markdown, MARKDOWN_BLOCK_MAX_CHARS);
}

/** Plain mrkdwn without blocks (notices, ephemeral one-liners). */
export function renderText(markdown: string): string {
  return toMrkdwn(markdown) || EMPTY_TEXT;
}

/**
 * The notification line: the start of the answer in mrkdwn. Only the first stretch is converted,
 * and slackify-markdown closes what the cut left open. Converting is not cheap (a markdown
 * parse, ~100x our old regexes), and a growing answer is rendered again on every edit, so a
 * message keeps one of these: it converts again only while the start still changes.
 */
export class FallbackText {
  private source: string | undefined;
  private text = EMPTY_TEXT;

  of(markdown: string): string {
    const source = markdown.slice(0, FALLBACK_TEXT_CHARS * 2);
    if (source !== this.source) {
      this.source = source;
      this.text = shorten(toMrkdwn(source));
    }
    return this.text;
  }
}

function shorten(mrkdwn: string): string {
  if (mrkdwn === "") return EMPTY_TEXT;
  if (mrkdwn.length <= FALLBACK_TEXT_CHARS) return mrkdwn;
  // Cut at a word and never inside an escape like &amp;.
  const cut = mrkdwn
    .slice(0, FALLBACK_TEXT_CHARS)
    .replace(/\s+\S*$/, "")
    .replace(/&[a-z]*$/, "");
  return `${cut}…`;
}

function toMrkdwn(markdown: string): string {
  return slackifyMarkdown(markdown).trim();
}
