/**
 * The effective policy of one place: the file's levels merged, most specific wins.
 *
 * Levels, least to most specific: `defaults`, the platform, the workspace (Slack team, Discord
 * guild, `@dm` for Discord DMs, `local` for the web chat), the channel, then the user's entry on
 * the platform and the user's entry in the workspace. Each setting comes from the most specific
 * level that sets it (`limits` field by field); what no level sets comes from the environment.
 *
 * Whether the bot answers at all: off when a deny list on the way names the workspace or channel,
 * when an allow list on the way does not name it, or when the merged `enabled` is false. Channel
 * lists do not apply to DMs (`dms` decides those). An admin's `/assistant on|off` overrides all of
 * this for one channel (channel-switches.ts), except a person's own `enabled: false`.
 */
import type { ThrottlePolicy } from "../ports.js";
import type { Platform } from "../types.js";
import type { DmMode, FollowupMode, PlatformPolicy, PolicyFile, PolicySettings } from "./schema.js";

/** Where a message is: what the policy is looked up by. */
export interface PolicyPlace {
  platform: Platform;
  workspaceId: string;
  channelId: string;
  userId: string;
  /** A direct message (channel allow/deny lists do not apply; `dms` does). */
  dm: boolean;
}

/** What applies where the file sets nothing: the environment's settings (today's behaviour). */
export interface PolicyBase {
  throttle: ThrottlePolicy;
  historyTtlMs: number;
  /** Thread follow-ups per platform (Slack: SLACK_THREAD_FOLLOWUPS; Discord and web: any). */
  followups: Record<Platform, FollowupMode>;
}

export interface EffectivePolicy {
  enabled: boolean;
  /** The file entry that turned the bot off here (for `/assistant` and the logs). */
  disabledBy?: string | undefined;
  /**
   * The person's own entry (`users.<id>.enabled: false`) when it is what turns the bot off: it
   * follows the person into every channel, one an admin switched on included.
   */
  personOff?: string | undefined;
  dms: DmMode;
  followups: FollowupMode;
  extraSystemPrompt: string | undefined;
  /** Model name; undefined: OPENAI_MODEL. */
  model: string | undefined;
  tools: "all" | readonly string[];
  throttle: ThrottlePolicy;
  historyTtlMs: number;
  /** The file's levels that matched, least specific first ("defaults", "slack/T1/C1"). */
  levels: string[];
}

const HOUR_MS = 3_600_000;

export function resolvePolicy(file: PolicyFile, place: PolicyPlace, base: PolicyBase): EffectivePolicy {
  const platform = file.platforms?.[place.platform];
  const workspace = platform?.workspaces?.[place.workspaceId];
  const p = `platforms.${place.platform}`;
  const w = `${p}.workspaces.${place.workspaceId}`;
  const layers: { name: string; at: string; settings: PolicySettings | undefined }[] = [
    { name: "defaults", at: "defaults", settings: file.defaults },
    { name: place.platform, at: p, settings: platform },
    { name: `${place.platform}/${place.workspaceId}`, at: w, settings: workspace },
    {
      name: `${place.platform}/${place.workspaceId}/${place.channelId}`,
      at: `${w}.channels.${place.channelId}`,
      settings: workspace?.channels?.[place.channelId],
    },
    {
      name: `${place.platform} user ${place.userId}`,
      at: `${p}.users.${place.userId}`,
      settings: platform?.users?.[place.userId],
    },
    {
      name: `${place.platform}/${place.workspaceId} user ${place.userId}`,
      at: `${w}.users.${place.userId}`,
      settings: workspace?.users?.[place.userId],
    },
  ];
  const present = layers.filter((l) => l.settings !== undefined);
  const pick = <K extends keyof PolicySettings>(
    key: K,
  ): { value: PolicySettings[K]; at: string } | undefined => {
    for (let i = present.length - 1; i >= 0; i--) {
      const layer = present[i];
      const value = layer?.settings?.[key];
      if (layer && value !== undefined) return { value, at: layer.at };
    }
    return undefined;
  };
  const limit = (key: "requests" | "windowSeconds" | "dailyTokens"): number | undefined => {
    for (let i = present.length - 1; i >= 0; i--) {
      const value = present[i]?.settings?.limits?.[key];
      if (value !== undefined) return value;
    }
    return undefined;
  };

  const enabled = pick("enabled");
  const listedOut = listDecision(platform, place, p, w);
  const disabledBy = listedOut ?? (enabled?.value === false ? `${enabled.at}.enabled` : undefined);
  const windowSeconds = limit("windowSeconds");
  const ttlHours = pick("historyTtlHours")?.value;
  const personOff =
    enabled?.value === false && enabled.at.includes(".users.") ? `${enabled.at}.enabled` : undefined;
  return {
    enabled: disabledBy === undefined,
    disabledBy,
    personOff,
    dms: pick("dms")?.value ?? "open",
    followups: pick("followups")?.value ?? base.followups[place.platform],
    extraSystemPrompt: pick("extraSystemPrompt")?.value,
    model: pick("model")?.value,
    tools: pick("tools")?.value ?? "all",
    throttle: {
      requests: limit("requests") ?? base.throttle.requests,
      windowMs: windowSeconds !== undefined ? windowSeconds * 1000 : base.throttle.windowMs,
      dailyTokens: limit("dailyTokens") ?? base.throttle.dailyTokens,
    },
    historyTtlMs: ttlHours !== undefined ? Math.round(ttlHours * HOUR_MS) : base.historyTtlMs,
    levels: present.map((l) => l.name),
  };
}

/** The allow or deny list that keeps the bot out of this place, if any. */
function listDecision(
  platform: PlatformPolicy | undefined,
  place: PolicyPlace,
  p: string,
  w: string,
): string | undefined {
  if (!platform) return undefined;
  if (platform.denyWorkspaces?.includes(place.workspaceId)) return `${p}.denyWorkspaces`;
  if (platform.allowWorkspaces && !platform.allowWorkspaces.includes(place.workspaceId))
    return `${p}.allowWorkspaces`;
  if (place.dm) return undefined;
  const workspace = platform.workspaces?.[place.workspaceId];
  const scopes = [
    { at: p, lists: platform },
    { at: w, lists: workspace },
  ];
  for (const { at, lists } of scopes) {
    if (lists?.denyChannels?.includes(place.channelId)) return `${at}.denyChannels`;
    if (lists?.allowChannels && !lists.allowChannels.includes(place.channelId)) return `${at}.allowChannels`;
  }
  return undefined;
}
