import { describe, expect, it } from "vitest";
import type { TokenReservation } from "../../src/core/ports.js";
import { settleReservation } from "../../src/core/settle.js";
import { captureLog, WARN } from "../store/log-capture.js";

const reservation: TokenReservation = { id: "r1", userKey: "slack:U1", dayMs: 0, tokens: 1000 };

/** A gate whose settle fails `failures` times, then works; it records each attempt. */
function flakyGate(failures: number) {
  const attempts: number[] = [];
  return {
    attempts,
    async settleTokens(_r: TokenReservation, spent: number) {
      attempts.push(spent);
      if (attempts.length <= failures) throw new Error("store timeout");
    },
  };
}

const noWait = async () => {};

describe("settling a token reservation", () => {
  it("settles once, at once, when the store answers", async () => {
    const gate = flakyGate(0);
    expect(await settleReservation(gate, reservation, 400, captureLog().log)).toBeUndefined();
    expect(gate.attempts).toEqual([400]);
  });

  it("retries in the background after a failure, without making the caller wait", async () => {
    const gate = flakyGate(2);
    const { log, lines } = captureLog();
    let release!: () => void;
    const hold = new Promise<void>((resolve) => (release = resolve));
    const started = await settleReservation(gate, reservation, 400, log, { wait: () => hold });
    // The caller is back after the first try; the retries wait for their timer.
    expect(gate.attempts).toHaveLength(1);
    expect(lines.find((l) => l.level === WARN)?.msg).toMatch(/could not settle token usage/);
    release();
    expect(await started?.retries).toBe(true);
    expect(gate.attempts).toEqual([400, 400, 400]);
  });

  it("gives up after the last retry with an error log, never a rejected promise", async () => {
    const gate = flakyGate(100);
    const { log, lines } = captureLog();
    const started = await settleReservation(gate, reservation, 400, log, {
      delaysMs: [1, 2, 3],
      wait: noWait,
    });
    expect(await started?.retries).toBe(false);
    expect(gate.attempts).toHaveLength(4);
    expect(lines.at(-1)?.msg).toMatch(/frees itself when it expires/);
  });
});
