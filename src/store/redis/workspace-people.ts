/**
 * An uninstall's part of the per-person conversation index (store/people.ts) on Redis: read the
 * workspace's people index, read each person's index (all at once: one pipelined round trip),
 * remove the workspace's threads from them (another), then drop the people index. Each person's
 * index is in its own slot, so these are separate commands sent together.
 */
import { inWorkspace } from "../../core/workspace-records.js";
import type { StoreKeys } from "../keys.js";
import { parsePeopleMember, workspacesOf } from "../people.js";
import type { Caller } from "./caller.js";
import type { RedisClient } from "./connection.js";

export async function forgetWorkspacePeople(
  client: RedisClient,
  keys: StoreKeys,
  caller: Caller,
  workspaceKey: string,
): Promise<number> {
  const peopleKey = keys.workspacePeople(workspaceKey);
  const userKeys = await caller.run("forgetWorkspace: people", () => client.zrange(peopleKey, "0", "-1"));
  const indexes = await caller.run("forgetWorkspace: read indexes", () =>
    Promise.all(userKeys.map((userKey) => client.zrange(keys.people(userKey), "0", "-1"))),
  );
  const removals = userKeys.flatMap((userKey, i) => {
    const doomed = (indexes[i] ?? []).filter((member) => {
      const entry = parsePeopleMember(member);
      return entry !== null && inWorkspace(entry.threadKey, workspaceKey);
    });
    return doomed.length > 0 ? [{ key: keys.people(userKey), doomed }] : [];
  });
  const counts = await caller.run("forgetWorkspace: unindex", () =>
    Promise.all(removals.map((r) => client.zrem(r.key, ...r.doomed))),
  );
  await caller.run("forgetWorkspace: drop people", () => client.del(peopleKey));
  return counts.reduce((n, c) => n + c, 0);
}

/**
 * `/forget`: take the person out of the people index of every workspace their index names (read
 * the index, then one ZREM per workspace, sent at once). Run before their index is deleted.
 */
export async function unlistPerson(
  client: RedisClient,
  keys: StoreKeys,
  caller: Caller,
  userKey: string,
): Promise<void> {
  const members = await caller.run("forget: workspaces", () =>
    client.zrange(keys.people(userKey), "0", "-1"),
  );
  await caller.run("forget: unlist", () =>
    Promise.all(workspacesOf(members).map((w) => client.zrem(keys.workspacePeople(w), userKey))),
  );
}
