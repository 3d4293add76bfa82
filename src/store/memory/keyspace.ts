/**
 * A tiny in-process keyspace with Redis-like value types and per-key expiry, so the memory store
 * can follow the Redis scripts step by step. Values are strings (JSON where Redis holds JSON), so
 * sizes and corrupt entries behave as they do in Redis.
 *
 * Expiry is lazy (an expired key is gone the moment anyone reads it) plus a periodic sweep that
 * frees keys nobody reads again; the sweep timer is unref'd so it never keeps the process alive.
 *
 * Size cap: with `maxKeys`, a write that would create a key beyond it first evicts the least
 * recently used key the owner marked `evictable` (the store marks conversation histories and
 * cached embeddings).
 * Locks, turn markers, dedup marks and limit counters are never evicted: losing one would let two
 * turns share a thread, answer a message twice or reset someone's limits. They all expire within
 * a day, so when only they are left the keyspace may pass the cap until they do.
 * Every operation still runs synchronously to its end, so eviction never splits one.
 */
import { StoreError } from "../../core/errors.js";
import { Lru } from "../../lru.js";

/** Sweep every minute: bounds garbage to a minute of expired keys at negligible CPU. */
export const DEFAULT_SWEEP_INTERVAL_MS = 60_000;
/** Over the cap with nothing evictable, expired keys are swept at most this often. */
const ROOM_SWEEP_INTERVAL_MS = 1000;

/** A sorted-set member: Redis ZSET semantics are only needed for a time-ordered request log. */
export interface ScoredMember {
  score: number;
  member: string;
}

export type KeyValue =
  | { type: "string"; value: string }
  | { type: "list"; items: string[] }
  | { type: "zset"; members: ScoredMember[] };

interface Slot {
  value: KeyValue;
  /** Epoch ms after which the key no longer exists; null = no expiry. */
  expiresAt: number | null;
}

export interface KeyspaceOptions {
  sweepIntervalMs?: number;
  /** Clock, epoch ms. */
  now?: () => number;
  /** Keys held at most (see the header); default: no cap. */
  maxKeys?: number;
  /** Which keys may be evicted to stay under `maxKeys`. Default: none. */
  evictable?: (key: string) => boolean;
  /** Called with each key evicted to make room. */
  onEvict?: (key: string) => void;
}

export class MemoryKeyspace {
  readonly now: () => number;
  private readonly slots = new Map<string, Slot>();
  /** The evictable keys, least recently used first (a use makes a key the most recent). */
  private readonly recent = new Lru<string, null>();
  private readonly maxKeys: number;
  private readonly evictable: (key: string) => boolean;
  private readonly onEvict: (key: string) => void;
  private lastRoomSweepAt = Number.NEGATIVE_INFINITY;
  private timer: NodeJS.Timeout | null;

  constructor(opts: KeyspaceOptions = {}) {
    this.now = opts.now ?? Date.now;
    this.maxKeys = opts.maxKeys ?? Number.POSITIVE_INFINITY;
    this.evictable = opts.evictable ?? (() => false);
    this.onEvict = opts.onEvict ?? (() => {});
    this.timer = setInterval(() => this.sweep(), opts.sweepIntervalMs ?? DEFAULT_SWEEP_INTERVAL_MS);
    this.timer.unref();
  }

  /** Keys currently held, expired-but-unswept ones included (what the process pays for). */
  get size(): number {
    return this.slots.size;
  }

  /** Live keys ending with `suffix` (a SCAN MATCH *suffix). */
  keysEndingWith(suffix: string): string[] {
    const now = this.now();
    const keys: string[] = [];
    for (const [key, slot] of this.slots) {
      if (key.endsWith(suffix) && (slot.expiresAt === null || slot.expiresAt > now)) keys.push(key);
    }
    return keys;
  }

  /** Drop every expired key. Returns how many were dropped. */
  sweep(): number {
    const now = this.now();
    let dropped = 0;
    for (const [key, slot] of this.slots) {
      if (slot.expiresAt !== null && slot.expiresAt <= now) {
        this.remove(key);
        dropped++;
      }
    }
    return dropped;
  }

  /** Stop the sweep timer. Reads and writes keep working (the store decides when it is closed). */
  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  getString(key: string): string | null {
    const slot = this.live(key);
    if (!slot) return null;
    if (slot.value.type !== "string") throw wrongType(key);
    return slot.value.value;
  }

  /** SET key value PX ttl [NX]. Returns false when NX was asked and the key exists. */
  setString(key: string, value: string, ttlMs: number | null, opts: { nx?: boolean } = {}): boolean {
    if (opts.nx && this.live(key)) return false;
    this.put(key, { value: { type: "string", value }, expiresAt: this.deadline(ttlMs) });
    return true;
  }

  /** INCRBY; a missing key counts from 0 and is created without expiry (as in Redis). */
  incrementBy(key: string, by: number): number {
    const slot = this.live(key);
    if (slot && slot.value.type !== "string") throw wrongType(key);
    const current = slot && slot.value.type === "string" ? slot.value.value : "0";
    if (!/^-?\d+$/.test(current)) {
      throw new StoreError(`memory store: value of ${key} is not an integer`);
    }
    const next = Number(current) + by;
    const value: KeyValue = { type: "string", value: String(next) };
    if (slot) slot.value = value;
    else this.put(key, { value, expiresAt: null });
    return next;
  }

  /** The list's items (a copy; oldest first), empty when missing. */
  getList(key: string): string[] {
    const slot = this.live(key);
    if (!slot) return [];
    if (slot.value.type !== "list") throw wrongType(key);
    return [...slot.value.items];
  }

  /** RPUSH then LTRIM to the last `keep` items. */
  pushAndTrim(key: string, item: string, keep: number): void {
    const slot = this.live(key);
    if (slot && slot.value.type !== "list") throw wrongType(key);
    const items = slot && slot.value.type === "list" ? slot.value.items : [];
    items.push(item);
    if (items.length > keep) items.splice(0, items.length - keep);
    if (!slot) this.put(key, { value: { type: "list", items }, expiresAt: null });
  }

  /** The sorted set's members (live array, ascending score), or undefined when missing. */
  zset(key: string): ScoredMember[] | undefined {
    const slot = this.live(key);
    if (!slot) return undefined;
    if (slot.value.type !== "zset") throw wrongType(key);
    return slot.value.members;
  }

  /** The sorted set's live members array, created empty when missing (callers keep it sorted). */
  zsetOrCreate(key: string): ScoredMember[] {
    const existing = this.zset(key);
    if (existing) return existing;
    const members: ScoredMember[] = [];
    this.slots.set(key, { value: { type: "zset", members }, expiresAt: null });
    return members;
  }

  /** ZADD one member, keeping ascending score order. */
  zadd(key: string, score: number, member: string): void {
    const slot = this.live(key);
    if (slot && slot.value.type !== "zset") throw wrongType(key);
    const members = slot && slot.value.type === "zset" ? slot.value.members : [];
    const existing = members.findIndex((m) => m.member === member);
    if (existing >= 0) members.splice(existing, 1);
    const at = members.findIndex((m) => m.score > score);
    members.splice(at < 0 ? members.length : at, 0, { score, member });
    if (!slot) this.put(key, { value: { type: "zset", members }, expiresAt: null });
  }

  /** PEXPIRE. Returns false when the key does not exist. */
  expire(key: string, ttlMs: number): boolean {
    const slot = this.live(key);
    if (!slot) return false;
    slot.expiresAt = this.deadline(ttlMs);
    return true;
  }

  /** PTTL: remaining ms, -1 without expiry, -2 when missing. */
  ttl(key: string): number {
    const slot = this.live(key);
    if (!slot) return -2;
    return slot.expiresAt === null ? -1 : slot.expiresAt - this.now();
  }

  delete(key: string): boolean {
    return this.remove(key);
  }

  private live(key: string): Slot | undefined {
    const slot = this.slots.get(key);
    if (slot && slot.expiresAt !== null && slot.expiresAt <= this.now()) {
      this.remove(key);
      return undefined;
    }
    // Marks an evictable key used (the others are not in `recent`).
    if (slot) this.recent.get(key);
    return slot;
  }

  /** Create or replace a key, evicting the least recently used evictable key if it is new and there is no room. */
  private put(key: string, slot: Slot): void {
    if (!this.slots.has(key) && this.slots.size >= this.maxKeys) this.makeRoom();
    this.slots.set(key, slot);
    if (this.evictable(key)) this.recent.set(key, null);
  }

  private makeRoom(): void {
    const victim = this.recent.shift();
    if (!victim) {
      // Nothing evictable: drop what has expired (a full scan, so at most once a second).
      const now = this.now();
      if (now - this.lastRoomSweepAt >= ROOM_SWEEP_INTERVAL_MS) {
        this.lastRoomSweepAt = now;
        this.sweep();
      }
      return;
    }
    this.slots.delete(victim.key);
    this.onEvict(victim.key);
  }

  private remove(key: string): boolean {
    this.recent.delete(key);
    return this.slots.delete(key);
  }

  private deadline(ttlMs: number | null): number | null {
    return ttlMs === null ? null : this.now() + ttlMs;
  }
}

function wrongType(key: string): StoreError {
  return new StoreError(`memory store: ${key} holds a value of another type`);
}
