/**
 * Thumbs up / down under a finished answer, in Slack's own feedback buttons block
 * (`context_actions` with a `feedback_buttons` element). Each button's value names the rating,
 * the turn and the person who asked; only that person may rate, and a second click changes the
 * rating. A thumbs-down opens a modal for an optional reason (views.open with the click's
 * trigger_id, answered by `view_submission`) and offers "Talk to a person" in an ephemeral
 * message when hand-offs are set up.
 */
import type { App, Context } from "@slack/bolt";
import { PlatformError } from "../../core/errors.js";
import type { Feedback, RateOutcome } from "../../core/feedback/feedback.js";
import { MAX_REASON_CHARS, type Rating } from "../../core/feedback/types.js";
import type { HandoffRequests } from "../../core/ports.js";
import { userKeyOf } from "../../core/types.js";
import type { Logger } from "../../log.js";
import type { SlackApi } from "./api.js";
import type { SlackBlock } from "./render.js";

export const FEEDBACK_ACTION_ID = "answer_feedback";
export const FEEDBACK_HANDOFF_ACTION_ID = "feedback_handoff";
export const FEEDBACK_REASON_CALLBACK_ID = "feedback_reason";
const REASON_BLOCK_ID = "reason";
const REASON_ACTION_ID = "reason_input";

export const NOT_ASKER_TEXT = "Only the person who asked can rate this answer.";
export const TOO_OLD_TEXT = "This answer is too old to rate.";
export const THANKS_DOWN_TEXT = "Thanks for telling us. Sorry this answer did not help.";

/** Which answer a button is about: turn id, the asker's user id and `userScope`. */
interface FeedbackRef {
  t: string;
  u: string;
  s?: string | undefined;
}

export function feedbackBlock(ref: {
  turnId: string;
  userId: string;
  userScope?: string | undefined;
}): SlackBlock {
  const value = (r: Rating) =>
    JSON.stringify({ r, t: ref.turnId, u: ref.userId, ...(ref.userScope ? { s: ref.userScope } : {}) });
  return {
    type: "context_actions",
    elements: [
      {
        type: "feedback_buttons",
        action_id: FEEDBACK_ACTION_ID,
        positive_button: {
          text: { type: "plain_text", text: "👍" },
          accessibility_label: "This answer helped",
          value: value("up"),
        },
        negative_button: {
          text: { type: "plain_text", text: "👎" },
          accessibility_label: "This answer did not help",
          value: value("down"),
        },
      },
    ],
  };
}

function parseRef(raw: string): (FeedbackRef & { r?: unknown }) | null {
  try {
    const v = JSON.parse(raw) as { r?: unknown; t?: unknown; u?: unknown; s?: unknown };
    if (typeof v.t !== "string" || typeof v.u !== "string") return null;
    return { r: v.r, t: v.t, u: v.u, ...(typeof v.s === "string" ? { s: v.s } : {}) };
  } catch {
    return null;
  }
}

const keyOf = (userId: string, userScope: string | undefined) =>
  userKeyOf({ platform: "slack", userScope, userId });

export interface SlackFeedbackDeps {
  /** The Web API of the workspace the click came from. */
  api: SlackApi;
  feedback: Feedback;
  handoffs?: HandoffRequests | undefined;
  log: Logger;
}

/** What the listeners need: the per-workspace Web API is found for each click (OAuth installs). */
export interface SlackFeedbackListenerDeps<W extends { api: SlackApi }>
  extends Omit<SlackFeedbackDeps, "api"> {
  workspaceOf(context: Context): Promise<W | null>;
  /** Runs a handler's work after the acks (the adapter's `track` for clicks). */
  run(ws: W, work: () => Promise<unknown>): void;
}

export function registerFeedbackListeners<W extends { api: SlackApi }>(
  app: App,
  listener: SlackFeedbackListenerDeps<W>,
): void {
  const withDeps = async (context: Context, work: (deps: SlackFeedbackDeps) => Promise<unknown>) => {
    const ws = await listener.workspaceOf(context);
    if (ws) listener.run(ws, () => work({ ...listener, api: ws.api }));
  };
  app.action(FEEDBACK_ACTION_ID, async ({ ack, body, action, context }) => {
    await ack();
    const value = "value" in action && typeof action.value === "string" ? action.value : "";
    const channel = "channel" in body ? body.channel?.id : undefined;
    const container = "container" in body ? (body.container as { thread_ts?: unknown }) : undefined;
    const click = {
      value,
      clicker: body.user.id,
      channel,
      threadTs: typeof container?.thread_ts === "string" ? container.thread_ts : undefined,
      triggerId: "trigger_id" in body && typeof body.trigger_id === "string" ? body.trigger_id : undefined,
    };
    await withDeps(context, (deps) => handleFeedbackClick(click, deps));
  });
  app.view(FEEDBACK_REASON_CALLBACK_ID, async ({ ack, body, view, context }) => {
    await ack();
    const raw = view.state.values[REASON_BLOCK_ID]?.[REASON_ACTION_ID]?.value;
    const submission = { metadata: view.private_metadata, clicker: body.user.id, reason: raw ?? "" };
    await withDeps(context, (deps) => handleReasonSubmission(submission, deps));
  });
  app.action(FEEDBACK_HANDOFF_ACTION_ID, async ({ ack, body, action, context }) => {
    await ack();
    const value = "value" in action && typeof action.value === "string" ? action.value : "";
    const responseUrl =
      "response_url" in body && typeof body.response_url === "string" ? body.response_url : undefined;
    await withDeps(context, (deps) =>
      handleHandoffClick({ value, clicker: body.user.id, responseUrl }, deps),
    );
  });
}

export async function handleFeedbackClick(
  click: {
    value: string;
    clicker: string;
    channel: string | undefined;
    threadTs: string | undefined;
    triggerId: string | undefined;
  },
  deps: SlackFeedbackDeps,
): Promise<void> {
  const ref = parseRef(click.value);
  if (!ref || (ref.r !== "up" && ref.r !== "down")) {
    deps.log.info("feedback click with a value that is not ours");
    return;
  }
  const rating: Rating = ref.r;
  let outcome: RateOutcome;
  try {
    outcome = await deps.feedback.rate({
      platform: "slack",
      turnId: ref.t,
      askerKey: keyOf(ref.u, ref.s),
      clickerKey: keyOf(click.clicker, ref.s),
      rating,
    });
  } catch (err) {
    deps.log.error({ err }, "could not store feedback");
    await tell(deps, click, "Sorry, your rating could not be saved. Please try again in a moment.");
    return;
  }
  if (outcome.kind === "not_asker") await tell(deps, click, NOT_ASKER_TEXT);
  else if (outcome.kind === "unknown") await tell(deps, click, TOO_OLD_TEXT);
  else if (rating === "down") {
    // The click's trigger_id is good for 3 seconds: the modal goes first, the offer after it.
    if (click.triggerId) await openReasonModal(click.triggerId, ref, deps);
    if (outcome.changed)
      await tell(deps, click, THANKS_DOWN_TEXT, deps.handoffs ? handoffButton(ref) : undefined);
  }
}

async function openReasonModal(triggerId: string, ref: FeedbackRef, deps: SlackFeedbackDeps): Promise<void> {
  const metadata: FeedbackRef = { t: ref.t, u: ref.u, ...(ref.s ? { s: ref.s } : {}) };
  try {
    await deps.api.call("views.open", {
      trigger_id: triggerId,
      view: {
        type: "modal",
        callback_id: FEEDBACK_REASON_CALLBACK_ID,
        private_metadata: JSON.stringify(metadata),
        title: { type: "plain_text", text: "What went wrong?" },
        submit: { type: "plain_text", text: "Send" },
        close: { type: "plain_text", text: "Skip" },
        blocks: [
          {
            type: "input",
            block_id: REASON_BLOCK_ID,
            optional: true,
            label: { type: "plain_text", text: "What was wrong or missing? (optional)" },
            element: {
              type: "plain_text_input",
              action_id: REASON_ACTION_ID,
              multiline: true,
              max_length: MAX_REASON_CHARS,
            },
          },
        ],
      },
    });
  } catch (err) {
    // The rating still counts; only the reason cannot be asked for.
    deps.log.warn(
      { code: err instanceof PlatformError ? err.code : undefined },
      "could not open the feedback modal",
    );
  }
}

export async function handleReasonSubmission(
  submission: { metadata: string; clicker: string; reason: string },
  deps: SlackFeedbackDeps,
): Promise<void> {
  const ref = parseRef(submission.metadata);
  if (!ref) return;
  const outcome = await deps.feedback
    .rate({
      platform: "slack",
      turnId: ref.t,
      askerKey: keyOf(ref.u, ref.s),
      clickerKey: keyOf(submission.clicker, ref.s),
      rating: "down",
      reason: submission.reason,
    })
    .catch((err: unknown) => {
      deps.log.error({ err }, "could not store the feedback reason");
      return null;
    });
  if (outcome && outcome.kind !== "rated")
    deps.log.info({ outcome: outcome.kind }, "feedback reason not stored");
}

export async function handleHandoffClick(
  click: { value: string; clicker: string; responseUrl: string | undefined },
  deps: SlackFeedbackDeps,
): Promise<void> {
  const ref = parseRef(click.value);
  if (!ref || ref.u !== click.clicker || !deps.handoffs) return;
  const record = await deps.feedback.find(keyOf(ref.u, ref.s), ref.t);
  if (!record) {
    deps.log.info({ turnId: ref.t }, "talk to a person: the rated answer is no longer kept");
    return;
  }
  if (click.responseUrl)
    await deps.api.respond(click.responseUrl, { delete_original: true }, { timeoutMs: 5000 });
  await deps.handoffs.request({
    conversation: record.conversation,
    userId: ref.u,
    userScope: ref.s,
    reason: record.reason ? `answer was not helpful: ${record.reason}` : "answer was not helpful",
    trigger: "button",
  });
}

function handoffButton(ref: FeedbackRef): SlackBlock {
  return {
    type: "actions",
    block_id: "feedback_followup",
    elements: [
      {
        type: "button",
        action_id: FEEDBACK_HANDOFF_ACTION_ID,
        text: { type: "plain_text", text: "Talk to a person" },
        value: JSON.stringify({ t: ref.t, u: ref.u, ...(ref.s ? { s: ref.s } : {}) }),
      },
    ],
  };
}

/** A short message only the clicker sees, in the answer's thread. */
async function tell(
  deps: SlackFeedbackDeps,
  click: { clicker: string; channel: string | undefined; threadTs: string | undefined },
  text: string,
  extra?: SlackBlock,
): Promise<void> {
  if (!click.channel) return;
  await deps.api
    .call("chat.postEphemeral", {
      channel: click.channel,
      user: click.clicker,
      text,
      ...(click.threadTs ? { thread_ts: click.threadTs } : {}),
      ...(extra ? { blocks: [{ type: "section", text: { type: "mrkdwn", text } }, extra] } : {}),
    })
    .catch((err: unknown) =>
      deps.log.info({ code: err instanceof PlatformError ? err.code : undefined }, "feedback reply failed"),
    );
}
