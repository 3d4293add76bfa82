/**
 * Hand-off records over the memory keyspace, step for step what the Redis scripts do (see
 * redis/handoffs.ts): each method runs synchronously to its end, which makes it atomic here.
 */
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
import type { MemoryKeyspace } from "./keyspace.js";

export function createMemoryHandoffs(
  space: MemoryKeyspace,
  prefix: string,
  log: Logger,
  ensureOpen: () => void,
): HandoffStore {
  const keys: HandoffKeys = handoffKeys(prefix);

  const read = (id: string): HandoffRecord | undefined => {
    const raw = space.getString(keys.record(id));
    const rec = parseHandoff(raw);
    if (raw !== null && !rec) log.warn({ handoffId: id }, "dropped a corrupt hand-off record");
    return rec;
  };
  const ttlOf = (id: string) => {
    const left = space.ttl(keys.record(id));
    return left > 0 ? left : 1;
  };
  const write = (rec: HandoffRecord, ttlMs: number) => {
    space.setString(keys.record(rec.id), JSON.stringify(rec), ttlMs);
    space.expire(keys.lines(rec.id), ttlMs);
    space.expire(keys.user(rec.userKey), ttlMs);
    if (rec.team) space.setString(keys.team(teamThreadKeyOf(rec.team)), rec.id, ttlMs);
    if (isActive(rec)) space.setString(keys.conversation(threadKeyOf(rec.conversation)), rec.id, ttlMs);
  };
  const removeMember = (key: string, member: string) => {
    const members = space.zset(key);
    const at = members?.findIndex((m) => m.member === member) ?? -1;
    if (members && at >= 0) members.splice(at, 1);
  };

  return {
    kind: "hand-offs",

    async open(record: HandoffRecord, ttlMs: number): Promise<OpenResult> {
      ensureOpen();
      const ttl = wholeMs("ttlMs", ttlMs);
      const convKey = keys.conversation(threadKeyOf(record.conversation));
      if (!space.setString(convKey, record.id, ttl, { nx: true })) {
        const active = space.getString(convKey);
        return { opened: false, active: active ? read(active) : undefined };
      }
      space.zadd(keys.user(record.userKey), record.openedAt, record.id);
      space.zadd(keys.active, record.openedAt, record.id);
      const wsKey = keys.workspace(workspaceKeyOf(record.conversation));
      space.zadd(wsKey, record.openedAt, record.id);
      const left = space.ttl(wsKey);
      if (left === -1 || left < ttl) space.expire(wsKey, ttl);
      write(record, ttl);
      return { opened: true, record };
    },

    async get(id: string): Promise<HandoffRecord | undefined> {
      ensureOpen();
      return read(id);
    },

    async activeFor(threadKey: string): Promise<HandoffRecord | undefined> {
      ensureOpen();
      const id = space.getString(keys.conversation(threadKey));
      const rec = id ? read(id) : undefined;
      return rec && isActive(rec) ? rec : undefined;
    },

    async forTeamThread(teamKey: string): Promise<HandoffRecord | undefined> {
      ensureOpen();
      const id = space.getString(keys.team(teamKey));
      return id ? read(id) : undefined;
    },

    async attachTeam(id: string, team: TeamThreadRef): Promise<HandoffRecord | undefined> {
      ensureOpen();
      const rec = read(id);
      if (!rec) return undefined;
      const next = { ...rec, team };
      write(next, ttlOf(id));
      return next;
    },

    async setSummary(id: string, summary: string): Promise<void> {
      ensureOpen();
      const rec = read(id);
      if (rec) write({ ...rec, summary }, ttlOf(id));
    },

    async setNote(id: string, note: string): Promise<void> {
      ensureOpen();
      const rec = read(id);
      if (rec) write({ ...rec, note }, ttlOf(id));
    },

    async transition(id: string, to: "claimed" | "closed", by: string, at: number) {
      ensureOpen();
      const rec = read(id);
      if (!rec || rec.status === "closed" || (to === "claimed" && rec.status !== "open")) return undefined;
      const next: HandoffRecord =
        to === "claimed"
          ? { ...rec, status: "claimed", claimedBy: by, claimedAt: at }
          : { ...rec, status: "closed", closedBy: by, closedAt: at };
      const ttl = ttlOf(id);
      if (to === "closed") {
        const convKey = keys.conversation(threadKeyOf(rec.conversation));
        if (space.getString(convKey) === id) space.delete(convKey);
        removeMember(keys.active, id);
      }
      write(next, ttl);
      return next;
    },

    async appendLine(id: string, line: RelayedLine): Promise<void> {
      ensureOpen();
      space.pushAndTrim(keys.lines(id), JSON.stringify(line), MAX_RELAYED_LINES);
      space.expire(keys.lines(id), ttlOf(id));
    },

    async transcript(id: string): Promise<RelayedLine[]> {
      ensureOpen();
      return space.getList(keys.lines(id)).flatMap((raw) => parseRelayedLine(raw) ?? []);
    },

    async listActive(limit: number): Promise<HandoffRecord[]> {
      ensureOpen();
      const members = [...(space.zset(keys.active) ?? [])];
      const out: HandoffRecord[] = [];
      for (const m of members) {
        const rec = read(m.member);
        // A record that expired leaves its id behind: tidy it up on the way.
        if (!rec || !isActive(rec)) removeMember(keys.active, m.member);
        else if (out.length < limit) out.push(rec);
      }
      return out;
    },

    async once(key: string, ttlMs: number): Promise<boolean> {
      ensureOpen();
      return space.setString(keys.once(key), "1", wholeMs("ttlMs", ttlMs), { nx: true });
    },

    async forgetUser(userKey: string): Promise<number> {
      ensureOpen();
      const ids = (space.zset(keys.user(userKey)) ?? []).map((m) => m.member);
      let deleted = 0;
      for (const id of ids) {
        const rec = read(id);
        if (rec) {
          const convKey = keys.conversation(threadKeyOf(rec.conversation));
          if (space.getString(convKey) === id) space.delete(convKey);
          if (rec.team) space.delete(keys.team(teamThreadKeyOf(rec.team)));
          removeMember(keys.workspace(workspaceKeyOf(rec.conversation)), id);
          deleted += 1;
        }
        space.delete(keys.record(id));
        space.delete(keys.lines(id));
        removeMember(keys.active, id);
      }
      space.delete(keys.user(userKey));
      return deleted;
    },

    async forgetWorkspace(workspaceKey: string): Promise<number> {
      ensureOpen();
      const wsKey = keys.workspace(workspaceKey);
      let deleted = 0;
      for (const { member: id } of [...(space.zset(wsKey) ?? [])]) {
        const rec = read(id);
        if (rec) {
          const convKey = keys.conversation(threadKeyOf(rec.conversation));
          if (space.getString(convKey) === id) space.delete(convKey);
          if (rec.team) space.delete(keys.team(teamThreadKeyOf(rec.team)));
          removeMember(keys.user(rec.userKey), id);
          deleted += 1;
        }
        space.delete(keys.record(id));
        space.delete(keys.lines(id));
        removeMember(keys.active, id);
      }
      space.delete(wsKey);
      return deleted;
    },
  };
}
