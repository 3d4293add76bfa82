/**
 * Sealed installations and the per-installation thread index on Redis. Records and their index
 * share the `{installations}` hash tag, so writing both is one MULTI even on a Cluster; the
 * histories a workspace index points to live in their own threads' slots and are deleted one by one.
 */
import type { InstallationRecords, WorkspaceThreads } from "../../core/ports.js";
import type { HistoryCache } from "../history.js";
import { type StoreKeys, wholeMs } from "../keys.js";
import type { Caller } from "./caller.js";
import type { RedisClient } from "./connection.js";

/**
 * Add a thread to the index and make the index live at least `ttl` from now: never shorter, since
 * threads of one workspace may keep their histories for different times (policy retention).
 */
const REMEMBER_SCRIPT = `
redis.call('ZADD', KEYS[1], ARGV[1], ARGV[2])
local ttl = tonumber(ARGV[3])
if redis.call('PTTL', KEYS[1]) < ttl then redis.call('PEXPIRE', KEYS[1], ttl) end
return 1`;

/** Overwrite a record only while it still holds the value it was read with (compare and set). */
const REPLACE_SCRIPT = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2])
return 1`;

/** Histories deleted at once while forgetting a workspace: bounded so a big one does not flood Redis. */
const DELETE_BATCH = 100;

export function createRedisInstallations(
  client: RedisClient,
  keys: StoreKeys,
  caller: Caller,
): InstallationRecords {
  return {
    async get(id) {
      return caller.run("installations.get", () => client.get(keys.installation(id)));
    },
    async put(id, sealed) {
      await caller.run("installations.put", () =>
        client.multi().set(keys.installation(id), sealed).sadd(keys.installationIndex, id).exec(),
      );
    },
    async replace(id, expected, sealed) {
      const reply = await caller.run("installations.replace", () =>
        client.eval(REPLACE_SCRIPT, 1, keys.installation(id), expected, sealed),
      );
      return reply === 1;
    },
    async delete(id) {
      const replies = await caller.run("installations.delete", () =>
        client.multi().del(keys.installation(id)).srem(keys.installationIndex, id).exec(),
      );
      return replies?.[0]?.[1] === 1;
    },
    async ids() {
      return caller.run("installations.ids", () => client.smembers(keys.installationIndex));
    },
  };
}

export function createRedisWorkspaceThreads(
  client: RedisClient,
  keys: StoreKeys,
  caller: Caller,
  /** The store's parsed histories (store/history.ts): emptied when histories are deleted here. */
  histories: HistoryCache,
): WorkspaceThreads {
  return {
    async remember(scope, threadKey, ttlMs) {
      const ttl = wholeMs("ttlMs", ttlMs);
      const index = keys.workspaceThreads(scope);
      await caller.run("workspaceThreads.remember", () =>
        client.eval(REMEMBER_SCRIPT, 1, index, String(Date.now()), threadKey, String(ttl)),
      );
    },
    async list(scope) {
      return caller.run("workspaceThreads.list", () =>
        client.zrange(keys.workspaceThreads(scope), "0", "-1"),
      );
    },
    forgetAll(scope) {
      return histories.whileDeleting(async () => {
        const index = keys.workspaceThreads(scope);
        const threads = await caller.run("workspaceThreads.list", () => client.zrange(index, "0", "-1"));
        for (let i = 0; i < threads.length; i += DELETE_BATCH) {
          const batch = threads.slice(i, i + DELETE_BATCH);
          await Promise.all(
            batch.map((threadKey) =>
              caller.run("workspaceThreads.forget", () => client.del(keys.history(threadKey))),
            ),
          );
        }
        await caller.run("workspaceThreads.drop", () => client.del(index));
        return threads.length;
      });
    },
    async drop(scope) {
      await caller.run("workspaceThreads.drop", () => client.del(keys.workspaceThreads(scope)));
    },
  };
}
