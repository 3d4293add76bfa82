import { describe, expect, it } from "vitest";
import { EditBudget } from "../../src/core/edit-budget.js";

describe("EditBudget", () => {
  it("never grants more than its edits in any window, finals included", async () => {
    const budget = new EditBudget(10, 300);
    const grants: number[] = [];
    await Promise.all(
      Array.from({ length: 25 }, (_, i) => budget.acquire(i % 3 === 0).then(() => grants.push(Date.now()))),
    );
    grants.sort((a, b) => a - b);
    for (let i = 10; i < grants.length; i++) expect(grants[i]! - grants[i - 10]!).toBeGreaterThanOrEqual(298);
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
