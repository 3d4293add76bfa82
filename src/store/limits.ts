/** Fixed lifetimes shared by both stores. */

/**
 * A day's token counter lives two days: it must outlast its UTC day (readers on a slightly skewed
 * clock may still look at yesterday's key around midnight) and then disappear on its own.
 */
export const TOKENS_KEY_TTL_MS = 2 * 24 * 60 * 60 * 1000;
