/** The per-person conversation index (store/people.ts) over the memory keyspace. */
import type { ThreadPeople } from "../../core/ports.js";
import type { StoreKeys } from "../keys.js";
import { authoredBy, parsePeopleMember, peopleMember, uniquePeople } from "../people.js";
import type { MemoryKeyspace } from "./keyspace.js";

/** Add the thread to each person's index with the history's expiry; prune expired members. */
export function indexThread(
  space: MemoryKeyspace,
  keys: StoreKeys,
  threadKey: string,
  people: ThreadPeople,
  ttlMs: number,
): void {
  const now = space.now();
  const member = peopleMember(people.audience, threadKey);
  const workspace = people.workspace;
  for (const userKey of uniquePeople(people.userKeys)) {
    if (workspace) noteExpiring(space, keys.workspacePeople(workspace), userKey, ttlMs);
    const key = keys.people(userKey);
    space.zadd(key, now + ttlMs, member);
    const members = space.zset(key) ?? [];
    const live = members.findIndex((m) => m.score > now);
    if (live > 0) members.splice(0, live);
    const last = members[members.length - 1];
    if (last) space.expire(key, Math.max(1, last.score - now));
  }
}

/** Add `member` to a sorted set scored by expiry, drop expired members, let the set expire with its last. */
export function noteExpiring(space: MemoryKeyspace, key: string, member: string, ttlMs: number): void {
  const now = space.now();
  space.zadd(key, now + ttlMs, member);
  const members = space.zset(key) ?? [];
  const live = members.findIndex((m) => m.score > now);
  if (live > 0) members.splice(0, live);
  const last = members[members.length - 1];
  if (last) space.expire(key, Math.max(1, last.score - now));
}

/** Delete what the person's index points at; returns how many conversations lost something. */
export function forgetIndexedThreads(space: MemoryKeyspace, keys: StoreKeys, userKey: string): number {
  const indexKey = keys.people(userKey);
  const members = [...(space.zset(indexKey) ?? [])];
  let touched = 0;
  for (const { member } of members) {
    const entry = parsePeopleMember(member);
    if (!entry) continue;
    const historyKey = keys.history(entry.threadKey);
    if (entry.audience === "private") {
      if (space.delete(historyKey)) touched++;
      continue;
    }
    const items = space.getList(historyKey);
    const kept = items.filter((raw) => !authoredBy(raw, userKey));
    if (kept.length === items.length) continue;
    touched++;
    const ttl = space.ttl(historyKey);
    space.delete(historyKey);
    for (const raw of kept) space.pushAndTrim(historyKey, raw, Number.MAX_SAFE_INTEGER);
    if (kept.length > 0 && ttl > 0) space.expire(historyKey, ttl);
  }
  space.delete(indexKey);
  return touched;
}
