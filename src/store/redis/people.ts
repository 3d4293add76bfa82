/**
 * The per-person conversation index (store/people.ts) on Redis. The index lives under the
 * person's hash tag, the history under the thread's, so on a Cluster they sit in different slots
 * and cannot share the commit script. Instead the index writes are issued together with the
 * commit, in the same tick: on one node they go out in one socket write with the commit (the
 * connection is corked for the round of callbacks, caller.ts) and come back in one round trip; on
 * a Cluster each node gets its commands at the same time. Either way the turn waits one round
 * trip, not two.
 */
import type { SpentTokens, ThreadPeople } from "../../core/ports.js";
import { type StoreKeys, spentTokens } from "../keys.js";
import { TOKENS_KEY_TTL_MS } from "../limits.js";
import { parsePeopleMember, peopleMember, uniquePeople } from "../people.js";
import type { Caller } from "./caller.js";
import type { RedisClient } from "./connection.js";
import type { ScriptCommands } from "./scripts.js";

/**
 * The index writes of one commit, and the count of the tokens it spent, to be sent alongside it.
 * The spender's index entry and token counter share their hash tag: one script does both.
 */
export function indexThreadCalls(
  scripts: ScriptCommands,
  keys: StoreKeys,
  threadKey: string,
  people: ThreadPeople | undefined,
  ttlMs: number,
  spent?: SpentTokens,
): Promise<unknown>[] {
  const tokens = spent ? spentTokens(spent.tokens) : null;
  let count =
    spent && tokens !== null
      ? { userKey: spent.userKey, key: keys.tokens(spent.userKey, Date.now()), tokens }
      : null;
  const calls: Promise<unknown>[] = [];
  if (people) {
    const member = peopleMember(people.audience, threadKey);
    const workspace = people.workspace;
    for (const userKey of uniquePeople(people.userKeys)) {
      if (count && userKey === count.userKey) {
        calls.push(
          scripts.chatbotIndexThreadSpent(
            keys.people(userKey),
            count.key,
            member,
            ttlMs,
            count.tokens,
            TOKENS_KEY_TTL_MS,
          ),
        );
        count = null;
      } else {
        calls.push(scripts.chatbotIndexThread(keys.people(userKey), member, ttlMs));
      }
      // The workspace's people index (for uninstalls) rides along the same way.
      if (workspace) calls.push(scripts.chatbotIndexThread(keys.workspacePeople(workspace), userKey, ttlMs));
    }
  }
  // Someone not among `people` (or none given): the count on its own, still in this round trip.
  if (count) calls.push(scripts.chatbotAddTokens(count.key, count.tokens, TOKENS_KEY_TTL_MS));
  return calls;
}

/**
 * Delete what the person's index points at: private threads whole, their turns from shared ones
 * (one script per thread, all sent at once). The members handled are then removed from the
 * index unless a turn committed meanwhile re-scored them (that thread holds a new turn of theirs).
 */
export async function forgetIndexedThreads(
  client: RedisClient,
  scripts: ScriptCommands,
  keys: StoreKeys,
  caller: Caller,
  userKey: string,
): Promise<number> {
  const indexKey = keys.people(userKey);
  const flat = await caller.run("forget: read index", () => client.zrange(indexKey, "0", "-1", "WITHSCORES"));
  const members: { member: string; score: string }[] = [];
  for (let i = 0; i + 1 < flat.length; i += 2) members.push({ member: flat[i]!, score: flat[i + 1]! });
  const entries = members.flatMap(({ member }) => {
    const entry = parsePeopleMember(member);
    return entry ? [{ member, ...entry }] : [];
  });
  const removed = await caller.run("forget: delete turns", () =>
    Promise.all(
      entries.map((e) =>
        scripts.chatbotForgetTurns(keys.history(e.threadKey), userKey, e.audience === "private" ? "p" : "s"),
      ),
    ),
  );
  if (members.length > 0) {
    await caller.run("forget: clear index", () =>
      scripts.chatbotUnindex(indexKey, ...members.flatMap((m) => [m.member, m.score])),
    );
  }
  return removed.filter((n) => typeof n === "number" && n > 0).length;
}
