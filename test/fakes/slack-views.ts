/**
 * Modals in the fake Slack: `views.open` with a click's trigger_id (each usable once, as in
 * Slack), and the `view_submission` payload a user's Send produces.
 */
import { randomUUID } from "node:crypto";
import type { ApiArgs } from "./slack-methods.js";

/** Slack: a modal's title is plain_text of at most 24 characters; at most 100 blocks. */
const TITLE_MAX = 24;
const BLOCKS_MAX = 100;

export interface FakeView {
  id: string;
  triggerId: string;
  view: Record<string, unknown>;
  at: number;
}

export interface FakeViews {
  readonly opened: FakeView[];
  readonly usedTriggers: Set<string>;
}

export function newFakeViews(): FakeViews {
  return { opened: [], usedTriggers: new Set() };
}

type Result = Record<string, unknown> & { ok: boolean };

export function openView(views: FakeViews, args: ApiArgs): Result {
  const trigger = args.trigger_id;
  if (typeof trigger !== "string" || !trigger.startsWith("trigger-"))
    return { ok: false, error: "invalid_trigger_id" };
  if (views.usedTriggers.has(trigger)) return { ok: false, error: "exchanged_trigger_id" };
  const view = args.view as Record<string, unknown> | undefined;
  const title = (view?.title as { type?: string; text?: string } | undefined) ?? {};
  const blocks = view?.blocks;
  if (
    view?.type !== "modal" ||
    title.type !== "plain_text" ||
    !title.text ||
    title.text.length > TITLE_MAX ||
    !Array.isArray(blocks) ||
    blocks.length > BLOCKS_MAX
  ) {
    return { ok: false, error: "invalid_arguments" };
  }
  views.usedTriggers.add(trigger);
  const id = `V${randomUUID().slice(0, 8).toUpperCase()}`;
  views.opened.push({ id, triggerId: trigger, view, at: Date.now() });
  return { ok: true, view: { id, ...view } };
}

/** The payload Slack sends when `user` submits an opened modal with `values` (block -> action -> value). */
export function viewSubmission(opts: {
  view: FakeView;
  user: string;
  teamId: string;
  values: Record<string, Record<string, string>>;
}): Record<string, unknown> {
  const state: Record<string, Record<string, { type: string; value: string }>> = {};
  for (const [block, actions] of Object.entries(opts.values)) {
    state[block] = {};
    for (const [action, value] of Object.entries(actions)) {
      state[block]![action] = { type: "plain_text_input", value };
    }
  }
  return {
    type: "view_submission",
    team: { id: opts.teamId, domain: "fake" },
    user: { id: opts.user, username: opts.user, team_id: opts.teamId },
    api_app_id: "A0FAKE",
    token: "verification-token-unused",
    trigger_id: `trigger-${randomUUID()}`,
    view: {
      ...opts.view.view,
      id: opts.view.id,
      team_id: opts.teamId,
      state: { values: state },
      hash: "1",
    },
  };
}

/** A click on one of Slack's feedback buttons (`feedback_buttons` in a `context_actions` block). */
export function feedbackButtonClick(opts: {
  responseUrl: string;
  teamId: string;
  channel: string;
  user: string;
  messageTs: string;
  threadTs?: string | undefined;
  actionId: string;
  value: string;
}): Record<string, unknown> {
  return {
    type: "block_actions",
    team: { id: opts.teamId, domain: "fake" },
    user: { id: opts.user, username: opts.user, team_id: opts.teamId },
    api_app_id: "A0FAKE",
    token: "verification-token-unused",
    container: {
      type: "message",
      message_ts: opts.messageTs,
      channel_id: opts.channel,
      is_ephemeral: false,
      ...(opts.threadTs ? { thread_ts: opts.threadTs } : {}),
    },
    trigger_id: `trigger-${randomUUID()}`,
    channel: { id: opts.channel, name: opts.channel.toLowerCase() },
    message: { type: "message", ts: opts.messageTs, text: "" },
    response_url: opts.responseUrl,
    actions: [
      {
        type: "feedback_buttons",
        action_id: opts.actionId,
        block_id: "feedback",
        value: opts.value,
        text: { type: "plain_text", text: "👍" },
        action_ts: String(Date.now() / 1000),
      },
    ],
  };
}
