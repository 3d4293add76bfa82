/**
 * The platform rate budgets every Store must keep, run against the memory store and Redis (the
 * same suite, as DESIGN.md asks). Windows are a minute long so nothing leaves them during a test:
 * the assertions are about counts, never about elapsed time.
 */
import { randomUUID } from "node:crypto";
import { describe, expect, it, type TestContext, type TestOptions } from "vitest";
import type { RateBudgetStore, RateWindow } from "../../src/core/ports.js";
import type { OpenStore } from "./contract.js";
import { captureLog } from "./log-capture.js";

const MINUTE = 60_000;

export function budgetContract(name: string, open: OpenStore, options: TestOptions = {}): void {
  describe.concurrent(`${name} rate budget contract`, options, () => {
    const setup = async (ctx: TestContext) => {
      const fixture = await open(captureLog());
      ctx.onTestFinished(() => fixture.close());
      return fixture;
    };
    const window = (limit: number): RateWindow => ({
      scope: `T-${randomUUID()}`,
      name: "chat.update",
      limit,
      windowMs: MINUTE,
    });
    const ask = (b: RateBudgetStore, w: RateWindow, finals: number, frames: number, reserve = 0) =>
      b.grant({ window: w, reserve, horizonMs: 0, finals, frames });

    it("never grants more than the limit in a window, finals and frames together", async (ctx) => {
      const { store } = await setup(ctx);
      const w = window(10);
      let granted = 0;
      for (let i = 0; i < 8; i++) {
        const g = await ask(store.budgets, w, 1, 2);
        granted += g.finals + g.frames;
      }
      expect(granted).toBe(10);
      const refused = await ask(store.budgets, w, 1, 1);
      expect(refused.finals + refused.frames).toBe(0);
      // The window frees when its oldest grant leaves it: within the minute, not at once.
      expect(refused.retryAfterMs).toBeGreaterThan(0);
      expect(refused.retryAfterMs).toBeLessThanOrEqual(MINUTE);
    });

    it("keeps the reserve for final texts: frames stop short of it, finals still get through", async (ctx) => {
      const { store } = await setup(ctx);
      const w = window(10);
      const frames = await ask(store.budgets, w, 0, 20, 3);
      expect(frames.frames).toBe(7);
      const final = await ask(store.budgets, w, 2, 0, 3);
      expect(final.finals).toBe(2);
    });

    it("spends a quiet window at once for several waiting answers (one call, several grants)", async (ctx) => {
      const { store } = await setup(ctx);
      const w = window(100);
      const burst = await store.budgets.grant({
        window: w,
        reserve: 10,
        horizonMs: 2000,
        finals: 0,
        frames: 12,
      });
      expect(burst.frames).toBe(12);
    });

    it("paces frames once the window has been spent into, instead of granting them all", async (ctx) => {
      const { store } = await setup(ctx);
      const w = window(100);
      // A horizon of a minute: the 90 frame slots are spread about 0.7 s apart.
      await store.budgets.grant({ window: w, reserve: 10, horizonMs: MINUTE, finals: 0, frames: 1 });
      const next = await store.budgets.grant({
        window: w,
        reserve: 10,
        horizonMs: MINUTE,
        finals: 0,
        frames: 5,
      });
      expect(next.frames).toBe(0);
      expect(next.retryAfterMs).toBeGreaterThan(0);
      // A final text is never paced.
      const final = await store.budgets.grant({
        window: w,
        reserve: 10,
        horizonMs: MINUTE,
        finals: 1,
        frames: 0,
      });
      expect(final.finals).toBe(1);
    });

    it("keeps frames at an even pace until three quarters of their share is spent", async (ctx) => {
      const { store } = await setup(ctx);
      const w = window(100);
      // A quiet window: 60 frames at once; 40 of the 100 slots are left.
      const burst = await store.budgets.grant({
        window: w,
        reserve: 0,
        horizonMs: MINUTE,
        finals: 0,
        frames: 60,
      });
      expect(burst.frames).toBe(60);
      // With a quarter or more left the pace is still the even one, a minute / 100 = 600 ms
      // (slowing down from half, it was a minute / 80 = 750 ms).
      const next = await store.budgets.grant({
        window: w,
        reserve: 0,
        horizonMs: MINUTE,
        finals: 0,
        frames: 1,
      });
      expect(next.frames).toBe(0);
      expect(next.retryAfterMs).toBeGreaterThan(400);
      expect(next.retryAfterMs).toBeLessThanOrEqual(600);
    });

    it("paces frames evenly over the whole window once they have found it full (sustained load)", async (ctx) => {
      const { store } = await setup(ctx);
      const w = window(10);
      const quiet = window(10);
      const paced = { reserve: 0, horizonMs: 0, finals: 0 };
      // A booking holds one slot of each window; frames take the other nine at once (no horizon).
      for (const win of [w, quiet]) {
        const slot = { name: win.name, limit: 10, windowMs: MINUTE, holdMs: MINUTE };
        expect((await store.budgets.book({ scope: win.scope, id: "b", slots: [slot] })).booked).toBe(true);
        expect((await store.budgets.grant({ window: win, ...paced, frames: 9 })).frames).toBe(9);
      }
      // More frames come while `w` is full: it is under sustained load from now on.
      expect((await store.budgets.grant({ window: w, ...paced, frames: 1 })).frames).toBe(0);
      // A slot frees in both windows (the booking given up).
      for (const win of [w, quiet]) {
        await store.budgets.settle({ scope: win.scope, name: win.name, id: "b", used: false });
      }
      // The window that was never found full still grants at once...
      expect((await store.budgets.grant({ window: quiet, ...paced, frames: 1 })).frames).toBe(1);
      // ...the sustained one paces: one frame per window / limit (6 s), not a cluster.
      const sustained = await store.budgets.grant({ window: w, ...paced, frames: 1 });
      expect(sustained.frames).toBe(0);
      expect(sustained.retryAfterMs).toBeGreaterThan(5000);
      expect(sustained.retryAfterMs).toBeLessThanOrEqual(6000);
    });

    it("shares one window between replicas", async (ctx) => {
      const fixture = await setup(ctx);
      const other = await fixture.replica();
      const w = window(6);
      const a = await ask(fixture.store.budgets, w, 0, 4);
      const b = await ask(other.budgets, w, 0, 4);
      expect(a.frames + b.frames).toBe(6);
    });

    it("books a call in several windows at once or in none, and counts the booking until it is settled", async (ctx) => {
      const { store } = await setup(ctx);
      const scope = `T-${randomUUID()}`;
      const slots = [
        { name: "chat.startStream", limit: 2, windowMs: MINUTE, holdMs: 0 },
        { name: "chat.stopStream", limit: 2, windowMs: MINUTE, holdMs: 5 * MINUTE },
      ];
      expect((await store.budgets.book({ scope, id: "s1", slots })).booked).toBe(true);
      expect((await store.budgets.book({ scope, id: "s2", slots })).booked).toBe(true);
      const third = await store.budgets.book({ scope, id: "s3", slots });
      expect(third.booked).toBe(false);
      expect(third.retryAfterMs).toBeGreaterThan(0);
      // The stops are counted although not made yet: a grant in that window finds no room.
      const stops = { scope, name: "chat.stopStream", limit: 2, windowMs: MINUTE };
      expect((await ask(store.budgets, stops, 1, 0)).finals).toBe(0);
      // A booking given up frees its slot; one used stays counted.
      expect(await store.budgets.settle({ scope, name: "chat.stopStream", id: "s1", used: true })).toBe(true);
      expect(await store.budgets.settle({ scope, name: "chat.stopStream", id: "s2", used: false })).toBe(
        true,
      );
      expect((await ask(store.budgets, stops, 2, 0)).finals).toBe(1);
      expect(await store.budgets.settle({ scope, name: "chat.stopStream", id: "nope", used: true })).toBe(
        false,
      );
    });

    it("books a batch of calls in one window in order, as many as fit, and says when the rest may", async (ctx) => {
      const { store } = await setup(ctx);
      const scope = `T-${randomUUID()}`;
      const slot = { scope, name: "global", limit: 5, windowMs: MINUTE, holdMs: 0 };
      expect(await store.budgets.bookEach({ ...slot, ids: ["a", "b"] })).toEqual({
        booked: 2,
        retryAfterMs: 0,
      });
      const rest = await store.budgets.bookEach({ ...slot, ids: ["c", "d", "e", "f", "g"] });
      expect(rest.booked).toBe(3);
      expect(rest.retryAfterMs).toBeGreaterThan(0);
      expect(rest.retryAfterMs).toBeLessThanOrEqual(MINUTE);
      // The first three ids of the batch hold the slots: settling one that did not fit finds nothing.
      expect(await store.budgets.settle({ scope, name: "global", id: "e", used: false })).toBe(true);
      expect(await store.budgets.settle({ scope, name: "global", id: "f", used: true })).toBe(false);
      // "e" was given back: one more fits, and no other.
      expect((await store.budgets.bookEach({ ...slot, ids: ["h", "i"] })).booked).toBe(1);
      // The same window as `book` and `grant` use: it is full for them too.
      expect((await store.budgets.book({ scope, id: "j", slots: [slot] })).booked).toBe(false);
    });

    it("counts a batch booking held for a call in flight until it is settled", async (ctx) => {
      const { store } = await setup(ctx);
      const scope = `T-${randomUUID()}`;
      // Held for five minutes: still counted once the minute-long window has moved on.
      const slot = { scope, name: "global", limit: 2, windowMs: MINUTE, holdMs: 5 * MINUTE };
      expect((await store.budgets.bookEach({ ...slot, ids: ["a", "b", "c"] })).booked).toBe(2);
      const full = await store.budgets.bookEach({ ...slot, ids: ["c"] });
      expect(full.booked).toBe(0);
      expect(full.retryAfterMs).toBeGreaterThan(5 * MINUTE);
    });

    it("does not book anything when one of the windows is full", async (ctx) => {
      const { store } = await setup(ctx);
      const scope = `T-${randomUUID()}`;
      await ask(store.budgets, { scope, name: "b", limit: 1, windowMs: MINUTE }, 1, 0);
      const slots = [
        { name: "a", limit: 5, windowMs: MINUTE, holdMs: 0 },
        { name: "b", limit: 1, windowMs: MINUTE, holdMs: 0 },
      ];
      expect((await store.budgets.book({ scope, id: "x", slots })).booked).toBe(false);
      // Window "a" was left untouched: all five of its slots are still free.
      expect((await ask(store.budgets, { scope, name: "a", limit: 5, windowMs: MINUTE }, 9, 0)).finals).toBe(
        5,
      );
    });
  });
}
