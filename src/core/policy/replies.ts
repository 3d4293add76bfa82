/**
 * Whether the bot answers a message the platform adapter would answer: the adapters' routing
 * asks this after deciding a message is addressed to the bot (a mention, a DM, a follow-up in a
 * thread the bot is in). Without a policy file the answer is today's: yes, except thread
 * follow-ups where the platform's follow-up mode is `mention` (SLACK_THREAD_FOLLOWUPS).
 *
 * - DMs: `dms: open` answers every one, `mention` only those that @mention the bot, `off` none.
 * - Follow-ups (a thread reply or a reply to the bot without a mention): `followups: any` or `mention`.
 * - Anywhere: an admin's channel switch (channel-switches.ts), else the file's lists and `enabled`;
 *   a person's own `enabled: false` holds even where an admin switched the channel on.
 */
import type { IncomingMessage } from "../types.js";
import type { ChannelSwitch, ChannelSwitches } from "./channel-switches.js";
import type { Policies } from "./policies.js";
import type { EffectivePolicy } from "./resolve.js";

export interface Addressing {
  /** The message @mentions the bot. */
  mentioned: boolean;
  /** A thread reply or reply to the bot without a mention: answered only in `followups: any`. */
  followup: boolean;
}

export type ReplyDecision = { answer: true } | { answer: false; reason: string };

export type ReplyPlace = Pick<IncomingMessage, "platform" | "workspaceId" | "channelId" | "userId" | "kind"> &
  Partial<Pick<IncomingMessage, "parentChannelId">>;

/** What `/assistant` shows: the file's policy here and the channel's switch. */
export interface PolicyHere {
  policy: EffectivePolicy;
  switched: ChannelSwitch | null;
  answers: boolean;
  fileActive: boolean;
}

export class ReplyRules {
  constructor(
    readonly policies: Policies,
    readonly switches: ChannelSwitches,
  ) {}

  async decide(message: ReplyPlace, how: Addressing): Promise<ReplyDecision> {
    const msg = policyPlaceOf(message);
    const byMode = this.modes(msg, how);
    if (!byMode.answer) return byMode;
    // No file: no admins, so no switches either; nothing to read from the store.
    if (!this.policies.active) return { answer: true };
    const switched = await this.switches.get(msg);
    if (switched === "off") return { answer: false, reason: "switched off by an admin" };
    const policy = this.policies.at({ ...msg, dm: msg.kind === "dm" });
    // A channel switched on lets everyone in, except a person the file turns off by name.
    if (switched === "on")
      return policy.personOff ? { answer: false, reason: `policy: ${policy.personOff}` } : { answer: true };
    return policy.enabled ? { answer: true } : { answer: false, reason: `policy: ${policy.disabledBy}` };
  }

  /**
   * The DM and follow-up modes alone: no store read, so an adapter can drop a message by them
   * before its own store lookups (is the bot in this thread?). `decide` applies them too.
   */
  modes(message: ReplyPlace, how: Addressing): ReplyDecision {
    const msg = policyPlaceOf(message);
    const dm = msg.kind === "dm";
    const policy = this.policies.at({ ...msg, dm });
    if (dm && policy.dms === "off") return { answer: false, reason: "policy: DMs off" };
    if (dm && policy.dms === "mention" && !how.mentioned)
      return { answer: false, reason: "policy: DMs answer mentions only" };
    if (how.followup && policy.followups === "mention")
      return { answer: false, reason: "follow-ups need a mention" };
    return { answer: true };
  }

  /** The policy where `/assistant` runs, with the stored switch read fresh. */
  async here(place: ReplyPlace): Promise<PolicyHere> {
    const policy = this.policies.at({ ...place, dm: place.kind === "dm" });
    const fileActive = this.policies.active;
    const switched = fileActive ? await this.switches.get(place, { fresh: true }) : null;
    const answers = switched === null ? policy.enabled : switched === "on" && !policy.personOff;
    return { policy, switched, answers, fileActive };
  }
}

/** A thread's messages follow its channel's policy and switch (see `IncomingMessage.parentChannelId`). */
function policyPlaceOf(msg: ReplyPlace): ReplyPlace {
  return msg.parentChannelId ? { ...msg, channelId: msg.parentChannelId } : msg;
}
