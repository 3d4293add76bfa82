/**
 * The policy in force: the last good policy file (kept current by whoever loads it, see
 * src/policy/), resolved per place, and the admins it lists. Reading it is synchronous and costs
 * no store round trip, so the turn can ask for every message.
 */
import type { IncomingMessage, Platform } from "../types.js";
import { type EffectivePolicy, type PolicyBase, type PolicyPlace, resolvePolicy } from "./resolve.js";
import type { PolicyFile } from "./schema.js";

/** Where the current file comes from; null while no POLICY_FILE is set. */
export interface PolicySource {
  current(): PolicyFile | null;
}

/** What the turn asks: the policy for this message, or null when there is no file (today's behaviour). */
export interface TurnPolicies {
  forTurn(msg: IncomingMessage): EffectivePolicy | null;
}

const NO_FILE: PolicyFile = {};

export class Policies implements TurnPolicies {
  constructor(
    private readonly source: PolicySource,
    readonly base: PolicyBase,
  ) {}

  /** A policy file is in force (admins and channel switches exist only then). */
  get active(): boolean {
    return this.source.current() !== null;
  }

  /** The effective policy of a place; without a file, the environment's settings. */
  at(place: PolicyPlace): EffectivePolicy {
    return resolvePolicy(this.source.current() ?? NO_FILE, place, this.base);
  }

  forTurn(msg: IncomingMessage): EffectivePolicy | null {
    if (!this.active) return null;
    return this.at({
      platform: msg.platform,
      workspaceId: msg.workspaceId,
      channelId: msg.parentChannelId ?? msg.channelId,
      userId: msg.userId,
      dm: msg.kind === "dm",
    });
  }

  /**
   * Admins are listed per platform (`platforms.slack.admins`: every workspace) and per workspace
   * or guild (`workspaces.T1.admins`: that one only). Without a workspace, only the platform's
   * list counts (an act that reaches every workspace). Structurally the adapters' `AdminCheck`.
   */
  isAdmin(who: { platform: Platform; workspaceId?: string | undefined; userId: string }): boolean {
    const platform = this.source.current()?.platforms?.[who.platform];
    if (!platform) return false;
    if (platform.admins?.includes(who.userId)) return true;
    if (who.workspaceId === undefined) return false;
    return platform.workspaces?.[who.workspaceId]?.admins?.includes(who.userId) ?? false;
  }
}
