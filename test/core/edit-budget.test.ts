import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { EditBudgets } from "../../src/core/edit-budget.js";
import type { RateWindow } from "../../src/core/ports.js";
import { silentLogger } from "../../src/log.js";
import { createMemoryStore } from "../../src/store/memory/store.js";

// Time is controlled: every wait below is a fake timer advanced by the test, never raced.
beforeEach(() => {
  vi.useFakeTimers({ now: 1_700_000_000_000 });
});
afterEach(() => {
  vi.useRealTimers();
});

const MINUTE = 60_000;

/** Two replicas' budgets over one store (the memory store; Redis runs the same contract). */
function setup(limit: number, windowMs = MINUTE) {
  const store = createMemoryStore({ log: silentLogger() });
  const window: RateWindow = { scope: "T1", name: "chat.update", limit, windowMs };
  const replica = () => new EditBudgets(store.budgets).get(window);
  return { budget: replica(), replica };
}

/** Every pair of grants `limit` apart is at least a window apart: no sliding window holds more. */
function expectWithinWindow(grants: number[], limit: number, windowMs: number) {
  const sorted = [...grants].sort((a, b) => a - b);
  for (let i = limit; i < sorted.length; i++)
    expect(sorted[i]! - sorted[i - limit]!).toBeGreaterThanOrEqual(windowMs);
}

describe("EditBudget", () => {
  it("never grants more than its limit in any window, finals included", async () => {
    const { budget } = setup(10);
    const grants: number[] = [];
    const all = Promise.all(
      Array.from({ length: 25 }, (_, i) => budget.acquire(i % 3 === 0).then(() => grants.push(Date.now()))),
    );
    await vi.advanceTimersByTimeAsync(3 * MINUTE);
    await all;
    expect(grants).toHaveLength(25);
    expectWithinWindow(grants, 10, MINUTE);
  });

  it("keeps a reserve for final texts, so answers ending together are not queued behind frames", async () => {
    const { budget } = setup(10);
    const order: string[] = [];
    const frames = Array.from({ length: 10 }, () => budget.acquire(false).then(() => order.push("frame")));
    await vi.advanceTimersByTimeAsync(5000);
    // Nine frames went; the tenth slot is the reserve.
    expect(order).toEqual(Array(9).fill("frame"));
    const final = budget.acquire(true).then(() => order.push("final"));
    await vi.advanceTimersByTimeAsync(0);
    expect(order.at(-1)).toBe("final");
    await vi.advanceTimersByTimeAsync(2 * MINUTE);
    await Promise.all([...frames, final]);
  });

  it("gives frames every slot of a budget whose final texts are booked elsewhere (no reserve)", async () => {
    const store = createMemoryStore({ log: silentLogger() });
    const window: RateWindow = {
      scope: "T1",
      name: "chat.appendStream",
      limit: 10,
      windowMs: MINUTE,
      reserve: 0,
    };
    const budget = new EditBudgets(store.budgets).get(window);
    let granted = 0;
    const frames = Array.from({ length: 12 }, () => budget.acquire(false).then(() => granted++));
    await vi.advanceTimersByTimeAsync(5000);
    // All ten slots went to frames (with the default reserve, nine: see above).
    expect(granted).toBe(10);
    await vi.advanceTimersByTimeAsync(2 * MINUTE);
    await Promise.all(frames);
  });

  it("spends a quiet window at once when a burst of answers starts, in one grant", async () => {
    const { budget } = setup(100);
    let granted = 0;
    const burst = Array.from({ length: 20 }, () => budget.acquire(false).then(() => granted++));
    await vi.advanceTimersByTimeAsync(0);
    expect(granted).toBe(20);
    await Promise.all(burst);
  });

  it("falls back to even pacing under sustained load, and never exceeds the window", async () => {
    const { budget } = setup(100);
    const grants: number[] = [];
    // 30 answers that each want an edit again as soon as they got one, for five minutes.
    let running = true;
    const answer = async () => {
      while (running) {
        await budget.acquire(false);
        grants.push(Date.now());
      }
    };
    const answers = Array.from({ length: 30 }, answer);
    await vi.advanceTimersByTimeAsync(5 * MINUTE);
    running = false;
    expectWithinWindow(grants, 100, MINUTE);
    // The burst takes the frames' share (90) within seconds...
    const start = grants[0]!;
    expect(grants.filter((t) => t < start + 5000).length).toBeGreaterThanOrEqual(60);
    // ...and from then on the grants are paced: every later minute gets close to the even 90.
    const lastMinute = grants.filter((t) => t >= start + 4 * MINUTE && t < start + 5 * MINUTE).length;
    expect(lastMinute).toBeGreaterThanOrEqual(75);
    expect(lastMinute).toBeLessThanOrEqual(90);
    // ...and evenly: every 5 s of it get their share (before the window remembered that it had
    // been found full: 73, 17, then nothing for 50 s, as each freed cluster was spent at once).
    for (let k = 0; k < 12; k++) {
      const from = start + 4 * MINUTE + k * 5000;
      expect(grants.filter((t) => t >= from && t < from + 5000).length).toBeGreaterThanOrEqual(5);
    }
    await vi.advanceTimersByTimeAsync(2 * MINUTE);
    await Promise.race([Promise.all(answers), Promise.resolve()]);
  });

  it("gives a scarce edit to the answer whose visible text is the most stale", async () => {
    const { budget } = setup(10);
    const used = Array.from({ length: 9 }, () => budget.acquire(false));
    await vi.advanceTimersByTimeAsync(0);
    await Promise.all(used);
    const order: string[] = [];
    const now = Date.now();
    const fresh = budget.acquire(false, undefined, 0, now - 100).then(() => order.push("fresh"));
    const stale = budget.acquire(false, undefined, 0, now - 5000).then(() => order.push("stale"));
    await vi.advanceTimersByTimeAsync(MINUTE + 1);
    await vi.advanceTimersByTimeAsync(MINUTE + 1);
    await Promise.all([fresh, stale]);
    expect(order).toEqual(["stale", "fresh"]);
  });

  it("grants a ready frame before one still waiting for its own message's edit interval", async () => {
    const { budget } = setup(100);
    const order: string[] = [];
    const early = budget.acquire(false, undefined, Date.now() + 40).then(() => order.push("interval-bound"));
    const later = budget.acquire(false).then(() => order.push("ready"));
    await vi.advanceTimersByTimeAsync(100);
    await Promise.all([early, later]);
    expect(order).toEqual(["ready", "interval-bound"]);
  });

  it("shares the window between replicas: together they never exceed it", async () => {
    const { budget, replica } = setup(20);
    const other = replica();
    const grants: number[] = [];
    const asks = Array.from({ length: 60 }, (_, i) =>
      (i % 2 ? budget : other).acquire(i % 5 === 0).then(() => grants.push(Date.now())),
    );
    await vi.advanceTimersByTimeAsync(4 * MINUTE);
    await Promise.all(asks);
    expect(grants).toHaveLength(60);
    expectWithinWindow(grants, 20, MINUTE);
  });
});

describe("a web chat session's budget (local: this process's own)", () => {
  /** A store that fails the test if it is asked: a local budget never goes to the store. */
  function localOnly(limit: number, windowMs = 1000) {
    const store = createMemoryStore({ log: silentLogger() });
    let asked = 0;
    const budgets = new EditBudgets({
      grant: async (req) => {
        asked++;
        return store.budgets.grant(req);
      },
      book: async (req) => {
        asked++;
        return store.budgets.book(req);
      },
      bookEach: async (req) => {
        asked++;
        return store.budgets.bookEach(req);
      },
      settle: async (req) => {
        asked++;
        return store.budgets.settle(req);
      },
    });
    const window: RateWindow = { scope: "web:s1", name: "edits", limit, windowMs, local: true };
    return { budget: budgets.get(window), asked: () => asked };
  }

  it("grants without the store, never more than its limit in any window, finals included", async () => {
    const { budget, asked } = localOnly(10);
    const grants: number[] = [];
    const all = Promise.all(
      Array.from({ length: 35 }, (_, i) => budget.acquire(i % 3 === 0).then(() => grants.push(Date.now()))),
    );
    await vi.advanceTimersByTimeAsync(5000);
    await all;
    expect(grants).toHaveLength(35);
    expectWithinWindow(grants, 10, 1000);
    expect(asked()).toBe(0);
  });

  it("keeps a reserve for the final text and waits for a message's own interval", async () => {
    const { budget } = localOnly(10);
    const order: string[] = [];
    for (let i = 0; i < 9; i++) await budget.acquire(false);
    // The tenth token is the reserve: a frame waits for the bucket to refill, a final goes now.
    const frame = budget.acquire(false).then(() => order.push("frame"));
    const final = budget.acquire(true).then(() => order.push("final"));
    await vi.advanceTimersByTimeAsync(0);
    expect(order).toEqual(["final"]);
    await vi.advanceTimersByTimeAsync(1000);
    await frame;
    expect(order).toEqual(["final", "frame"]);

    // A frame asked for before its message's interval is up goes no sooner than that.
    const asked = Date.now();
    await vi.advanceTimersByTimeAsync(5000);
    let sentAt = 0;
    const next = budget.acquire(false, undefined, Date.now() + 50).then(() => {
      sentAt = Date.now();
    });
    await vi.advanceTimersByTimeAsync(100);
    await next;
    expect(sentAt - asked - 5000).toBe(50);
    await final;
  });

  it("drops a waiting frame when its signal aborts (the answer finished meanwhile)", async () => {
    const { budget } = localOnly(10);
    const finishing = new AbortController();
    const frame = budget.acquire(false, finishing.signal, Date.now() + 1000);
    await vi.advanceTimersByTimeAsync(10);
    expect(budget.pending).toBe(1);
    finishing.abort("finished");
    await expect(frame).rejects.toBe("finished");
    expect(budget.pending).toBe(0);
  });

  it("answers at once: granted now, or how long to wait with nothing granted", async () => {
    const { budget } = localOnly(3);
    const tryNow = (notBefore?: number) => budget.tryNow!(false, notBefore);
    expect([tryNow(), tryNow(), tryNow()]).toEqual([0, 0, 0]);
    expect(tryNow()).toBe(1000); // the window is full until the first grant leaves it
    await vi.advanceTimersByTimeAsync(400);
    expect(tryNow()).toBe(600); // asking again granted nothing meanwhile
    await vi.advanceTimersByTimeAsync(600);
    expect(tryNow()).toBe(0);
    expect(tryNow(Date.now() + 50)).toBe(50); // a message's own interval
  });

  it("is kept by its registry while someone waits on it, its pause with it", async () => {
    const budgets = new EditBudgets(createMemoryStore({ log: silentLogger() }).budgets);
    const window: RateWindow = { scope: "web:s2", name: "edits", limit: 10, windowMs: 1000, local: true };
    const budget = budgets.get(window);
    budget.pause(5000); // a platform's Retry-After
    await vi.advanceTimersByTimeAsync(1500);
    expect(budget.tryNow!(false)).toBe(3500);
    await vi.advanceTimersByTimeAsync(1500);
    // Idle budgets (nobody asked for two windows) are dropped as other scopes come and go.
    for (let i = 0; i < 300; i++) budgets.get({ ...window, scope: `web:other${i}` });
    expect(budgets.get(window)).toBe(budget);
    expect(budget.tryNow!(true)).toBe(2000);
  });

  it("honours a platform pause for final texts too", async () => {
    const { budget } = localOnly(10);
    budget.pause(2000);
    let sentAt = 0;
    const started = Date.now();
    const final = budget.acquire(true).then(() => {
      sentAt = Date.now();
    });
    await vi.advanceTimersByTimeAsync(2500);
    await final;
    expect(sentAt - started).toBe(2000);
  });
});
