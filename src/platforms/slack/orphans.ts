/**
 * Finalizing the Slack message of an answer whose process died mid-stream (the core finds such
 * turns; see core/orphans.ts). The message is found among the bot's replies after the user's
 * message: an edited answer by its Stop button (which names the turn), a native stream by still
 * being open. It keeps its text and loses the Stop button, and a short notice says what happened.
 */
import { PlatformError } from "../../core/errors.js";
import type { OrphanedTurn } from "../../core/orphans.js";
import type { SlackApi } from "./api.js";
import { DM_MAIN_THREAD } from "./events.js";
import { renderMessage, type SlackBlock, STOP_ACTION_ID } from "./render.js";

/** How long finalizing may wait out rate limits (it runs in the background). */
const MAX_WAIT_MS = 30_000;
/** Bot replies looked at after the user's message. */
const PAGE_SIZE = 100;

interface ThreadMessage {
  ts: string;
  bot_id?: string;
  blocks?: SlackBlock[];
}

export async function finalizeOrphan(
  orphan: OrphanedTurn,
  deps: { api: SlackApi; botId: string | undefined; notice: string },
): Promise<void> {
  const { api } = deps;
  // Messages posted after this moment belong to a newer turn of the same thread, not to the dead one.
  const startedAt = Date.now();
  const page = await api.callPatiently<{ messages?: ThreadMessage[] }>(
    orphan.threadId === DM_MAIN_THREAD ? "conversations.history" : "conversations.replies",
    {
      channel: orphan.channelId,
      ...(orphan.threadId === DM_MAIN_THREAD ? {} : { ts: orphan.threadId }),
      oldest: orphan.messageId,
      limit: PAGE_SIZE,
    },
    { maxWaitMs: MAX_WAIT_MS },
  );
  const replies = (page.messages ?? []).filter(
    (m) =>
      m.bot_id !== undefined &&
      m.bot_id === deps.botId &&
      Number(m.ts) > Number(orphan.messageId) &&
      Number(m.ts) * 1000 < startedAt,
  );
  let finalized = 0;
  for (const m of replies) {
    if (!stopButtonOf(m.blocks ?? [], orphan.turnId)) continue;
    // Keep what the user saw; drop the Stop button; add the notice.
    const kept = (m.blocks ?? []).filter((b) => b.type !== "actions");
    const notice = renderMessage(deps.notice).blocks;
    await api.callPatiently(
      "chat.update",
      { channel: orphan.channelId, ts: m.ts, text: deps.notice, blocks: [...kept, ...notice] },
      { maxWaitMs: MAX_WAIT_MS },
    );
    finalized++;
  }
  if (finalized > 0 || replies.length === 0) return;
  // No Stop button: a native stream. If it is still open, close it with the notice.
  const last = replies[replies.length - 1];
  if (!last) return;
  try {
    await api.callPatiently(
      "chat.stopStream",
      { channel: orphan.channelId, ts: last.ts, markdown_text: `\n\n${deps.notice}` },
      { maxWaitMs: MAX_WAIT_MS },
    );
  } catch (err) {
    // Already finished, or expired (Slack closes streams itself after about 5 minutes).
    if (!(err instanceof PlatformError) || err.code !== "message_not_in_streaming_state") throw err;
  }
}

function stopButtonOf(blocks: SlackBlock[], turnId: string): boolean {
  for (const block of blocks) {
    if (block.type !== "actions") continue;
    for (const el of (block.elements ?? []) as { action_id?: string; value?: string }[]) {
      if (el.action_id !== STOP_ACTION_ID || !el.value) continue;
      try {
        if ((JSON.parse(el.value) as { t?: string }).t === turnId) return true;
      } catch {
        // Not our value format: not our button.
      }
    }
  }
  return false;
}
