/**
 * The policy file's shape (docs/policy.md), validated with zod. Every setting is optional at every
 * level; `resolve.ts` merges them (most specific wins). Unknown keys are errors: a typo such as
 * `dm: off` for `dms: off` must not silently leave DMs open.
 */
import { z } from "zod";

/**
 * The file is parsed with integers as bigint (`load.ts`), so an unquoted Discord snowflake (19
 * digits, past a double's 53 bits) keeps every digit: ids accept both and become strings, numbers
 * accept both and become numbers.
 */
const id = z.union([z.string().min(1), z.bigint().min(0n)]).transform((v) => String(v));
const ids = z.array(id);
/** Map keys are strings once parsed (a bigint key keeps its digits). */
const key = z.string().min(1);
const count = (min: number, max = Number.MAX_SAFE_INTEGER) =>
  z
    .union([z.number(), z.bigint()])
    .transform((v) => Number(v))
    .pipe(z.number().int().min(min).max(max));
const positive = (max: number) =>
  z
    .union([z.number(), z.bigint()])
    .transform((v) => Number(v))
    .pipe(z.number().positive().max(max));

export const DM_MODES = ["open", "mention", "off"] as const;
export const FOLLOWUP_MODES = ["any", "mention"] as const;
export type DmMode = (typeof DM_MODES)[number];
export type FollowupMode = (typeof FOLLOWUP_MODES)[number];

/** What can be set at every level: defaults, platform, workspace, channel, user. */
export const settingsShape = {
  /** Whether the bot answers here at all. */
  enabled: z.boolean().optional(),
  /** Direct messages: every one answered, only those that @mention the bot, or none. */
  dms: z.enum(DM_MODES).optional(),
  /** Thread replies without a mention after the bot answered there: answered (`any`) or not. */
  followups: z.enum(FOLLOWUP_MODES).optional(),
  /** Added after the system prompt (house rules for this place). */
  extraSystemPrompt: z.string().min(1).max(8000).optional(),
  /** The chat model name (OPENAI_MODEL elsewhere). */
  model: z.string().min(1).optional(),
  /** The tools the model may call here: `all`, or a list of tool names (`[]`: none). */
  tools: z.union([z.literal("all"), ids]).optional(),
  /** Per-user limits (THROTTLE_REQUESTS, THROTTLE_WINDOW_S, DAILY_TOKEN_BUDGET elsewhere). */
  limits: z
    .strictObject({
      requests: count(1).optional(),
      windowSeconds: count(1).optional(),
      dailyTokens: count(0).optional(),
    })
    .optional(),
  /** Hours a conversation's history is kept after its last turn (HISTORY_TTL_S elsewhere). */
  historyTtlHours: positive(24 * 3650).optional(),
};

export const settingsSchema = z.strictObject(settingsShape);
export type PolicySettings = z.infer<typeof settingsSchema>;

const workspaceShape = {
  ...settingsShape,
  /** Admins of this workspace or guild only. */
  admins: ids.optional(),
  /** When present, only these channels are answered (DMs follow `dms`). */
  allowChannels: ids.optional(),
  /** These channels are never answered (unless an admin runs `/assistant on` there). */
  denyChannels: ids.optional(),
  channels: z.record(key, settingsSchema).optional(),
  users: z.record(key, settingsSchema).optional(),
};

export const workspaceSchema = z.strictObject(workspaceShape);
export type WorkspacePolicy = z.infer<typeof workspaceSchema>;

export const platformSchema = z.strictObject({
  ...workspaceShape,
  /** When present, only these workspaces (Slack team ids, Discord guild ids, `@dm`) are answered. */
  allowWorkspaces: ids.optional(),
  denyWorkspaces: ids.optional(),
  workspaces: z.record(key, workspaceSchema).optional(),
});
export type PlatformPolicy = z.infer<typeof platformSchema>;

export const policyFileSchema = z.strictObject({
  version: count(1, 1).optional(),
  defaults: settingsSchema.optional(),
  platforms: z
    .strictObject({
      slack: platformSchema.optional(),
      discord: platformSchema.optional(),
      web: platformSchema.optional(),
    })
    .optional(),
});
export type PolicyFile = z.infer<typeof policyFileSchema>;
