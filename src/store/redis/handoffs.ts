/**
 * Hand-off records on Redis. Every key is under the `{handoffs}` hash tag (handoff-keys.ts), so
 * each change is one atomic script even on a Cluster:
 *
 * - open: SET the conversation's index NX, then the record and its indexes (one active hand-off
 *   per conversation, whichever replica asks first).
 * - every later change is a compare-and-set of the whole record: the new record is computed here
 *   from the one read, and written only if the stored one is still exactly that (else re-read and
 *   decide again). So of two replicas claiming the same hand-off, exactly one sees its change made.
 *
 * Records keep the TTL they were opened with; their indexes and relayed lines expire with them.
 */
import type { Cluster, Redis } from "ioredis";
import {
  type HandoffRecord,
  isActive,
  parseHandoff,
  parseRelayedLine,
  type RelayedLine,
  type TeamThreadRef,
  teamThreadKeyOf,
} from "../../core/handoff/record.js";
import { type HandoffStore, MAX_RELAYED_LINES, type OpenResult } from "../../core/handoff/store.js";
import { threadKeyOf } from "../../core/types.js";
import { workspaceKeyOf } from "../../core/workspace-records.js";
import type { Logger } from "../../log.js";
import { type HandoffKeys, handoffKeys } from "../handoff-keys.js";
import { wholeMs } from "../keys.js";
import { type Caller, unexpectedReply } from "./caller.js";
import type { RedisClient } from "./connection.js";

/**
 * KEYS: conversation index, record, user index, active set, workspace index.
 * ARGV: id, record JSON, ttlMs, openedAt.
 * Reply: {1, id} when opened, {0, active id} when the conversation has one already.
 */
const OPEN = `
if not redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[3]) then
  return {0, redis.call('GET', KEYS[1]) or ''}
end
redis.call('SET', KEYS[2], ARGV[2], 'PX', ARGV[3])
redis.call('ZADD', KEYS[3], ARGV[4], ARGV[1])
redis.call('PEXPIRE', KEYS[3], ARGV[3])
redis.call('ZADD', KEYS[4], ARGV[4], ARGV[1])
redis.call('ZADD', KEYS[5], ARGV[4], ARGV[1])
if redis.call('PTTL', KEYS[5]) < tonumber(ARGV[3]) then redis.call('PEXPIRE', KEYS[5], ARGV[3]) end
return {1, ARGV[1]}
`;

/**
 * Compare-and-set of a record, with the index changes its new state implies.
 * KEYS: record, conversation index, active set, team index.
 * ARGV: expected JSON, new JSON, id, '1' when closing, '1' when the team index is to be set.
 * Reply: 1 when written, 0 when the record changed (or expired) meanwhile.
 */
const UPDATE = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
local ttl = redis.call('PTTL', KEYS[1])
if ttl <= 0 then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ttl)
if ARGV[4] == '1' then
  if redis.call('GET', KEYS[2]) == ARGV[3] then redis.call('DEL', KEYS[2]) end
  redis.call('ZREM', KEYS[3], ARGV[3])
end
if ARGV[5] == '1' then redis.call('SET', KEYS[4], ARGV[3], 'PX', ttl) end
return 1
`;

/** KEYS: lines, record. ARGV: line JSON, max lines. Appends while the record lives; reply 1 or 0. */
const APPEND = `
local ttl = redis.call('PTTL', KEYS[2])
if ttl <= 0 then return 0 end
redis.call('RPUSH', KEYS[1], ARGV[1])
redis.call('LTRIM', KEYS[1], -tonumber(ARGV[2]), -1)
redis.call('PEXPIRE', KEYS[1], ttl)
return 1
`;

interface HandoffScripts {
  chatbotHandoffOpen(
    conv: string,
    record: string,
    user: string,
    active: string,
    workspace: string,
    ...argv: (string | number)[]
  ): Promise<unknown>;
  chatbotHandoffUpdate(
    record: string,
    conv: string,
    active: string,
    team: string,
    ...argv: string[]
  ): Promise<unknown>;
  chatbotHandoffAppend(lines: string, record: string, ...argv: (string | number)[]): Promise<unknown>;
}

function defineHandoffScripts(client: Redis | Cluster): HandoffScripts {
  client.defineCommand("chatbotHandoffOpen", { numberOfKeys: 5, lua: OPEN });
  client.defineCommand("chatbotHandoffUpdate", { numberOfKeys: 4, lua: UPDATE });
  client.defineCommand("chatbotHandoffAppend", { numberOfKeys: 2, lua: APPEND });
  // defineCommand adds the methods at run time; this is their typed view.
  return client as unknown as HandoffScripts;
}

/** A compare-and-set loses only to another change of the same record: a few tries always suffice. */
const MAX_CAS_TRIES = 8;

export function createRedisHandoffs(
  client: RedisClient,
  prefix: string,
  caller: Caller,
  log: Logger,
): HandoffStore {
  const keys: HandoffKeys = handoffKeys(prefix);
  const scripts = defineHandoffScripts(client);

  const readRaw = (id: string) => caller.run("handoff.get", () => client.get(keys.record(id)));
  const parse = (id: string, raw: string | null): HandoffRecord | undefined => {
    const rec = parseHandoff(raw);
    if (raw !== null && !rec) log.warn({ handoffId: id }, "dropped a corrupt hand-off record");
    return rec;
  };
  const read = async (id: string) => parse(id, await readRaw(id));

  /** Re-read, decide, write if unchanged; undefined when `change` declines or the record is gone. */
  const update = async (
    id: string,
    change: (rec: HandoffRecord) => HandoffRecord | undefined,
  ): Promise<HandoffRecord | undefined> => {
    for (let i = 0; i < MAX_CAS_TRIES; i++) {
      const raw = await readRaw(id);
      const rec = parse(id, raw);
      if (!rec || raw === null) return undefined;
      const next = change(rec);
      if (!next) return undefined;
      const closing = isActive(rec) && !isActive(next);
      const teamKey = next.team ? keys.team(teamThreadKeyOf(next.team)) : keys.team("-");
      const reply = await caller.run("handoff.update", () =>
        scripts.chatbotHandoffUpdate(
          keys.record(id),
          keys.conversation(threadKeyOf(rec.conversation)),
          keys.active,
          teamKey,
          raw,
          JSON.stringify(next),
          id,
          closing ? "1" : "0",
          next.team && !rec.team ? "1" : "0",
        ),
      );
      if (reply === 1) return next;
      if (reply !== 0) throw unexpectedReply("handoff.update", reply);
    }
    log.warn({ handoffId: id }, "hand-off kept changing under an update: gave up");
    return undefined;
  };

  return {
    kind: "hand-offs",

    async open(record: HandoffRecord, ttlMs: number): Promise<OpenResult> {
      const ttl = wholeMs("ttlMs", ttlMs);
      const reply = await caller.run("handoff.open", () =>
        scripts.chatbotHandoffOpen(
          keys.conversation(threadKeyOf(record.conversation)),
          keys.record(record.id),
          keys.user(record.userKey),
          keys.active,
          keys.workspace(workspaceKeyOf(record.conversation)),
          record.id,
          JSON.stringify(record),
          ttl,
          record.openedAt,
        ),
      );
      if (!Array.isArray(reply) || (reply[0] !== 0 && reply[0] !== 1))
        throw unexpectedReply("handoff.open", reply);
      if (reply[0] === 1) return { opened: true, record };
      const activeId = String(reply[1] ?? "");
      return { opened: false, active: activeId ? await read(activeId) : undefined };
    },

    get: read,

    async activeFor(threadKey: string): Promise<HandoffRecord | undefined> {
      const id = await caller.run("handoff.activeFor", () => client.get(keys.conversation(threadKey)));
      const rec = id ? await read(id) : undefined;
      return rec && isActive(rec) ? rec : undefined;
    },

    async forTeamThread(teamKey: string): Promise<HandoffRecord | undefined> {
      const id = await caller.run("handoff.forTeam", () => client.get(keys.team(teamKey)));
      return id ? read(id) : undefined;
    },

    attachTeam: (id: string, team: TeamThreadRef) => update(id, (rec) => ({ ...rec, team })),

    async setSummary(id: string, summary: string): Promise<void> {
      await update(id, (rec) => ({ ...rec, summary }));
    },

    async setNote(id: string, note: string): Promise<void> {
      await update(id, (rec) => ({ ...rec, note }));
    },

    transition: (id: string, to: "claimed" | "closed", by: string, at: number) =>
      update(id, (rec) => {
        if (rec.status === "closed" || (to === "claimed" && rec.status !== "open")) return undefined;
        return to === "claimed"
          ? { ...rec, status: "claimed", claimedBy: by, claimedAt: at }
          : { ...rec, status: "closed", closedBy: by, closedAt: at };
      }),

    async appendLine(id: string, line: RelayedLine): Promise<void> {
      await caller.run("handoff.append", () =>
        scripts.chatbotHandoffAppend(
          keys.lines(id),
          keys.record(id),
          JSON.stringify(line),
          MAX_RELAYED_LINES,
        ),
      );
    },

    async transcript(id: string): Promise<RelayedLine[]> {
      const raw = await caller.run("handoff.transcript", () => client.lrange(keys.lines(id), 0, -1));
      return raw.flatMap((r) => parseRelayedLine(r) ?? []);
    },

    async listActive(limit: number): Promise<HandoffRecord[]> {
      const ids = await caller.run("handoff.listActive", () => client.zrange(keys.active, "0", "-1"));
      if (ids.length === 0) return [];
      const raws = await caller.run("handoff.records", () => client.mget(ids.map((id) => keys.record(id))));
      const out: HandoffRecord[] = [];
      const stale: string[] = [];
      ids.forEach((id, i) => {
        const rec = parse(id, raws[i] ?? null);
        if (!rec || !isActive(rec)) stale.push(id);
        else if (out.length < limit) out.push(rec);
      });
      // An expired record leaves its id behind: tidy it up on the way.
      if (stale.length > 0) await caller.run("handoff.tidy", () => client.zrem(keys.active, ...stale));
      return out;
    },

    async once(key: string, ttlMs: number): Promise<boolean> {
      const reply = await caller.run("handoff.once", () =>
        client.set(keys.once(key), "1", "PX", wholeMs("ttlMs", ttlMs), "NX"),
      );
      return reply === "OK";
    },

    async forgetUser(userKey: string): Promise<number> {
      const ids = await caller.run("handoff.userIndex", () => client.zrange(keys.user(userKey), "0", "-1"));
      if (ids.length === 0) return 0;
      const raws = await caller.run("handoff.records", () => client.mget(ids.map((id) => keys.record(id))));
      const doomed: string[] = [keys.user(userKey)];
      const unlisted: [string, string][] = [];
      let deleted = 0;
      ids.forEach((id, i) => {
        const rec = parseHandoff(raws[i] ?? null);
        doomed.push(keys.record(id), keys.lines(id));
        if (!rec) return;
        deleted += 1;
        unlisted.push([keys.workspace(workspaceKeyOf(rec.conversation)), id]);
        if (isActive(rec)) doomed.push(keys.conversation(threadKeyOf(rec.conversation)));
        if (rec.team) doomed.push(keys.team(teamThreadKeyOf(rec.team)));
      });
      const tx = client.multi();
      for (const [name, id] of unlisted) tx.zrem(name, id);
      // One slot ({handoffs}): a MULTI is atomic on a Cluster too.
      await caller.run("handoff.forget", () =>
        tx
          .del(...doomed)
          .zrem(keys.active, ...ids)
          .exec(),
      );
      return deleted;
    },

    async forgetWorkspace(workspaceKey: string): Promise<number> {
      const wsKey = keys.workspace(workspaceKey);
      const ids = await caller.run("handoff.workspaceIndex", () => client.zrange(wsKey, "0", "-1"));
      if (ids.length === 0) return 0;
      const raws = await caller.run("handoff.records", () => client.mget(ids.map((id) => keys.record(id))));
      const doomed: string[] = [wsKey];
      const tx = client.multi();
      let deleted = 0;
      ids.forEach((id, i) => {
        const rec = parseHandoff(raws[i] ?? null);
        doomed.push(keys.record(id), keys.lines(id));
        if (!rec) return;
        deleted += 1;
        tx.zrem(keys.user(rec.userKey), id);
        if (isActive(rec)) doomed.push(keys.conversation(threadKeyOf(rec.conversation)));
        if (rec.team) doomed.push(keys.team(teamThreadKeyOf(rec.team)));
      });
      // One slot ({handoffs}): a MULTI is atomic on a Cluster too.
      await caller.run("handoff.forgetWorkspace", () =>
        tx
          .del(...doomed)
          .zrem(keys.active, ...ids)
          .exec(),
      );
      return deleted;
    },
  };
}
