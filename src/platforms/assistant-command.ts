/**
 * `/assistant` in Slack and Discord (the adapters only translate): shows the policy in effect
 * where it is run, to the person who ran it; `on`, `off` and `reset` switch the bot for this
 * channel (stored, shared by replicas, overriding the file) and are for admins only.
 */
import type { ReplyPlace, ReplyRules } from "../core/policy/replies.js";
import type { EffectivePolicy } from "../core/policy/resolve.js";
import type { Logger } from "../log.js";
import type { AdminCheck } from "./adapter.js";

export type AssistantAction = "show" | "on" | "off" | "reset";

export interface AssistantCommandDeps {
  replies?: ReplyRules | undefined;
  admins?: AdminCheck | undefined;
  /** OPENAI_MODEL: the model where the policy names none. */
  defaultModel: string;
  log: Logger;
}

export const ASSISTANT_USAGE =
  "Usage: `/assistant` shows the assistant's settings here; admins can run `/assistant on`, " +
  "`/assistant off` or `/assistant reset` (back to the policy file) for this channel.";

/** The words after `/assistant`; null when they are not a known action. */
export function parseAssistantAction(text: string): AssistantAction | null {
  const word = text.trim().toLowerCase();
  if (word === "" || word === "show" || word === "status") return "show";
  if (word === "on" || word === "off" || word === "reset") return word;
  return null;
}

/** Run the command; returns the text shown to the person alone. Never throws. */
export async function runAssistantCommand(
  action: AssistantAction | null,
  where: ReplyPlace,
  deps: AssistantCommandDeps,
): Promise<string> {
  const log = deps.log.child({ command: "assistant", platform: where.platform, userId: where.userId });
  if (action === null) return ASSISTANT_USAGE;
  try {
    if (action === "show") return await show(where, deps);
    const isAdmin = deps.admins?.isAdmin(where) ?? false;
    if (!isAdmin || !deps.replies?.policies.active) {
      log.info({ action, channelId: where.channelId }, "assistant switch refused: not an admin");
      return "Only admins listed in the policy file can switch the assistant on or off.";
    }
    const value = action === "reset" ? null : action;
    await deps.replies.switches.set(where, value);
    log.info({ action, channelId: where.channelId, workspaceId: where.workspaceId }, "assistant switched");
    if (value === "on") return "The assistant is now *on* in this channel (for everyone, on every replica).";
    if (value === "off")
      return "The assistant is now *off* in this channel. `/assistant on` switches it back.";
    return `The switch is cleared: the policy file decides here again.\n${await show(where, deps)}`;
  } catch (err) {
    log.warn({ err, action }, "assistant command failed");
    return "I couldn't do that just now (the store did not answer). Please try again in a minute.";
  }
}

async function show(where: ReplyPlace, deps: AssistantCommandDeps): Promise<string> {
  if (!deps.replies)
    return "The assistant has no policy here: it answers as configured for the whole service.";
  const here = await deps.replies.here(where);
  const p = here.policy;
  const answers = here.answers ? "yes" : "no";
  const why =
    here.switched !== null
      ? ` (switched ${here.switched} by an admin)`
      : !p.enabled && p.disabledBy
        ? ` (\`${p.disabledBy}\`)`
        : "";
  const lines = [
    here.fileActive
      ? "The assistant's settings here:"
      : "No policy file: the assistant answers as configured for the whole service.",
    `• Answers here: ${answers}${why}`,
    `• Direct messages: ${p.dms}; thread follow-ups without a mention: ${p.followups === "any" ? "answered" : "not answered"}`,
    `• Model: ${p.model ?? deps.defaultModel}`,
    `• Tools: ${toolsText(p)}`,
    `• Limits per person: ${p.throttle.requests} requests per ${Math.round(p.throttle.windowMs / 1000)} s, ` +
      `${p.throttle.dailyTokens} tokens a day`,
    `• History kept: ${hours(p.historyTtlMs)} after the last message`,
    `• Extra instructions: ${p.extraSystemPrompt ? "yes" : "none"}`,
  ];
  if (here.fileActive)
    lines.push(`• From: ${p.levels.length > 0 ? p.levels.join(", ") : "environment defaults"}`);
  if (deps.admins?.isAdmin(where))
    lines.push(
      "You are an admin here: `/assistant on`, `/assistant off` or `/assistant reset` switch this channel.",
    );
  return lines.join("\n");
}

function toolsText(p: EffectivePolicy): string {
  if (p.tools === "all") return "all";
  return p.tools.length === 0 ? "none" : p.tools.join(", ");
}

function hours(ms: number): string {
  const h = ms / 3_600_000;
  if (h >= 48 && Number.isInteger(h / 24)) return `${h / 24} days`;
  return `${Number.isInteger(h) ? h : h.toFixed(1)} hours`;
}
