import { describe, expect, it } from "vitest";
import type { RateBudgetStore } from "../../../src/core/ports.js";
import { silentLogger } from "../../../src/log.js";
import { SharedGlobalLimit } from "../../../src/platforms/discord/global-limit.js";
import { createMemoryStore } from "../../../src/store/memory/store.js";

const log = silentLogger();
const MINUTE = 60_000;

describe("Discord's global limit in the store", () => {
  it("lets a request that gives up while waiting leave without holding a slot", async () => {
    const budgets = createMemoryStore({ log }).budgets;
    const limit = new SharedGlobalLimit(budgets, "discord:app1", 2, MINUTE, log);
    const first = await Promise.all([limit.acquire(), limit.acquire()]);
    expect(first.every((id) => typeof id === "string")).toBe(true);

    // The window is full for a minute: the third waits until its caller gives up.
    const gaveUp = new AbortController();
    const third = limit.acquire(gaveUp.signal);
    gaveUp.abort(new Error("request timed out"));
    await expect(third).rejects.toThrow("request timed out");

    // One of the two answered and the other failed before it was sent: the window holds one.
    limit.settle(first[0] ?? null);
    await budgets.settle({ scope: "discord:app1", name: "global", id: first[1] ?? "", used: false });
    const probe = await budgets.bookEach({
      scope: "discord:app1",
      name: "global",
      ids: ["p1", "p2"],
      limit: 2,
      windowMs: MINUTE,
      holdMs: 0,
    });
    expect(probe.booked).toBe(1);
  });

  it("gives back a slot booked for a request that gave up while the store was answering", async () => {
    const budgets = createMemoryStore({ log }).budgets;
    let answer: (() => void) | undefined;
    const slow: RateBudgetStore = {
      ...budgets,
      // The store books at once but its answer arrives late (a slow round trip).
      bookEach: async (req) => {
        const result = await budgets.bookEach(req);
        await new Promise<void>((resolve) => {
          answer = resolve;
        });
        return result;
      },
    };
    const limit = new SharedGlobalLimit(slow, "discord:app1", 1, MINUTE, log);
    const gaveUp = new AbortController();
    const request = limit.acquire(gaveUp.signal);
    await expect.poll(() => answer).toBeDefined();
    gaveUp.abort(new Error("cancelled"));
    await expect(request).rejects.toThrow("cancelled");
    answer?.();

    // Its slot is free again: the next request gets it without waiting for the window.
    await expect
      .poll(
        async () =>
          (
            await budgets.book({
              scope: "discord:app1",
              id: "next",
              slots: [{ name: "global", limit: 1, windowMs: MINUTE, holdMs: 0 }],
            })
          ).booked,
      )
      .toBe(true);
  });
});
