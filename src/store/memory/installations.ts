/** Sealed installations and the per-installation thread index over the memory keyspace. */
import type { InstallationRecords, WorkspaceThreads } from "../../core/ports.js";
import type { HistoryCache } from "../history.js";
import { type StoreKeys, wholeMs } from "../keys.js";
import type { MemoryKeyspace } from "./keyspace.js";

export function createMemoryInstallations(
  space: MemoryKeyspace,
  keys: StoreKeys,
  ensureOpen: () => void,
): InstallationRecords {
  return {
    async get(id) {
      ensureOpen();
      return space.getString(keys.installation(id));
    },
    async put(id, sealed) {
      ensureOpen();
      space.setString(keys.installation(id), sealed, null);
      space.zadd(keys.installationIndex, 0, id);
    },
    async replace(id, expected, sealed) {
      ensureOpen();
      if (space.getString(keys.installation(id)) !== expected) return false;
      space.setString(keys.installation(id), sealed, null);
      return true;
    },
    async delete(id) {
      ensureOpen();
      const members = space.zset(keys.installationIndex);
      const at = members?.findIndex((m) => m.member === id) ?? -1;
      if (members && at >= 0) members.splice(at, 1);
      return space.delete(keys.installation(id));
    },
    async ids() {
      ensureOpen();
      return (space.zset(keys.installationIndex) ?? []).map((m) => m.member);
    },
  };
}

export function createMemoryWorkspaceThreads(
  space: MemoryKeyspace,
  keys: StoreKeys,
  ensureOpen: () => void,
  /** The store's parsed histories (store/history.ts): emptied when histories are deleted here. */
  histories: HistoryCache,
): WorkspaceThreads {
  return {
    async remember(scope, threadKey, ttlMs) {
      ensureOpen();
      const ttl = wholeMs("ttlMs", ttlMs);
      const index = keys.workspaceThreads(scope);
      space.zadd(index, Date.now(), threadKey);
      // Never shorten: threads of one workspace may keep their histories for different times.
      const left = space.ttl(index);
      if (left === -1 || left < ttl) space.expire(index, ttl);
    },
    async list(scope) {
      ensureOpen();
      return (space.zset(keys.workspaceThreads(scope)) ?? []).map((m) => m.member);
    },
    async forgetAll(scope) {
      ensureOpen();
      return histories.whileDeleting(async () => {
        const index = keys.workspaceThreads(scope);
        const threads = (space.zset(index) ?? []).map((m) => m.member);
        for (const threadKey of threads) space.delete(keys.history(threadKey));
        space.delete(index);
        return threads.length;
      });
    },
    async drop(scope) {
      ensureOpen();
      space.delete(keys.workspaceThreads(scope));
    },
  };
}
