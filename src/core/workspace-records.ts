/**
 * Records kept about one workspace (a Slack team, a Discord guild), for the day the app leaves it
 * (Slack `app_uninstalled` / `tokens_revoked`, docs/slack-install.md). Every store part that keeps
 * records about people in a workspace (feedback, hand-offs, the per-person conversation index)
 * also keeps a per-workspace index of them, written in the same round trip as the record, so an
 * uninstall deletes them through that index and never scans the store.
 */
import type { ConversationRef } from "./types.js";

/**
 * `platform:workspaceId`: the workspace a conversation belongs to. Every `threadKeyOf` of the
 * workspace starts with it and a colon.
 */
export function workspaceKeyOf(ref: Pick<ConversationRef, "platform" | "workspaceId">): string {
  return `${ref.platform}:${ref.workspaceId}`;
}

/** Whether a thread key (`threadKeyOf`) belongs to the workspace `workspaceKey`. */
export function inWorkspace(threadKey: string, workspaceKey: string): boolean {
  return threadKey.startsWith(`${workspaceKey}:`);
}

/** The workspace key of a thread key (`threadKeyOf`): its first two parts; null when malformed. */
export function workspaceKeyOfThread(threadKey: string): string | null {
  const [platform, workspaceId] = threadKey.split(":");
  return platform && workspaceId ? `${platform}:${workspaceId}` : null;
}

export interface WorkspaceRecords {
  /** What these records are, for the uninstall's log line ("ratings", "hand-offs"). */
  readonly kind: string;
  /** Delete every record of the workspace (and its index entries); returns how many were deleted. */
  forgetWorkspace(workspaceKey: string): Promise<number>;
}
