/**
 * The time limit on reading a file, decoding an image or asking the embeddings server: a signal
 * that aborts with the turn's Stop or after its time, and still does after a garbage collection.
 */
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { afterEach, describe, expect, it, vi } from "vitest";
import { deadlineSignal } from "../../src/core/timers.js";

/** V8's collector, on demand (the flag takes effect for contexts made after it is set). */
function collector(): () => void {
  setFlagsFromString("--expose-gc");
  return runInNewContext("gc") as () => void;
}

const aborted = (signal: AbortSignal) =>
  new Promise<unknown>((resolve) => signal.addEventListener("abort", () => resolve(signal.reason)));

describe("deadlineSignal", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("still ends the wait when the collector runs before the time is up", async () => {
    // AbortSignal.any([turn, AbortSignal.timeout(ms)]) never aborts here: its timeout signal is
    // held only weakly, and the collection below takes it (a PDF that never finished parsing was
    // never stopped that way).
    const gc = collector();
    const turn = new AbortController();
    const { signal } = deadlineSignal(turn.signal, 30);
    const reason = aborted(signal);
    await new Promise((resolve) => setImmediate(resolve));
    gc();
    gc();
    const err = await reason;
    expect(err).toBeInstanceOf(DOMException);
    expect((err as DOMException).name).toBe("TimeoutError");
  }, 10_000);

  it("ends with the turn's Stop, and its reason", async () => {
    vi.useFakeTimers();
    const turn = new AbortController();
    const { signal } = deadlineSignal(turn.signal, 1_000);
    turn.abort("stopped");
    expect(signal.aborted).toBe(true);
    expect(signal.reason).toBe("stopped");
    // The time limit passing afterwards changes nothing.
    vi.advanceTimersByTime(2_000);
    expect(signal.reason).toBe("stopped");
  });

  it("is aborted at once for a turn already stopped", () => {
    const turn = new AbortController();
    turn.abort("stopped");
    expect(deadlineSignal(turn.signal, 1_000).signal.reason).toBe("stopped");
  });

  it("times out without a turn signal too", () => {
    vi.useFakeTimers();
    const { signal } = deadlineSignal(undefined, 500);
    vi.advanceTimersByTime(499);
    expect(signal.aborted).toBe(false);
    vi.advanceTimersByTime(1);
    expect((signal.reason as DOMException).name).toBe("TimeoutError");
  });

  it("once cleared, neither the time nor the turn's Stop aborts it", () => {
    vi.useFakeTimers();
    const turn = new AbortController();
    const limit = deadlineSignal(turn.signal, 500);
    limit.clear();
    vi.advanceTimersByTime(1_000);
    turn.abort("stopped");
    expect(limit.signal.aborted).toBe(false);
  });
});
