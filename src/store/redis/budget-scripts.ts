/**
 * Lua for the platform rate budgets: the steps of core/rate-window.ts (its HORIZON_AGE_SHARE is
 * the `/ 8` below, its EVEN_SHARE_FACTOR the `4 * k`), atomically on the server
 * with the server's clock (TIME), so replicas with skewed clocks share one window. Every key of a
 * call carries the scope's hash tag, so the scripts run on Redis Cluster too.
 */

const NOW = `
if redis.replicate_commands then redis.replicate_commands() end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
`;

/** PEXPIRE the window key until its newest entry (perhaps a future booking) leaves the window. */
const KEEP_UNTIL_NEWEST_LEAVES = `
local function keep(key, window)
  local newest = redis.call('ZRANGE', key, -1, -1, 'WITHSCORES')
  if newest[2] then
    redis.call('PEXPIRE', key, math.max(1, math.ceil(tonumber(newest[2]) - now + window)))
  end
end
`;

/**
 * KEYS: the window, its saturation marker (when frames last found the window full: see
 * GrantOutcome.saturated). ARGV: limit, windowMs, reserve, horizonMs, finals, frames, nonce.
 * Reply: {finals granted, frames granted, retryAfterMs}.
 */
export const GRANT = `${NOW}${KEEP_UNTIL_NEWEST_LEAVES}
local key = KEYS[1]
local limit = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local reserve = tonumber(ARGV[3])
local horizon = tonumber(ARGV[4])
local askFinals = tonumber(ARGV[5])
local askFrames = tonumber(ARGV[6])
redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
local count = redis.call('ZCARD', key)
local function freesIn(index)
  if index < 0 then index = 0 end
  local e = redis.call('ZRANGE', key, index, index, 'WITHSCORES')
  if not e[2] then return 1 end
  return math.max(1, math.ceil(tonumber(e[2]) + window - now))
end
local retry = 0
local finals = math.max(0, math.min(askFinals, limit - count))
for i = 0, finals - 1 do
  redis.call('ZADD', key, now, now .. ':' .. ARGV[7] .. ':' .. i)
end
count = count + finals
if finals < askFinals then retry = freesIn(count - limit) end
local frames = 0
local saturated = false
if askFrames > 0 then
  local frameLimit = limit - reserve
  local free = frameLimit - count
  local wait = nil
  if free <= 0 then
    saturated = true
    wait = freesIn(count - frameLimit)
  else
    local satAt = tonumber(redis.call('GET', KEYS[2]))
    local sustained = satAt ~= nil and now - satAt < window
    local h = window
    if not sustained then
      local oldest = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
      h = horizon
      if oldest[2] then h = math.max(horizon, math.max(0, now - tonumber(oldest[2])) / 8) end
    end
    local function spacingAt(k)
      if sustained then return h / frameLimit end
      return h / math.min(frameLimit, 4 * k)
    end
    local spacing = spacingAt(free)
    local last = redis.call('ZREVRANGEBYSCORE', key, now, '-inf', 'WITHSCORES', 'LIMIT', 0, 1)
    local since = math.huge
    if last[2] then since = now - tonumber(last[2]) end
    if since >= spacing then
      local accrued = free
      if sustained then accrued = 1 elseif spacing > 0 then accrued = math.floor(since / spacing) end
      frames = math.min(askFrames, free, math.max(1, accrued))
      for i = 0, frames - 1 do
        redis.call('ZADD', key, now, now .. ':' .. ARGV[7] .. ':' .. (finals + i))
      end
    end
    if frames < askFrames then
      if sustained then saturated = true end
      local left = free - frames
      if left > 0 then
        if frames > 0 then
          wait = math.max(1, math.ceil(spacingAt(left)))
        else
          wait = math.max(1, math.ceil(spacing - since))
        end
      else
        wait = freesIn(count + frames - frameLimit)
      end
    end
  end
  if wait then
    if retry > 0 then retry = math.min(retry, wait) else retry = wait end
  end
end
if saturated then redis.call('SET', KEYS[2], now, 'PX', window) end
keep(key, window)
return {finals, frames, retry}
`;

/**
 * KEYS: one window per slot (one scope). ARGV: id, then limit, windowMs, holdMs per key.
 * Reply: {1, 0} when booked in every window, {0, retryAfterMs} when one of them is full.
 */
export const BOOK = `${NOW}${KEEP_UNTIL_NEWEST_LEAVES}
local retry = 0
for i = 1, #KEYS do
  local limit = tonumber(ARGV[3 * i - 1])
  local window = tonumber(ARGV[3 * i])
  redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', now - window)
  local count = redis.call('ZCARD', KEYS[i])
  if count >= limit then
    local e = redis.call('ZRANGE', KEYS[i], count - limit, count - limit, 'WITHSCORES')
    retry = math.max(retry, math.max(1, math.ceil(tonumber(e[2]) + window - now)))
  end
end
if retry > 0 then return {0, retry} end
for i = 1, #KEYS do
  redis.call('ZADD', KEYS[i], now + tonumber(ARGV[3 * i + 1]), ARGV[1])
  keep(KEYS[i], tonumber(ARGV[3 * i]))
end
return {1, 0}
`;

/**
 * KEYS: the window. ARGV: limit, windowMs, holdMs, then the ids to book, in order.
 * Reply: {booked (the first that many ids), retryAfterMs (0 when all were booked)}.
 */
export const BOOK_EACH = `${NOW}${KEEP_UNTIL_NEWEST_LEAVES}
local limit = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local hold = tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local count = redis.call('ZCARD', KEYS[1])
local n = #ARGV - 3
local booked = math.min(n, math.max(0, limit - count))
for i = 1, booked do
  redis.call('ZADD', KEYS[1], now + hold, ARGV[3 + i])
end
keep(KEYS[1], window)
if booked == n then return {booked, 0} end
local e = redis.call('ZRANGE', KEYS[1], count + booked - limit, count + booked - limit, 'WITHSCORES')
return {booked, math.max(1, math.ceil(tonumber(e[2]) + window - now))}
`;

/** KEYS: the window. ARGV: id, '1' when used now (else freed). Reply: 1 if the booking was there. */
export const SETTLE = `${NOW}
if not redis.call('ZSCORE', KEYS[1], ARGV[1]) then return 0 end
if ARGV[2] == '1' then
  redis.call('ZADD', KEYS[1], now, ARGV[1])
else
  redis.call('ZREM', KEYS[1], ARGV[1])
end
return 1
`;
