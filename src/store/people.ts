/**
 * Each person's conversation index, for `/forget` (docs/privacy.md): under the person's user key
 * (their hash tag), a sorted set of the threads holding their turns, each scored by the epoch ms
 * its history expires. Members are "p|threadKey" (a private thread: the whole history is theirs)
 * or "s|threadKey" (shared: only turns they authored are). Members past their expiry are pruned
 * on every write, and the index itself expires with its last thread, so it stays as small as the
 * set of live conversations and never outlives them.
 */
import type { Audience, StoredTurn } from "../core/types.js";
import { workspaceKeyOfThread } from "../core/workspace-records.js";

export function peopleMember(audience: Audience, threadKey: string): string {
  return `${audience === "private" ? "p" : "s"}|${threadKey}`;
}

export function parsePeopleMember(member: string): { audience: Audience; threadKey: string } | null {
  const kind = member.slice(0, 2);
  const threadKey = member.slice(2);
  if (threadKey === "") return null;
  if (kind === "p|") return { audience: "private", threadKey };
  if (kind === "s|") return { audience: "shared", threadKey };
  return null;
}

/** Whether a raw stored turn was written by `userKey` (an unreadable entry is nobody's). */
export function authoredBy(raw: string, userKey: string): boolean {
  try {
    const turn = JSON.parse(raw) as Partial<StoredTurn> | null;
    return typeof turn === "object" && turn !== null && turn.author === userKey;
  } catch {
    return false;
  }
}

/** The distinct people to index for a thread: everyone whose turn it holds, then the asker. */
export function uniquePeople(userKeys: readonly string[]): string[] {
  return [...new Set(userKeys.filter((k) => k !== ""))];
}

/** The distinct workspaces of a person's index members. */
export function workspacesOf(members: readonly string[]): string[] {
  const found = new Set<string>();
  for (const member of members) {
    const entry = parsePeopleMember(member);
    const key = entry ? workspaceKeyOfThread(entry.threadKey) : null;
    if (key) found.add(key);
  }
  return [...found];
}
