/**
 * Feedback keys, shared by both stores. One person's records (answers waiting to be rated, their
 * ratings, and the index of both) carry the `{fb:<userKey>}` hash tag, so they live in one
 * Cluster slot and `/forget` finds them through the index alone. The export index (every rating,
 * scored by when it was given) is one key of its own; it names users and turns, never content.
 */
export interface FeedbackKeys {
  /** An answered turn its asker may rate (a copy of what the history holds, as long-lived). */
  turn(userKey: string, turnId: string): string;
  rating(userKey: string, turnId: string): string;
  /** Sorted set: member `turn:<id>` or `rating:<id>`, score = when that record expires (epoch ms). */
  userIndex(userKey: string): string;
  /** Sorted set: member `exportMember(userKey, turnId)`, score = when it was rated (epoch ms). */
  all: string;
  /**
   * Sorted set of one workspace's (`workspaceKeyOf`) records: member `exportMember(userKey,
   * turnId)`, score = when its last record expires (epoch ms). What an uninstall deletes.
   */
  workspace(workspaceKey: string): string;
  /** Whether a key is an answer waiting to be rated (under this prefix). */
  isTurn(key: string): boolean;
}

export function feedbackKeys(prefix: string): FeedbackKeys {
  const tag = (userKey: string) => `${prefix}{fb:${userKey}}`;
  return {
    turn: (userKey, turnId) => `${tag(userKey)}:turn:${turnId}`,
    rating: (userKey, turnId) => `${tag(userKey)}:rating:${turnId}`,
    userIndex: (userKey) => `${tag(userKey)}:index`,
    all: `${prefix}feedback:ratings`,
    workspace: (workspaceKey) => `${prefix}{fbws:${workspaceKey}}:index`,
    isTurn: (key) => key.startsWith(`${prefix}{fb:`) && key.includes("}:turn:"),
  };
}

/** The export index's member for one rating: both parts, unambiguously (user keys contain ':'). */
export function exportMember(userKey: string, turnId: string): string {
  return JSON.stringify([userKey, turnId]);
}

export function parseExportMember(member: string): { userKey: string; turnId: string } | null {
  try {
    const value: unknown = JSON.parse(member);
    if (Array.isArray(value) && typeof value[0] === "string" && typeof value[1] === "string") {
      return { userKey: value[0], turnId: value[1] };
    }
  } catch {
    // not ours
  }
  return null;
}

/** Ratings read per page when exporting. */
export const EXPORT_PAGE = 200;
