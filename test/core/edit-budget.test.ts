import { describe, expect, it, vi } from "vitest";
import { EditBudget } from "../../src/core/edit-budget.js";

describe("EditBudget", () => {
  it("never grants more than its edits in any window, finals included", async () => {
    // Fake timers: each grant is recorded at the time it was made, not when a busy machine got
    // round to the callback (which made grants look 252 ms apart that were 300 ms apart).
    vi.useFakeTimers();
    const grants: number[] = [];
    try {
      const budget = new EditBudget(10, 300);
      const all = Promise.all(
        Array.from({ length: 25 }, (_, i) => budget.acquire(i % 3 === 0).then(() => grants.push(Date.now()))),
      );
      await vi.runAllTimersAsync();
      await all;
    } finally {
      vi.useRealTimers();
    }
    grants.sort((a, b) => a - b);
    expect(grants).toHaveLength(25);
    for (let i = 10; i < grants.length; i++) expect(grants[i]! - grants[i - 10]!).toBeGreaterThanOrEqual(300);
  });

  it("keeps a reserve for final texts, so answers ending together are not queued behind frames", async () => {
    // The test's clock: the window cannot pass while the two requests are queued.
    let clock = 1_000_000;
    const budget = new EditBudget(10, 300, () => clock);
    // Nine intermediate frames, each once the frame pacing (300 / 9 ms) allows it, use up what
    // frames may use of the window.
    for (let i = 0; i < 9; i++) {
      if (i > 0) clock += 34;
      await budget.acquire(false);
    }
    const order: string[] = [];
    const frame = budget.acquire(false).then(() => order.push("frame"));
    const final = budget.acquire(true).then(() => order.push("final"));
    await final;
    clock += 300;
    await frame;
    expect(order).toEqual(["final", "frame"]);
  });

  it("grants a ready frame before one still waiting for its own message's edit interval", async () => {
    // The budget's clock is the test's, so "not yet allowed" cannot run out between two lines.
    let clock = 1_000_000;
    const budget = new EditBudget(100, 1000, () => clock);
    const order: string[] = [];
    const early = budget.acquire(false, undefined, clock + 40).then(() => order.push("interval-bound"));
    const later = budget.acquire(false).then(() => order.push("ready"));
    await later;
    clock += 1000;
    await early;
    // The ready frame goes first: the other was not allowed yet, and does not hold up the queue.
    expect(order).toEqual(["ready", "interval-bound"]);
  });
});
