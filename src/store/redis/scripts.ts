/**
 * The Lua scripts behind every multi-step operation. Each runs atomically on the server and costs
 * one round trip; all keys a script touches are passed in KEYS and share one hash tag, so the
 * scripts also run on Redis Cluster. ioredis sends a script's body once per connection (EVAL) and
 * its SHA afterwards (EVALSHA), re-sending the body if the server lost it.
 *
 * Lua note: a nil reply from redis.call arrives as `false`; tables become arrays; Lua numbers are
 * returned as integers.
 */
import type { Cluster, Redis } from "ioredis";
import { BOOK, BOOK_EACH, GRANT, SETTLE } from "./budget-scripts.js";

/**
 * Lua: give back the reservations (ZSET members "id:tokens" scored by their expiry) whose settle
 * never came, so a lost settle frees itself. Never takes the counter below zero.
 */
const RELEASE_EXPIRED = `
local function releaseExpired(counter, reserved, now)
  local expired = redis.call('ZRANGEBYSCORE', reserved, '-inf', now)
  if #expired == 0 then return end
  local back = 0
  for _, member in ipairs(expired) do
    back = back + (tonumber(string.match(member, ':(%d+)$')) or 0)
  end
  redis.call('ZREMRANGEBYSCORE', reserved, '-inf', now)
  local used = tonumber(redis.call('GET', counter) or '0') or 0
  if used > 0 then redis.call('DECRBY', counter, math.min(used, back)) end
end
`;

/**
 * Dedup mark, then daily token budget, then sliding-window request log. Time comes from the
 * server (TIME) so replicas with skewed clocks share one window.
 * KEYS: seen mark, rate log (ZSET of request times), today's token counter, today's reservations.
 * ARGV: dedupTtlMs, requests, windowMs, dailyTokens, messageKey.
 * Reply: {'duplicate'} | {'ok'} | {'tokens', retryAfterMs} | {'rate', retryAfterMs}.
 */
const ADMIT = `
-- Redis < 5 needs this before any write when the script reads TIME; later versions ignore it.
if redis.replicate_commands then redis.replicate_commands() end
if not redis.call('SET', KEYS[1], '1', 'NX', 'PX', ARGV[1]) then
  return {'duplicate'}
end
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local day = 86400000
${RELEASE_EXPIRED}
releaseExpired(KEYS[3], KEYS[4], now)
local used = tonumber(redis.call('GET', KEYS[3]) or '0') or 0
if used >= tonumber(ARGV[4]) then
  return {'tokens', day - (now % day)}
end
local window = tonumber(ARGV[3])
local requests = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now - window)
local count = redis.call('ZCARD', KEYS[2])
if count >= requests then
  -- A slot frees when the entry that brings the count below the limit leaves the window:
  -- the oldest one, unless the limit was lowered since the log filled up.
  local freeing = redis.call('ZRANGE', KEYS[2], count - requests, count - requests, 'WITHSCORES')
  return {'rate', math.max(1, tonumber(freeing[2]) + window - now)}
end
redis.call('ZADD', KEYS[2], now, now .. ':' .. ARGV[5])
redis.call('PEXPIRE', KEYS[2], window)
return {'ok'}
`;

/**
 * Reserve tokens: give back expired reservations, then add `tokens` to the day's counter if the
 * total stays within the limit, and record the reservation until it is settled or expires.
 * KEYS: the day's token counter, the day's reservations. ARGV: tokens, counter TTL ms, limit,
 * reservation id, reservation TTL ms.
 * Reply: 1 when reserved, 0 when it does not fit.
 */
const RESERVE_TOKENS = `
if redis.replicate_commands then redis.replicate_commands() end
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
${RELEASE_EXPIRED}
releaseExpired(KEYS[1], KEYS[2], now)
local tokens = tonumber(ARGV[1])
if (tonumber(redis.call('GET', KEYS[1]) or '0') or 0) + tokens > tonumber(ARGV[3]) then
  return 0
end
redis.call('INCRBY', KEYS[1], tokens)
redis.call('PEXPIRE', KEYS[1], ARGV[2])
redis.call('ZADD', KEYS[2], now + tonumber(ARGV[5]), ARGV[4] .. ':' .. tokens)
redis.call('PEXPIRE', KEYS[2], ARGV[2])
return 1
`;

/**
 * Settle a reservation: if it is still recorded, drop it and correct the counter by what was
 * really spent. Once it is gone (settled already, or expired and given back) nothing changes,
 * so a retried settle never counts twice.
 * KEYS: the day's token counter, the day's reservations. ARGV: member "id:tokens", delta,
 * counter TTL ms.
 * Reply: 1 when settled now, 0 when it was gone.
 */
const SETTLE_TOKENS = `
if redis.call('ZREM', KEYS[2], ARGV[1]) == 0 then return 0 end
local delta = tonumber(ARGV[2])
local used = tonumber(redis.call('GET', KEYS[1]) or '0') or 0
if delta < 0 then delta = math.max(delta, -used) end
if delta ~= 0 then
  redis.call('INCRBY', KEYS[1], delta)
  redis.call('PEXPIRE', KEYS[1], ARGV[3])
end
return 1
`;

/**
 * Add tokens to a day's counter: spent ones, a reservation (only if the day's total stays within
 * the limit), or reserved ones given back (a negative delta; skipped when the counter expired
 * meanwhile, or it would come back below zero).
 * KEYS: the day's token counter. ARGV: delta, counter TTL ms, limit (0: none).
 * Reply: 1 when added, 0 when not.
 */
const ADD_TOKENS = `
local delta = tonumber(ARGV[1])
local limit = tonumber(ARGV[3] or '0')
if limit > 0 and (tonumber(redis.call('GET', KEYS[1]) or '0') or 0) + delta > limit then
  return 0
end
if delta < 0 and redis.call('EXISTS', KEYS[1]) == 0 then
  return 0
end
redis.call('INCRBY', KEYS[1], delta)
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1
`;

/**
 * Take the lock; when taken, hand back the marker of a turn that died holding the thread, leave
 * this turn's marker (when given), and describe the history's ends: its length and last entry.
 * The history itself is read by a plain LRANGE sent with this script (threads.ts): a reply built
 * in Lua copies every entry into Lua and out again, which more than doubled Redis's CPU for an
 * acquire (20 entries of 4 KB: ~235 µs against ~100). The ends tell whether that read saw the
 * history the lock found: it leaves after the script but runs before it when the script is sent
 * again (Redis lost it: ioredis reloads it on NOSCRIPT) or redirected (a Cluster slot moving).
 * KEYS: lock, history, turn marker. ARGV: owner, ttlMs, marker ('' for none), marker ttl ms.
 * Reply: {1, orphan or '', length, last entry or ''} | {0}.
 */
const ACQUIRE = `
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
  local orphan = redis.call('GET', KEYS[3]) or ''
  if ARGV[3] ~= '' then
    redis.call('SET', KEYS[3], ARGV[1] .. '|' .. ARGV[3], 'PX', ARGV[4])
  elseif orphan ~= '' then
    redis.call('DEL', KEYS[3])
  end
  return {1, orphan, redis.call('LLEN', KEYS[2]), redis.call('LINDEX', KEYS[2], -1) or ''}
end
return {0}
`;

/** Lua: delete the turn marker in KEYS[n] if it is owner ARGV[1]'s. */
const DROP_OWN_MARKER = (n: number) => `
local marker = redis.call('GET', KEYS[${n}])
if marker and string.sub(marker, 1, #ARGV[1] + 1) == ARGV[1] .. '|' then
  redis.call('DEL', KEYS[${n}])
end
`;

/**
 * Take the marker of a turn whose lock is gone (its process died): exactly one caller gets it.
 * KEYS: lock, turn marker. Reply: the marker, or false while the lock is held or nothing is left.
 */
const CLAIM_ORPHAN = `
if redis.call('EXISTS', KEYS[1]) == 1 then
  return false
end
local marker = redis.call('GET', KEYS[2])
if marker then
  redis.call('DEL', KEYS[2])
end
return marker
`;

/** KEYS: lock. ARGV: owner, ttlMs. Reply: 1 when extended, 0 when not the owner. */
const EXTEND = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
`;

/** KEYS: lock, turn marker. ARGV: owner. Reply: 1 when released, 0 when not the owner. */
const RELEASE = `${DROP_OWN_MARKER(2)}
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
`;

/**
 * Save the turn whether or not the lock is still ours (the answer was already shown), cap and
 * expire the history, drop this turn's marker, release the lock if still held.
 * KEYS: lock, history, turn marker. ARGV: owner, turn JSON, maxTurns, ttlMs. Reply: 1 if the lock was held.
 */
const COMMIT = `${DROP_OWN_MARKER(3)}
redis.call('RPUSH', KEYS[2], ARGV[2])
redis.call('LTRIM', KEYS[2], -tonumber(ARGV[3]), -1)
redis.call('PEXPIRE', KEYS[2], ARGV[4])
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('DEL', KEYS[1])
  return 1
end
return 0
`;

/** KEYS: counter. ARGV: ttlMs, set only when the counter has no expiry (it was just created); by. */
const INCREMENT = `
local value = redis.call('INCRBY', KEYS[1], ARGV[2])
if redis.call('PTTL', KEYS[1]) == -1 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
end
return value
`;

/**
 * Add a thread to a person's conversation index (store/people.ts), scored by when its history
 * expires (server time, like the history's PEXPIRE); drop members already expired; let the index
 * expire with its last thread.
 * KEYS: the person's index. ARGV: member, history ttlMs. Reply: 1.
 */
const INDEX_THREAD_STEPS = `
if redis.replicate_commands then redis.replicate_commands() end
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
local last = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
redis.call('PEXPIREAT', KEYS[1], last[2])
`;
const INDEX_THREAD = `${INDEX_THREAD_STEPS}
return 1
`;

/**
 * INDEX_THREAD for the person who asked, and the tokens their turn spent added to their day's
 * counter (ADD_TOKENS without a limit): both keys are under the person's hash tag, so the save's
 * token count costs no command of its own.
 * KEYS: the person's index, their day's token counter. ARGV: member, history ttlMs, tokens,
 * counter TTL ms. Reply: 1.
 */
const INDEX_THREAD_SPENT = `${INDEX_THREAD_STEPS}
redis.call('INCRBY', KEYS[2], ARGV[3])
redis.call('PEXPIRE', KEYS[2], ARGV[4])
return 1
`;

/**
 * Delete one person's part of a thread's history: all of it when the thread is private ('p'),
 * else the turns whose author is the person. Unreadable entries are nobody's and stay.
 * KEYS: history. ARGV: user key, 'p' | 's'. Reply: turns deleted.
 */
const FORGET_TURNS = `
if ARGV[2] == 'p' then
  local n = redis.call('LLEN', KEYS[1])
  redis.call('DEL', KEYS[1])
  return n
end
local removed = 0
for _, raw in ipairs(redis.call('LRANGE', KEYS[1], 0, -1)) do
  local ok, turn = pcall(cjson.decode, raw)
  if ok and type(turn) == 'table' and turn['author'] == ARGV[1] then
    removed = removed + redis.call('LREM', KEYS[1], 1, raw)
  end
end
return removed
`;

/**
 * Remove handled members from a person's index, each only if its score is still the one read
 * (a turn committed meanwhile re-scores it, and that thread must stay indexed).
 * KEYS: index. ARGV: member, score, member, score... Reply: members removed.
 */
const UNINDEX = `
local removed = 0
for i = 1, #ARGV, 2 do
  if redis.call('ZSCORE', KEYS[1], ARGV[i]) == ARGV[i + 1] then
    removed = removed + redis.call('ZREM', KEYS[1], ARGV[i])
  end
end
return removed
`;

const SCRIPTS = {
  chatbotAdmit: { numberOfKeys: 4, lua: ADMIT },
  chatbotAddTokens: { numberOfKeys: 1, lua: ADD_TOKENS },
  chatbotReserveTokens: { numberOfKeys: 2, lua: RESERVE_TOKENS },
  chatbotSettleTokens: { numberOfKeys: 2, lua: SETTLE_TOKENS },
  chatbotAcquire: { numberOfKeys: 3, lua: ACQUIRE },
  chatbotExtend: { numberOfKeys: 1, lua: EXTEND },
  chatbotRelease: { numberOfKeys: 2, lua: RELEASE },
  chatbotCommit: { numberOfKeys: 3, lua: COMMIT },
  chatbotClaimOrphan: { numberOfKeys: 2, lua: CLAIM_ORPHAN },
  chatbotIncrement: { numberOfKeys: 1, lua: INCREMENT },
  chatbotGrant: { numberOfKeys: 2, lua: GRANT },
  // A booking touches one window per slot: the key count is passed first.
  chatbotBook: { lua: BOOK },
  chatbotBookEach: { numberOfKeys: 1, lua: BOOK_EACH },
  chatbotSettle: { numberOfKeys: 1, lua: SETTLE },
  chatbotIndexThread: { numberOfKeys: 1, lua: INDEX_THREAD },
  chatbotIndexThreadSpent: { numberOfKeys: 2, lua: INDEX_THREAD_SPENT },
  chatbotForgetTurns: { numberOfKeys: 1, lua: FORGET_TURNS },
  chatbotUnindex: { numberOfKeys: 1, lua: UNINDEX },
} as const;

type Arg = string | number;

/** The scripts as methods of the client (ioredis `defineCommand`). Replies are checked by callers. */
export interface ScriptCommands {
  chatbotAdmit(
    seen: string,
    rate: string,
    tokens: string,
    reserved: string,
    ...argv: Arg[]
  ): Promise<unknown>;
  chatbotAddTokens(tokens: string, ...argv: Arg[]): Promise<unknown>;
  chatbotReserveTokens(tokens: string, reserved: string, ...argv: Arg[]): Promise<unknown>;
  chatbotSettleTokens(tokens: string, reserved: string, ...argv: Arg[]): Promise<unknown>;
  chatbotAcquire(lock: string, history: string, turn: string, ...argv: Arg[]): Promise<unknown>;
  chatbotExtend(lock: string, ...argv: Arg[]): Promise<unknown>;
  chatbotRelease(lock: string, turn: string, ...argv: Arg[]): Promise<unknown>;
  chatbotCommit(lock: string, history: string, turn: string, ...argv: Arg[]): Promise<unknown>;
  chatbotClaimOrphan(lock: string, turn: string): Promise<unknown>;
  chatbotIncrement(counter: string, ...argv: Arg[]): Promise<unknown>;
  chatbotGrant(window: string, saturated: string, ...argv: Arg[]): Promise<unknown>;
  chatbotBook(numberOfKeys: number, ...keysThenArgv: Arg[]): Promise<unknown>;
  chatbotBookEach(window: string, ...argv: Arg[]): Promise<unknown>;
  chatbotSettle(window: string, ...argv: Arg[]): Promise<unknown>;
  chatbotIndexThread(index: string, ...argv: Arg[]): Promise<unknown>;
  chatbotIndexThreadSpent(index: string, tokens: string, ...argv: Arg[]): Promise<unknown>;
  chatbotForgetTurns(history: string, ...argv: Arg[]): Promise<unknown>;
  chatbotUnindex(index: string, ...argv: Arg[]): Promise<unknown>;
}

export function defineScripts(client: Redis | Cluster): ScriptCommands {
  for (const [name, definition] of Object.entries(SCRIPTS)) client.defineCommand(name, definition);
  // defineCommand adds the methods at run time; this is their typed view.
  return client as unknown as ScriptCommands;
}
