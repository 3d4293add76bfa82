/**
 * The Stop button on a streaming answer. Its custom id names the asker and the turn, so any
 * replica that receives the click (the one running the turn: clicks arrive on the same shard
 * as the message) can check who clicked and cancel the right turn without shared state.
 */
import { type REST, Routes } from "discord.js";
import { type Conversation, turnIdOf } from "../../core/conversation.js";
import type { Logger } from "../../log.js";
import { FLAG_EPHEMERAL, NO_MENTIONS } from "./render.js";
import { call } from "./rest.js";

const PREFIX = "chatbot:stop:";

/** Interaction callback types (docs, "Interaction Response Type"). */
export const CALLBACK = {
  channelMessage: 4,
  deferredChannelMessage: 5,
  deferredUpdateMessage: 6,
  updateMessage: 7,
} as const;

export function stopCustomId(userId: string, turnMessageId: string): string {
  return `${PREFIX}${userId}:${turnMessageId}`;
}

export function parseStopCustomId(customId: string): { userId: string; turnMessageId: string } | null {
  if (!customId.startsWith(PREFIX)) return null;
  const [userId, turnMessageId] = customId.slice(PREFIX.length).split(":");
  return userId && turnMessageId ? { userId, turnMessageId } : null;
}

export interface ButtonClick {
  interactionId: string;
  token: string;
  customId: string;
  userId: string;
}

/**
 * Handle a click: only the asker may stop an answer. A running turn is cancelled and the click
 * acknowledged silently (the core's final edit removes the button); a button whose turn is no
 * longer running here (finished, or its process restarted) is removed on the spot.
 */
export async function handleStopClick(
  click: ButtonClick,
  deps: { rest: REST; conversation: Conversation; log: Logger },
): Promise<boolean> {
  const parsed = parseStopCustomId(click.customId);
  if (!parsed) return false;
  const callback = Routes.interactionCallback(click.interactionId, click.token);
  if (parsed.userId !== click.userId) {
    await call("stop refused", () =>
      deps.rest.post(callback, {
        auth: false,
        body: {
          type: CALLBACK.channelMessage,
          data: {
            content: "Only the person who asked can stop this answer.",
            flags: FLAG_EPHEMERAL,
            allowed_mentions: NO_MENTIONS,
          },
        },
      }),
    );
    return true;
  }
  const cancelled = deps.conversation.cancel(turnIdOf("discord", parsed.turnMessageId));
  deps.log.info({ turnMessageId: parsed.turnMessageId, cancelled }, "stop button clicked");
  await call("stop ack", () =>
    deps.rest.post(callback, {
      auth: false,
      body: cancelled
        ? { type: CALLBACK.deferredUpdateMessage }
        : { type: CALLBACK.updateMessage, data: { components: [] } },
    }),
  );
  return true;
}
