/**
 * Thumbs up / down under a finished Discord answer: two buttons added by the answer's final edit.
 * Their custom ids name the rating, the asker and the question's message (the turn), so any
 * replica can check who clicked without shared state. Only the asker may rate; a second click
 * changes the rating (the chosen button is shown highlighted). A thumbs-down answers with a modal
 * asking for an optional reason; its submission is stored and answered, privately, with thanks
 * and a "Talk to a person" button when hand-offs are set up.
 */
import { type REST, Routes } from "discord.js";
import { turnIdOf } from "../../core/conversation.js";
import type { Feedback, RateOutcome } from "../../core/feedback/feedback.js";
import { MAX_REASON_CHARS, type Rating } from "../../core/feedback/types.js";
import type { HandoffRequests } from "../../core/ports.js";
import { userKeyOf } from "../../core/types.js";
import type { Logger } from "../../log.js";
import { FLAG_EPHEMERAL, NO_MENTIONS } from "./render.js";
import { call } from "./rest.js";
import { CALLBACK } from "./stop-button.js";

const RATE_PREFIX = "chatbot:fb:";
const REASON_PREFIX = "chatbot:fbr:";
const HANDOFF_PREFIX = "chatbot:fbh:";
const REASON_FIELD = "reason";
/** Interaction callback type 9 (docs, "Interaction Response Type"): answer with a modal. */
const CALLBACK_MODAL = 9;

export const NOT_ASKER_TEXT = "Only the person who asked can rate this answer.";
export const TOO_OLD_TEXT = "This answer is too old to rate.";
export const THANKS_DOWN_TEXT = "Thanks for telling us. Sorry this answer did not help.";
const SAVE_FAILED_TEXT = "Sorry, your rating could not be saved. Please try again in a moment.";

/** The custom ids of one answer's buttons: `chatbot:fb:<rating>:<asker>:<question message>`. */
export interface FeedbackIds {
  up: string;
  down: string;
}

export function feedbackIds(userId: string, turnMessageId: string): FeedbackIds {
  return {
    up: `${RATE_PREFIX}up:${userId}:${turnMessageId}`,
    down: `${RATE_PREFIX}down:${userId}:${turnMessageId}`,
  };
}

/** The row of thumbs under an answer; `chosen` is highlighted (green up, red down). */
export function feedbackRow(ids: FeedbackIds, chosen?: Rating): Record<string, unknown> {
  const button = (rating: Rating, emoji: string, label: string) => ({
    type: 2,
    style: chosen === rating ? (rating === "up" ? 3 : 4) : 2,
    custom_id: rating === "up" ? ids.up : ids.down,
    emoji: { name: emoji },
    label,
  });
  return {
    type: 1,
    components: [button("up", "👍", "Helpful"), button("down", "👎", "Not helpful")],
  };
}

function parse(prefix: string, customId: string): { rest: string[] } | null {
  if (!customId.startsWith(prefix)) return null;
  return { rest: customId.slice(prefix.length).split(":") };
}

export interface DiscordFeedbackDeps {
  rest: REST;
  feedback: Feedback;
  handoffs?: HandoffRequests | undefined;
  log: Logger;
}

interface Interaction {
  interactionId: string;
  token: string;
  customId: string;
  userId: string;
}

/** A click on 👍 / 👎 or on "Talk to a person". False when the button is not one of these. */
export async function handleFeedbackButton(click: Interaction, deps: DiscordFeedbackDeps): Promise<boolean> {
  const handoff = parse(HANDOFF_PREFIX, click.customId);
  if (handoff) {
    await handleHandoff(click, handoff.rest, deps);
    return true;
  }
  const parsed = parse(RATE_PREFIX, click.customId);
  if (!parsed) return false;
  const [rating, askerId, turnMessageId] = parsed.rest;
  if ((rating !== "up" && rating !== "down") || !askerId || !turnMessageId) return true;
  const outcome = await rate(deps, { askerId, turnMessageId, clicker: click.userId, rating });
  const callback = Routes.interactionCallback(click.interactionId, click.token);
  const respond = (body: unknown) =>
    call("feedback reply", () => deps.rest.post(callback, { auth: false, body }));
  if (outcome?.kind !== "rated") {
    await respond(
      ephemeral(!outcome ? SAVE_FAILED_TEXT : outcome.kind === "not_asker" ? NOT_ASKER_TEXT : TOO_OLD_TEXT),
    );
  } else if (rating === "down") {
    await respond({
      type: CALLBACK_MODAL,
      data: {
        custom_id: `${REASON_PREFIX}${askerId}:${turnMessageId}`,
        title: "What went wrong?",
        components: [
          {
            type: 18,
            label: "What was wrong or missing? (optional)",
            component: {
              type: 4,
              custom_id: REASON_FIELD,
              style: 2,
              required: false,
              max_length: MAX_REASON_CHARS,
            },
          },
        ],
      },
    });
  } else {
    // The chosen thumb shows highlighted on the answer itself.
    await respond({
      type: CALLBACK.updateMessage,
      data: { components: [feedbackRow(feedbackIds(askerId, turnMessageId), "up")] },
    });
  }
  return true;
}

/** The thumbs-down modal's Send. False when the modal is not ours. */
export async function handleReasonSubmit(
  submit: Interaction & { reason: string },
  deps: DiscordFeedbackDeps,
): Promise<boolean> {
  const parsed = parse(REASON_PREFIX, submit.customId);
  if (!parsed) return false;
  const [askerId, turnMessageId] = parsed.rest;
  if (!askerId || !turnMessageId) return true;
  const outcome = await rate(deps, {
    askerId,
    turnMessageId,
    clicker: submit.userId,
    rating: "down",
    reason: submit.reason,
  });
  const text = !outcome
    ? SAVE_FAILED_TEXT
    : outcome.kind === "rated"
      ? THANKS_DOWN_TEXT
      : outcome.kind === "not_asker"
        ? NOT_ASKER_TEXT
        : TOO_OLD_TEXT;
  const offer = outcome?.kind === "rated" && deps.handoffs;
  await call("feedback reason reply", () =>
    deps.rest.post(Routes.interactionCallback(submit.interactionId, submit.token), {
      auth: false,
      body: {
        ...ephemeral(text),
        ...(offer
          ? {
              data: {
                ...ephemeral(text).data,
                components: [
                  {
                    type: 1,
                    components: [
                      {
                        type: 2,
                        style: 1,
                        label: "Talk to a person",
                        custom_id: `${HANDOFF_PREFIX}${askerId}:${turnMessageId}`,
                      },
                    ],
                  },
                ],
              },
            }
          : {}),
      },
    }),
  );
  return true;
}

async function handleHandoff(click: Interaction, rest: string[], deps: DiscordFeedbackDeps): Promise<void> {
  const [askerId, turnMessageId] = rest;
  const callback = Routes.interactionCallback(click.interactionId, click.token);
  const respond = (body: unknown) =>
    call("feedback handoff reply", () => deps.rest.post(callback, { auth: false, body }));
  if (!askerId || !turnMessageId || askerId !== click.userId || !deps.handoffs) {
    await respond(ephemeral("Only the person who asked can do this."));
    return;
  }
  const record = await deps.feedback.find(
    userKeyOf({ platform: "discord", userId: askerId }),
    turnIdOf("discord", turnMessageId),
  );
  if (!record) {
    await respond(ephemeral(TOO_OLD_TEXT));
    return;
  }
  // The offer is replaced by what happens next (the hand-off tells the customer itself).
  await respond({
    type: CALLBACK.updateMessage,
    data: { content: "Asking a person to take over…", components: [] },
  });
  await deps.handoffs.request({
    conversation: record.conversation,
    userId: askerId,
    reason: record.reason ? `answer was not helpful: ${record.reason}` : "answer was not helpful",
    trigger: "button",
  });
}

async function rate(
  deps: DiscordFeedbackDeps,
  r: { askerId: string; turnMessageId: string; clicker: string; rating: Rating; reason?: string },
): Promise<RateOutcome | null> {
  try {
    return await deps.feedback.rate({
      platform: "discord",
      turnId: turnIdOf("discord", r.turnMessageId),
      askerKey: userKeyOf({ platform: "discord", userId: r.askerId }),
      clickerKey: userKeyOf({ platform: "discord", userId: r.clicker }),
      rating: r.rating,
      ...(r.reason !== undefined ? { reason: r.reason } : {}),
    });
  } catch (err) {
    deps.log.error({ err }, "could not store feedback");
    return null;
  }
}

function ephemeral(content: string): { type: number; data: Record<string, unknown> } {
  return {
    type: CALLBACK.channelMessage,
    data: { content, flags: FLAG_EPHEMERAL, allowed_mentions: NO_MENTIONS },
  };
}
