/**
 * `/forget` in Slack (docs/privacy.md). `/forget` asks the person, privately, whether to delete
 * everything the assistant keeps about them in Slack; the Delete button does it and the prompt is
 * replaced by what was deleted. `/forget user U123` does the same for another person, for admins
 * only (the policy file's admin list), for requests that come by email. The button's value names
 * whose data it deletes; the clicker is checked again on click, so a stale or forged button gives
 * nobody more than they may do.
 *
 * Whose admin may do it: a person's Slack data sits under their user key, scoped to the Enterprise
 * Grid org when there is one, else to the workspace. An admin of one workspace
 * (`workspaces.T1.admins`) may delete data scoped to that workspace; data scoped to a whole org
 * spans its other workspaces too, so that takes a platform admin (`platforms.slack.admins`).
 */
import type { PersonalData } from "../../core/forget.js";
import { forgetPrompt, forgetReport } from "../../core/forget.js";
import { userKeyOf } from "../../core/types.js";
import type { Logger } from "../../log.js";
import type { AdminCheck } from "../adapter.js";
import type { SlackApi } from "./api.js";

export const FORGET_ACTION_ID = "forget_confirm";
export const FORGET_CANCEL_ACTION_ID = "forget_cancel";
/** A button's response_url answer should come back fast. */
const RESPOND_TIMEOUT_MS = 10_000;

export const FORGET_HELP =
  "`/forget` deletes what the assistant keeps about you in Slack. Admins: `/forget user U0123ABCD` deletes another person's data.";
const NOT_ADMIN =
  "Only the assistant's admins can delete another person's data. To delete your own, use `/forget`.";

type Target = { kind: "self" } | { kind: "user"; userId: string };

/** "" or "me": the asker; "user U123" or "user <@U123|ana>": that person (admins). */
export function parseForgetArgs(text: string): Target | null {
  const t = text.trim();
  if (t === "" || /^me$/i.test(t)) return { kind: "self" };
  const m = /^user\s+(?:<@)?([UW][A-Z0-9]+)(?:\|[^>]*)?>?$/i.exec(t);
  return m ? { kind: "user", userId: m[1]!.toUpperCase() } : null;
}

export interface ForgetDeps {
  personalData: PersonalData;
  admins?: AdminCheck | undefined;
  api: SlackApi;
  log: Logger;
}

/** Who ran the command or clicked, as Slack names them. */
export interface SlackPerson {
  userId: string;
  teamId: string;
  enterpriseId?: string | undefined;
}

const userKey = (who: SlackPerson, userId = who.userId) =>
  userKeyOf({ platform: "slack", userScope: who.enterpriseId || who.teamId, userId });

/** May delete another person's data in the asker's scope (see the header). */
const isAdmin = (who: SlackPerson, deps: ForgetDeps) =>
  deps.admins?.isAdmin({
    platform: "slack",
    // An org's data reaches past this workspace: only the platform's admins (no workspace) count.
    workspaceId: who.enterpriseId ? undefined : who.teamId,
    userId: who.userId,
  }) ?? false;

/** The slash command's acknowledgement: the confirmation prompt, a refusal, or the help. */
export function forgetCommandReply(
  text: string,
  who: SlackPerson,
  deps: ForgetDeps,
): Record<string, unknown> {
  const target = parseForgetArgs(text);
  if (!target) return { response_type: "ephemeral", text: FORGET_HELP };
  if (target.kind === "user" && !isAdmin(who, deps)) {
    deps.log.warn(
      { userId: who.userId, teamId: who.teamId, target: target.userId },
      "/forget user refused: not an admin",
    );
    return { response_type: "ephemeral", text: NOT_ADMIN };
  }
  const prompt =
    target.kind === "self"
      ? forgetPrompt(deps.personalData.kinds, "Slack")
      : forgetPrompt(deps.personalData.kinds, "Slack", `user ${target.userId}`);
  return {
    response_type: "ephemeral",
    text: prompt,
    blocks: [
      { type: "section", text: { type: "mrkdwn", text: prompt } },
      {
        type: "actions",
        block_id: "forget",
        elements: [
          {
            type: "button",
            action_id: FORGET_ACTION_ID,
            style: "danger",
            text: {
              type: "plain_text",
              text: target.kind === "self" ? "Delete my data" : "Delete their data",
            },
            value: JSON.stringify(target),
          },
          {
            type: "button",
            action_id: FORGET_CANCEL_ACTION_ID,
            text: { type: "plain_text", text: "Cancel" },
          },
        ],
      },
    ],
  };
}

/** The Delete button: delete, then replace the prompt with what was deleted (only the clicker sees it). */
export async function handleForgetClick(
  click: { value: string; who: SlackPerson; responseUrl: string | undefined },
  deps: ForgetDeps,
): Promise<void> {
  let target: Target | null = null;
  try {
    const v = JSON.parse(click.value) as { kind?: unknown; userId?: unknown };
    if (v.kind === "self") target = { kind: "self" };
    else if (v.kind === "user" && typeof v.userId === "string") target = parseForgetArgs(`user ${v.userId}`);
  } catch {
    target = null;
  }
  let text: string;
  if (!target) {
    deps.log.warn({ userId: click.who.userId }, "/forget button with an unreadable value");
    text = FORGET_HELP;
  } else if (target.kind === "user" && !isAdmin(click.who, deps)) {
    deps.log.warn({ userId: click.who.userId, target: target.userId }, "/forget user refused: not an admin");
    text = NOT_ADMIN;
  } else {
    const whose = target.kind === "self" ? click.who.userId : target.userId;
    const result = await deps.personalData.forget(userKey(click.who, whose), {
      by: userKey(click.who),
      as: target.kind === "self" ? "self" : "admin",
    });
    text = target.kind === "self" ? forgetReport(result) : `User ${whose}: ${forgetReport(result, "their")}`;
  }
  await respond(click.responseUrl, text, deps);
}

/** Cancel: the prompt goes away. */
export async function handleForgetCancel(responseUrl: string | undefined, deps: ForgetDeps): Promise<void> {
  if (!responseUrl) return;
  await deps.api.respond(responseUrl, { delete_original: true }, { timeoutMs: RESPOND_TIMEOUT_MS });
}

async function respond(url: string | undefined, text: string, deps: ForgetDeps): Promise<void> {
  if (!url) return;
  const ok = await deps.api.respond(
    url,
    { response_type: "ephemeral", replace_original: true, text },
    { timeoutMs: RESPOND_TIMEOUT_MS },
  );
  if (!ok) deps.log.warn("could not show the /forget result");
}
