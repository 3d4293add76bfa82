/** Fixed lifetimes shared by both stores. */

/**
 * A day's token counter lives two days: it must outlast its UTC day (readers on a slightly skewed
 * clock may still look at yesterday's key around midnight) and then disappear on its own.
 */
export const TOKENS_KEY_TTL_MS = 2 * 24 * 60 * 60 * 1000;

/**
 * A token reservation counts against the budget at most this long: a settle that never arrives
 * (store errors, a crash mid-call) then frees itself instead of holding the tokens until midnight.
 * Five times OPENAI_TOTAL_TIMEOUT_MS's default (3 min), so a call still running keeps its reservation.
 */
export const TOKEN_RESERVATION_TTL_MS = 15 * 60 * 1000;
