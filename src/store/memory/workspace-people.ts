/** An uninstall's part of the per-person conversation index (store/people.ts) over the memory keyspace. */
import { inWorkspace } from "../../core/workspace-records.js";
import type { StoreKeys } from "../keys.js";
import { parsePeopleMember, workspacesOf } from "../people.js";
import type { MemoryKeyspace } from "./keyspace.js";

/**
 * Remove the workspace's threads from the index of everyone in its people index, then that
 * index; returns how many person-index entries were removed.
 */
export function forgetWorkspacePeople(space: MemoryKeyspace, keys: StoreKeys, workspaceKey: string): number {
  const peopleKey = keys.workspacePeople(workspaceKey);
  let removed = 0;
  for (const { member: userKey } of [...(space.zset(peopleKey) ?? [])]) {
    const indexKey = keys.people(userKey);
    const members = space.zset(indexKey);
    if (!members) continue;
    for (let i = members.length - 1; i >= 0; i--) {
      const entry = parsePeopleMember(members[i]!.member);
      if (entry && inWorkspace(entry.threadKey, workspaceKey)) {
        members.splice(i, 1);
        removed++;
      }
    }
    if (members.length === 0) space.delete(indexKey);
  }
  space.delete(peopleKey);
  return removed;
}

/** `/forget`: take the person out of the people index of every workspace their index names. */
export function unlistPerson(space: MemoryKeyspace, keys: StoreKeys, userKey: string): void {
  for (const workspaceKey of workspacesOf((space.zset(keys.people(userKey)) ?? []).map((m) => m.member))) {
    const name = keys.workspacePeople(workspaceKey);
    const members = space.zset(name);
    const at = members?.findIndex((m) => m.member === userKey) ?? -1;
    if (members && at >= 0) members.splice(at, 1);
    if (members?.length === 0) space.delete(name);
  }
}
