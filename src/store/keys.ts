/**
 * Key names and time arithmetic shared by both stores. Redis uses these names verbatim; the memory
 * store uses the same names so a key dump of either looks alike.
 *
 * Every key of one thread (history, lock) and every key of one user (rate log, token budget, the
 * dedup marks of that user's messages) carries the same `{hash tag}`, so the multi-key Lua scripts
 * touch a single Redis Cluster slot.
 */

export const DEFAULT_KEY_PREFIX = "chatbot:";

/**
 * A turn marker outlives its lock this long at most: an answer orphaned for longer than a day is
 * not worth finalizing, and the marker must not live forever if nobody sweeps.
 */
export const TURN_MARKER_TTL_MS = 24 * 60 * 60 * 1000;

/** 24 h: the token budget resets at UTC midnight. */
export const DAY_MS = 24 * 60 * 60 * 1000;

export interface StoreKeys {
  history(threadKey: string): string;
  /** Whether a key is a thread's history (under this prefix). */
  isHistory(key: string): boolean;
  lock(threadKey: string): string;
  /** Marker of the turn running in the thread ("owner|marker"), until it commits or releases. */
  turn(threadKey: string): string;
  /** SCAN pattern matching every turn marker under this prefix. */
  turnPattern: string;
  /** The lock key of the thread a turn-marker key belongs to. */
  lockOfTurn(turnKey: string): string;
  rate(userKey: string): string;
  /** A person's conversation index for `/forget`: thread members scored by their expiry (epoch ms). */
  people(userKey: string): string;
  /** The user's token counter for the UTC day that contains `nowMs`. */
  tokens(userKey: string, nowMs: number): string;
  /** The user's open token reservations of that day: a ZSET of "id:tokens" scored by expiry (epoch ms). */
  reserved(userKey: string, nowMs: number): string;
  /** Dedup mark of one message, under the sender's tag so dedup + throttle run as one script. */
  seen(userKey: string, messageKey: string): string;
  kv(key: string): string;
  /**
   * A cached embedding. One hash tag for all of them, so a batch is one MGET even on a Cluster
   * (the cache is small: a few thousand vectors of a few KB).
   */
  vector(key: string): string;
  /** One platform budget's window; every budget of one scope shares the `{budget:scope}` tag. */
  budget(scope: string, name: string): string;
  /** Whether a key is a cached embedding (under this prefix). */
  isVector(key: string): boolean;
  /** One sealed platform installation; all of them and their index share the `{installations}` tag. */
  installation(id: string): string;
  /** The set of every installation id. */
  installationIndex: string;
  /** The thread keys of one installation (sorted set scored by last use). */
  workspaceThreads(scope: string): string;
  /**
   * The people (user keys) with conversations in one workspace (`workspaceKeyOf`), scored by when
   * their last one there expires: an uninstall removes those threads from their indexes.
   */
  workspacePeople(workspaceKey: string): string;
}

export function storeKeys(prefix: string): StoreKeys {
  return {
    history: (threadKey) => `${prefix}{${threadKey}}:history`,
    isHistory: (key) => key.startsWith(`${prefix}{`) && key.endsWith("}:history"),
    lock: (threadKey) => `${prefix}{${threadKey}}:lock`,
    turn: (threadKey) => `${prefix}{${threadKey}}:turn`,
    turnPattern: `${prefix.replace(/[*?[\]\\]/g, "\\$&")}{*}:turn`,
    lockOfTurn: (turnKey) => `${turnKey.slice(0, -":turn".length)}:lock`,
    rate: (userKey) => `${prefix}{${userKey}}:rate`,
    people: (userKey) => `${prefix}{${userKey}}:threads`,
    tokens: (userKey, nowMs) => `${prefix}{${userKey}}:tokens:${utcDayStamp(nowMs)}`,
    reserved: (userKey, nowMs) => `${prefix}{${userKey}}:reserved:${utcDayStamp(nowMs)}`,
    seen: (userKey, messageKey) => `${prefix}{${userKey}}:seen:${messageKey}`,
    kv: (key) => `${prefix}kv:${key}`,
    vector: (key) => `${prefix}{vectors}:${key}`,
    budget: (scope, name) => `${prefix}{budget:${scope}}:${name}`,
    isVector: (key) => key.startsWith(`${prefix}{vectors}:`),
    installation: (id) => `${prefix}{installations}:${id}`,
    installationIndex: `${prefix}{installations}:index`,
    workspaceThreads: (scope) => `${prefix}{workspace:${scope}}:threads`,
    workspacePeople: (workspaceKey) => `${prefix}{ws:${workspaceKey}}:people`,
  };
}

/** A stored turn marker is "owner|marker": the marker as the core wrote it, without the owner. */
export function markerBody(stored: string): string | undefined {
  const bar = stored.indexOf("|");
  return bar >= 0 && bar < stored.length - 1 ? stored.slice(bar + 1) : undefined;
}

/** The last day stamped: every turn stamps its day two or three times (a Date and 3 strings each). */
let stamped = { day: Number.NaN, stamp: "" };

/** `YYYYMMDD` of the UTC day containing `nowMs`. */
export function utcDayStamp(nowMs: number): string {
  const day = Math.floor(nowMs / DAY_MS);
  if (day !== stamped.day) {
    stamped = { day, stamp: new Date(nowMs).toISOString().slice(0, 10).replaceAll("-", "") };
  }
  return stamped.stamp;
}

/** Milliseconds from `nowMs` to the next UTC midnight (1 ms at the earliest, a day at most). */
export function msToNextUtcMidnight(nowMs: number): number {
  return DAY_MS - (((nowMs % DAY_MS) + DAY_MS) % DAY_MS);
}

/**
 * TTLs and windows reach both stores as whole positive milliseconds (Redis refuses `PX 0` and
 * fractions). A caller passing something else has a bug: it is a RangeError, not a store outage.
 */
export function wholeMs(name: string, value: number): number {
  if (!Number.isFinite(value) || value <= 0) {
    throw new RangeError(`${name} must be a positive number of milliseconds, got ${value}`);
  }
  return Math.ceil(value);
}

/** A count limit (requests per window, max turns, daily tokens) as a positive integer. */
export function positiveCount(name: string, value: number): number {
  if (!Number.isFinite(value) || value < 1) {
    throw new RangeError(`${name} must be at least 1, got ${value}`);
  }
  return Math.floor(value);
}

/** Vectors are stored as base64 of their float32 bytes (little-endian): 4 bytes per dimension plus a third. */
export function encodeVector(vector: Float32Array): string {
  return Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength).toString("base64");
}

/** The inverse of encodeVector; null for a value that is not a whole number of float32s. */
export function decodeVector(value: string | null): Float32Array | null {
  if (value === null) return null;
  const bytes = Buffer.from(value, "base64");
  if (bytes.length === 0 || bytes.length % 4 !== 0) return null;
  const copy = new Uint8Array(bytes);
  return new Float32Array(copy.buffer, 0, copy.length / 4);
}

/** Spent tokens as counted (whole, rounded up); null for nothing to count. */
export function spentTokens(tokens: number): number | null {
  const spent = Math.ceil(tokens);
  return Number.isFinite(spent) && spent > 0 ? spent : null;
}

/** Tokens to add to a day's counter when a reservation is settled with what was spent (may be < 0). */
export function settlementDelta(reservation: { tokens: number }, spent: number): number {
  return (spentTokens(spent) ?? 0) - reservation.tokens;
}
