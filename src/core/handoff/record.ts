/**
 * One hand-off of a conversation to the support team: who asked, where, why, where the team
 * talks about it (the team thread), its status, and what was said while a person had it. Stored
 * as one JSON record (validated on read: a bad record is dropped, never a crash).
 */
import { z } from "zod";
import type { ConversationRef, Platform } from "../types.js";

/** open: waiting for a person; claimed: a person has it; closed: back with the assistant. */
export type HandoffStatus = "open" | "claimed" | "closed";

/** Where the team talks about a hand-off: a Slack thread, a Discord thread, or the local team page. */
export interface TeamThreadRef {
  platform: "slack" | "discord" | "web";
  channelId: string;
  /** Slack: the announcement's ts; Discord: the thread id; web: the hand-off id. */
  threadId: string;
  /** The announcement message (edited when the status changes). */
  messageId: string;
}

/** A message relayed while the conversation was with the team, in the order it was relayed. */
export interface RelayedLine {
  from: "customer" | "team";
  name?: string | undefined;
  text: string;
  at: number;
}

export interface HandoffRecord {
  id: string;
  conversation: ConversationRef;
  /** The customer's `userKeyOf` (the per-user index `/forget` uses). */
  userKey: string;
  userId: string;
  userName?: string | undefined;
  reason: string;
  trigger: "tool" | "button" | "command";
  status: HandoffStatus;
  team?: TeamThreadRef | undefined;
  claimedBy?: string | undefined;
  closedBy?: string | undefined;
  openedAt: number;
  claimedAt?: number | undefined;
  closedAt?: number | undefined;
  /** A link to the conversation the team can open, where the platform allows one. */
  link?: string | undefined;
  /** The conversation summary the team got (kept for the local team page). */
  summary?: string | undefined;
  /** The bot's latest note to the team (the local team page shows it beside the summary). */
  note?: string | undefined;
}

const platform = z.enum(["slack", "discord", "web"]) satisfies z.ZodType<Platform>;

export const teamThreadSchema = z.object({
  platform: z.enum(["slack", "discord", "web"]),
  channelId: z.string(),
  threadId: z.string(),
  messageId: z.string(),
});

export const relayedLineSchema = z.object({
  from: z.enum(["customer", "team"]),
  name: z.string().optional(),
  text: z.string(),
  at: z.number(),
});

export const handoffRecordSchema = z.object({
  id: z.string().min(1),
  conversation: z.object({
    platform,
    workspaceId: z.string(),
    channelId: z.string(),
    threadId: z.string(),
  }),
  userKey: z.string(),
  userId: z.string(),
  userName: z.string().optional(),
  reason: z.string(),
  trigger: z.enum(["tool", "button", "command"]),
  status: z.enum(["open", "claimed", "closed"]),
  team: teamThreadSchema.optional(),
  claimedBy: z.string().optional(),
  closedBy: z.string().optional(),
  openedAt: z.number(),
  claimedAt: z.number().optional(),
  closedAt: z.number().optional(),
  link: z.string().optional(),
  summary: z.string().optional(),
  note: z.string().optional(),
});

/** A stored record, or undefined when the stored text is not one (logged by the caller). */
export function parseHandoff(raw: string | null): HandoffRecord | undefined {
  if (raw === null) return undefined;
  try {
    const parsed = handoffRecordSchema.safeParse(JSON.parse(raw));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

export function parseRelayedLine(raw: string): RelayedLine | undefined {
  try {
    const parsed = relayedLineSchema.safeParse(JSON.parse(raw));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** The key of a team thread, for the index from team replies to their hand-off. */
export function teamThreadKeyOf(team: Pick<TeamThreadRef, "platform" | "channelId" | "threadId">): string {
  return `${team.platform}:${team.channelId}:${team.threadId}`;
}

export function isActive(rec: Pick<HandoffRecord, "status">): boolean {
  return rec.status !== "closed";
}
