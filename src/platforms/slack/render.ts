/**
 * Message payloads: an answer's markdown rendered to mrkdwn section blocks, plus the buttons the
 * message carries (Stop while it streams, Share on a private summary). Slack caps a section's
 * text at 3000 characters, so longer text is spread over several sections, split between lines
 * and with code fences closed and reopened across the cut.
 */
import { markdownToMrkdwn } from "./mrkdwn.js";

/** Slack: "Maximum length for the text in this field is 3000 characters" (section block). */
export const SECTION_MAX_CHARS = 3000;
/** The top-level `text` is only the notification/fallback line when blocks are present. */
const FALLBACK_TEXT_CHARS = 300;
/** Shown while a message has no text yet (a section may not be empty). */
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

/** Payload for chat.postMessage / chat.update / postEphemeral / response_url. */
export function renderMessage(markdown: string, buttons: ButtonSpec[] = []): MessagePayload {
  const mrkdwn = markdownToMrkdwn(markdown).trim();
  const sections = splitSections(mrkdwn === "" ? EMPTY_TEXT : mrkdwn, SECTION_MAX_CHARS);
  const blocks: SlackBlock[] = sections.map((text) => ({ type: "section", text: { type: "mrkdwn", text } }));
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
  return { text: fallbackText(mrkdwn), blocks };
}

/** Plain mrkdwn without blocks (notices, ephemeral one-liners). */
export function renderText(markdown: string): string {
  return markdownToMrkdwn(markdown).trim() || EMPTY_TEXT;
}

function fallbackText(mrkdwn: string): string {
  if (mrkdwn === "") return EMPTY_TEXT;
  if (mrkdwn.length <= FALLBACK_TEXT_CHARS) return mrkdwn;
  // Cut at a word and never inside an escape like &amp;.
  const cut = mrkdwn
    .slice(0, FALLBACK_TEXT_CHARS)
    .replace(/\s+\S*$/, "")
    .replace(/&[a-z]*$/, "");
  return `${cut}…`;
}

/** Split mrkdwn into pieces of at most `max` characters, between lines where possible. */
export function splitSections(mrkdwn: string, max: number): string[] {
  const FENCE = "```";
  const pieces: string[] = [];
  let current = "";
  let inFence = false;
  const flush = () => {
    if (current === "") return;
    pieces.push(inFence ? `${current}\n${FENCE}` : current);
    current = inFence ? `${FENCE}\n` : "";
  };
  // Room for the closing fence a cut inside a code block needs.
  const room = max - FENCE.length - 1;
  for (const rawLine of mrkdwn.split("\n")) {
    let line = rawLine;
    const candidate = current === "" || current === `${FENCE}\n` ? current + line : `${current}\n${line}`;
    const isFence = /^\s*```/.test(rawLine);
    if (candidate.length <= room) {
      current = candidate;
    } else if (inFence && isFence && rawLine.trim() === FENCE) {
      // The closing fence itself overflowed: the cut closes the block anyway.
      flush();
      current = "";
      inFence = false;
      continue;
    } else {
      flush();
      // A single line longer than a section: hard cut, not inside an &escape;.
      while ((current + line).length > room) {
        let take = room - current.length;
        const amp = line.lastIndexOf("&", take);
        if (amp > take - 6 && amp > 0) take = amp;
        pieces.push(inFence ? `${current}${line.slice(0, take)}\n${FENCE}` : current + line.slice(0, take));
        line = line.slice(take);
        current = inFence ? `${FENCE}\n` : "";
      }
      current += line;
    }
    if (isFence && countFences(rawLine) % 2 === 1) inFence = !inFence;
  }
  if (current !== "" && current !== `${FENCE}\n`) pieces.push(current);
  return pieces.length > 0 ? pieces : [EMPTY_TEXT];
}

function countFences(line: string): number {
  return (line.match(/```/g) ?? []).length;
}
