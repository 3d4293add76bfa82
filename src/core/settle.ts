/**
 * Settling a token reservation (GateStore.settleTokens) after a model call. A settle that fails
 * (a Redis failover, a timeout) is retried a few times in the background, so the turn does not
 * wait for the store to come back; settles apply once, so a retry after a lost reply is safe.
 * If every retry fails, the store's reservation TTL (TOKEN_RESERVATION_TTL_MS) frees the tokens.
 */
import type { Logger } from "../log.js";
import type { GateStore, TokenReservation } from "./ports.js";

/** Waits before each retry: a failover takes seconds; past a minute the reservation's TTL is the safety net. */
export const SETTLE_RETRY_DELAYS_MS: readonly number[] = [1_000, 5_000, 30_000];

export interface SettleOptions {
  delaysMs?: readonly number[];
  /** Resolves after `ms` (tests pass their own clock). */
  wait?: (ms: number) => Promise<void>;
}

/**
 * Settle now; on failure start the retries and return. Resolves to the retries (their outcome:
 * true once settled) when they were needed, else undefined: callers need not wait for them.
 */
export async function settleReservation(
  gate: Pick<GateStore, "settleTokens">,
  reservation: TokenReservation,
  spent: number,
  log: Logger,
  opts: SettleOptions = {},
): Promise<{ retries: Promise<boolean> } | undefined> {
  try {
    await gate.settleTokens(reservation, spent);
    return undefined;
  } catch (err) {
    log.warn({ err, reserved: reservation.tokens, spent }, "could not settle token usage; retrying");
  }
  // Never a rejection: nobody awaits the retries.
  return { retries: retry(gate, reservation, spent, log, opts).catch(() => false) };
}

async function retry(
  gate: Pick<GateStore, "settleTokens">,
  reservation: TokenReservation,
  spent: number,
  log: Logger,
  opts: SettleOptions,
): Promise<boolean> {
  const delays = opts.delaysMs ?? SETTLE_RETRY_DELAYS_MS;
  const wait = opts.wait ?? unrefSleep;
  for (const [i, delayMs] of delays.entries()) {
    await wait(delayMs);
    try {
      await gate.settleTokens(reservation, spent);
      log.info({ attempt: i + 2 }, "token usage settled on a retry");
      return true;
    } catch (err) {
      if (i === delays.length - 1) {
        log.error(
          { err, reserved: reservation.tokens, spent },
          "could not settle token usage; the reservation frees itself when it expires",
        );
      }
    }
  }
  return false;
}

/** A timer that does not keep the process alive at shutdown (the reservation's TTL covers it). */
function unrefSleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
