/**
 * Finalizing the Discord message of an answer whose process died mid-stream (the core finds such
 * turns; see core/orphans.ts). The answer is one of the bot's messages after the user's message,
 * in the thread opened from it (thread mode: the thread has the message's id) or in the channel
 * (inline mode, DMs); its Stop button names the turn's message. It keeps its text, loses the
 * button, and ends with a short notice.
 */
import { Routes } from "discord.js";
import { PlatformError } from "../../core/errors.js";
import type { OrphanedTurn } from "../../core/orphans.js";
import { DISCORD_MAX_CONTENT_CHARS, NO_MENTIONS } from "./render.js";
import { call } from "./rest.js";
import type { DiscordRest } from "./sink.js";
import { parseStopCustomId } from "./stop-button.js";

/** Messages looked at after the user's message, per channel (Discord's page maximum). */
const PAGE_SIZE = 100;
/** Rate-limit waits honoured while finalizing (it runs in the background). */
const MAX_ATTEMPTS = 4;

interface ApiMessage {
  id: string;
  content?: string;
  author?: { id: string };
  components?: { components?: { custom_id?: string }[] }[];
}

export async function finalizeOrphan(
  orphan: OrphanedTurn,
  deps: { rest: DiscordRest; botId: string; notice: string },
): Promise<number> {
  // The thread opened from the message shares its id; inline answers and DMs are in the channel.
  const channels = [...new Set([orphan.threadId, orphan.channelId])];
  let finalized = 0;
  for (const channel of channels) {
    let messages: ApiMessage[];
    try {
      messages = await patiently(() =>
        call<ApiMessage[]>("orphan lookup", () =>
          deps.rest.get(Routes.channelMessages(channel), {
            query: new URLSearchParams({ after: orphan.messageId, limit: String(PAGE_SIZE) }),
          }),
        ),
      );
    } catch (err) {
      // Inline mode: the thread id is a message id, not a channel (Unknown Channel).
      if (channel !== orphan.channelId) continue;
      throw err;
    }
    for (const m of messages) {
      if (m.author?.id !== deps.botId || !hasStopFor(m, orphan.messageId)) continue;
      const kept = (m.content ?? "").trimEnd();
      const room = DISCORD_MAX_CONTENT_CHARS - deps.notice.length - 2;
      const content = `${kept.length > room ? kept.slice(0, room) : kept}\n\n${deps.notice}`.trimStart();
      await patiently(() =>
        call("orphan finalize", () =>
          deps.rest.patch(Routes.channelMessage(channel, m.id), {
            body: { content, components: [], allowed_mentions: NO_MENTIONS },
          }),
        ),
      );
      finalized++;
    }
  }
  return finalized;
}

function hasStopFor(message: ApiMessage, turnMessageId: string): boolean {
  return (message.components ?? []).some((row) =>
    (row.components ?? []).some(
      (c) => c.custom_id && parseStopCustomId(c.custom_id)?.turnMessageId === turnMessageId,
    ),
  );
}

async function patiently<T>(fn: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (!(err instanceof PlatformError) || err.retryAfterMs === undefined || attempt >= MAX_ATTEMPTS)
        throw err;
      await new Promise((r) => setTimeout(r, err.retryAfterMs));
    }
  }
}
