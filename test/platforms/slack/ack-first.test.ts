import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import {
  AckFirst,
  MAX_START_DELAY_MS,
  QUIET_MS,
  START_SLICE,
} from "../../../src/platforms/slack/ack-first.js";

describe("acks before the work events start", () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  function startsOf(gate: AckFirst, n: number): boolean[] {
    const started = Array<boolean>(n).fill(false);
    for (let i = 0; i < n; i++)
      void gate.afterAcks()?.then(() => {
        started[i] = true;
      });
    return started;
  }

  it("holds started work while acks are being written and starts it once the burst is over", async () => {
    const gate = new AckFirst();
    gate.enter();
    gate.enter();
    const started = startsOf(gate, 3);
    gate.leave();
    await vi.advanceTimersByTimeAsync(QUIET_MS * 5);
    expect(started).toEqual([false, false, false]); // one ack still pending
    gate.leave();
    await vi.advanceTimersByTimeAsync(QUIET_MS - 1);
    gate.enter(); // the burst goes on
    gate.leave();
    await vi.advanceTimersByTimeAsync(QUIET_MS - 1);
    expect(started).toEqual([false, false, false]);
    await vi.advanceTimersByTimeAsync(1);
    expect(started).toEqual([true, true, true]);
  });

  it("starts waiting work after the longest delay even while acks keep coming", async () => {
    const gate = new AckFirst();
    gate.enter();
    const started = startsOf(gate, 2);
    for (let t = 0; t < MAX_START_DELAY_MS - 10; t += 10) {
      gate.enter();
      gate.leave();
      await vi.advanceTimersByTimeAsync(10);
    }
    expect(started).toEqual([false, false]);
    await vi.advanceTimersByTimeAsync(10);
    expect(started).toEqual([true, true]);
  });

  it("starts work at once (after the quiet time) when nothing is being acknowledged", async () => {
    const gate = new AckFirst();
    const started = startsOf(gate, 1);
    await vi.advanceTimersByTimeAsync(QUIET_MS);
    expect(started).toEqual([true]);
  });

  it("refuses work beyond the waiting limit", () => {
    const gate = new AckFirst({ maxWaitingStarts: 2 });
    gate.enter();
    expect(gate.afterAcks()).not.toBeNull();
    expect(gate.afterAcks()).not.toBeNull();
    expect(gate.afterAcks()).toBeNull();
    expect(gate.size).toBe(2);
  });

  it("lets waiting starts go a slice per event-loop turn, so new requests are read in between", async () => {
    const gate = new AckFirst();
    gate.enter();
    const started = startsOf(gate, START_SLICE * 2 + 1);
    gate.leave();
    await vi.advanceTimersByTimeAsync(QUIET_MS);
    // The first slice went; the rest wait for the next turns of the loop (setImmediate).
    expect(started.filter(Boolean)).toHaveLength(START_SLICE);
    expect(gate.size).toBe(START_SLICE + 1);
    await vi.advanceTimersToNextTimerAsync();
    expect(started.filter(Boolean)).toHaveLength(START_SLICE * 2);
    await vi.advanceTimersToNextTimerAsync();
    expect(started.every(Boolean)).toBe(true);
    expect(gate.size).toBe(0);
  });

  it("does not count acknowledged events on their way to a listener as waiting starts", () => {
    const gate = new AckFirst({ maxWaitingStarts: 1 });
    gate.enter();
    expect(gate.afterAcks({ uncounted: true })).not.toBeNull();
    expect(gate.afterAcks({ uncounted: true })).not.toBeNull();
    expect(gate.afterAcks()).not.toBeNull();
    expect(gate.afterAcks()).toBeNull();
  });
});
