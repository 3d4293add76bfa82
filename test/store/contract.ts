/**
 * The behaviour every Store must have, run against the memory store, a single Redis and a Redis
 * Cluster. "Replica" = a second store instance on the same data, as another process would have.
 * TTLs and windows are tens to hundreds of milliseconds so the suite runs in seconds.
 */
import { describe, expect, it, type TestContext, type TestOptions } from "vitest";
import { StoreError } from "../../src/core/errors.js";
import type { AdmitDecision, Store, ThrottlePolicy } from "../../src/core/ports.js";
import type { StoredTurn } from "../../src/core/types.js";
import { msToNextUtcMidnight } from "../../src/store/keys.js";
import { type CapturedLog, captureLog, WARN } from "./log-capture.js";
import { onTime, sleep, sleepUntil } from "./on-time.js";

export interface StoreFixture {
  store: Store;
  /** Another store instance on the same data (a second replica). */
  replica(): Promise<Store>;
  /** Append a raw entry to a thread's history, bypassing the store (to plant corruption). */
  appendRawHistory(threadKey: string, raw: string): Promise<void>;
  close(): Promise<void>;
}

export type OpenStore = (captured: CapturedLog) => Promise<StoreFixture>;

/**
 * TTLs and windows here are real time (Redis expires keys by its own clock, which no test can
 * control). Waiting past an expiry is always safe; where a test needs something NOT yet expired,
 * the TTL leaves at least this much room, so a busy machine's late timers and slow round trips
 * rarely expire it early (sub-second margins failed under two parallel suites on two cores), and
 * the test checks it was on time (`onTime`): a run that was not is run again.
 */
const MARGIN_MS = 1_500;

/** Generous limits so only the limit a test is about can throttle. */
const ROOMY: ThrottlePolicy = { requests: 1000, windowMs: 60_000, dailyTokens: 1_000_000 };
const DEDUP_TTL_MS = 60_000;

function turn(n: number): StoredTurn {
  return {
    at: 1_700_000_000_000 + n,
    entries: [
      { role: "user", content: `question ${n}`, name: "Ada" },
      { role: "assistant", content: `answer ${n}` },
    ],
  };
}

/** `options` are the describe() options, e.g. `requires("redis")` for a store that needs a server. */
export function storeContract(name: string, open: OpenStore, options: TestOptions = {}): void {
  describe.concurrent(`${name} store contract`, options, () => {
    let n = 0;
    const id = (label: string) => `${label}-${++n}`;
    const admit = (
      s: Store,
      messageKey: string,
      userKey: string,
      policy = ROOMY,
      dedupTtlMs = DEDUP_TTL_MS,
    ) => s.gate.admit({ messageKey, userKey, dedupTtlMs, policy });
    /** A fresh store per test (tests run concurrently: most of them wait for TTLs to pass). */
    const setup = async (ctx: TestContext) => {
      const captured = captureLog();
      const fixture = await open(captured);
      ctx.onTestFinished(() => fixture.close());
      return { store: fixture.store, fixture, captured };
    };

    describe("dedup", () => {
      it("admits a new message and reports the same message again as a duplicate", async (ctx) => {
        const { store } = await setup(ctx);
        const user = id("user");
        expect(await admit(store, "slack:m1", user)).toEqual({ kind: "ok" });
        expect(await admit(store, "slack:m1", user)).toEqual({ kind: "duplicate" });
      });

      it("reports a platform retry as a duplicate on another replica", async (ctx) => {
        const { store, fixture } = await setup(ctx);
        const user = id("user");
        const other = await fixture.replica();
        expect(await admit(store, "slack:m1", user)).toEqual({ kind: "ok" });
        expect(await admit(other, "slack:m1", user)).toEqual({ kind: "duplicate" });
      });

      it("does not count duplicates against the request limit", async (ctx) => {
        const { store } = await setup(ctx);
        const user = id("user");
        const policy = { ...ROOMY, requests: 2 };
        expect(await admit(store, "m1", user, policy)).toEqual({ kind: "ok" });
        for (let i = 0; i < 3; i++)
          expect(await admit(store, "m1", user, policy)).toEqual({ kind: "duplicate" });
        expect(await admit(store, "m2", user, policy)).toEqual({ kind: "ok" });
      });

      it("forgets a message after the dedup TTL", async (ctx) => {
        const { store } = await setup(ctx);
        const user = id("user");
        expect(await admit(store, "m1", user, ROOMY, 40)).toEqual({ kind: "ok" });
        await sleep(100);
        expect(await admit(store, "m1", user, ROOMY, 40)).toEqual({ kind: "ok" });
      });

      it("keeps a throttled message remembered so its retry is a duplicate, not a second notice", async (ctx) => {
        const { store } = await setup(ctx);
        const user = id("user");
        const policy = { ...ROOMY, requests: 1 };
        expect(await admit(store, "m1", user, policy)).toEqual({ kind: "ok" });
        expect(await admit(store, "m2", user, policy)).toMatchObject({ kind: "throttled", reason: "rate" });
        expect(await admit(store, "m2", user, policy)).toEqual({ kind: "duplicate" });
      });
    });

    describe("request rate", () => {
      it("admits exactly `requests` of 50 concurrent messages sent through two replicas", async (ctx) => {
        const { store, fixture } = await setup(ctx);
        const user = id("user");
        const other = await fixture.replica();
        const policy = { ...ROOMY, requests: 10 };
        const decisions = await Promise.all(
          Array.from({ length: 50 }, (_, i) => admit(i % 2 === 0 ? store : other, `m${i}`, user, policy)),
        );
        expect(decisions.filter((d) => d.kind === "ok")).toHaveLength(10);
        expect(decisions.filter((d) => d.kind === "throttled" && d.reason === "rate")).toHaveLength(40);
      });

      it("allows a whole window's requests at once, then frees a slot when the oldest leaves", async (ctx) => {
        const { store } = await setup(ctx);
        const windowMs = 2 * MARGIN_MS;
        const policy = { ...ROOMY, requests: 3, windowMs };
        await onTime(async (inTime) => {
          const user = id("user");
          const start = Date.now();
          for (const m of ["m1", "m2", "m3"])
            expect(await admit(store, m, user, policy)).toEqual({ kind: "ok" });
          const refused = await admit(store, "m4", user, policy);
          // m1 was still in the window.
          inTime(start + windowMs);
          expect(refused).toMatchObject({ kind: "throttled", reason: "rate" });
          const retryAfterMs = (refused as Extract<AdmitDecision, { kind: "throttled" }>).retryAfterMs;
          expect(retryAfterMs).toBeGreaterThan(0);
          expect(retryAfterMs).toBeLessThanOrEqual(windowMs);
          await sleep(retryAfterMs + 30);
          expect(await admit(store, "m5", user, policy)).toEqual({ kind: "ok" });
        });
      });

      it("says to retry when the oldest request in the window expires, not a full window later", async (ctx) => {
        const { store } = await setup(ctx);
        // m2 comes half a window after m1, so each is MARGIN_MS from the other's expiry.
        const gapMs = MARGIN_MS;
        const windowMs = 2 * gapMs;
        const policy = { ...ROOMY, requests: 2, windowMs };
        await onTime(async (inTime) => {
          const user = id("user");
          const sent1 = Date.now();
          expect(await admit(store, "m1", user, policy)).toEqual({ kind: "ok" });
          await sleep(gapMs);
          const sent2 = Date.now();
          expect(await admit(store, "m2", user, policy)).toEqual({ kind: "ok" });
          const refused = await admit(store, "m3", user, policy);
          inTime(sent1 + windowMs);
          expect(refused).toMatchObject({ kind: "throttled", reason: "rate" });
          const retryAfterMs = (refused as Extract<AdmitDecision, { kind: "throttled" }>).retryAfterMs;
          // At least gapMs of m1's window are gone.
          expect(retryAfterMs).toBeGreaterThan(0);
          expect(retryAfterMs).toBeLessThanOrEqual(gapMs);
          await sleep(retryAfterMs + 30);
          // m1 left the window, m2 has not: exactly one new request fits.
          expect(await admit(store, "m4", user, policy)).toEqual({ kind: "ok" });
          const fifth = await admit(store, "m5", user, policy);
          inTime(sent2 + windowMs);
          expect(fifth).toMatchObject({ kind: "throttled", reason: "rate" });
        });
      });

      it("after the limit is lowered, says to retry when enough requests have left the window", async (ctx) => {
        const { store } = await setup(ctx);
        // m1 has at most MARGIN_MS of its window left when m2 comes; m2 has 2 * MARGIN_MS.
        const windowMs = 2 * MARGIN_MS;
        const policy = { ...ROOMY, requests: 2, windowMs };
        await onTime(async (inTime) => {
          const user = id("user");
          expect(await admit(store, "m1", user, policy)).toEqual({ kind: "ok" });
          await sleep(MARGIN_MS);
          const sent2 = Date.now();
          expect(await admit(store, "m2", user, policy)).toEqual({ kind: "ok" });
          // With a limit of 1, m2 (not the older m1) has to leave before anything fits.
          const refused = await admit(store, "m3", user, { ...policy, requests: 1 });
          // m2 had more than MARGIN_MS of its window left.
          inTime(sent2 + MARGIN_MS);
          expect(refused).toMatchObject({ kind: "throttled", reason: "rate" });
          const retryAfterMs = (refused as Extract<AdmitDecision, { kind: "throttled" }>).retryAfterMs;
          expect(retryAfterMs).toBeGreaterThan(MARGIN_MS);
          expect(retryAfterMs).toBeLessThanOrEqual(windowMs);
        });
      });

      it("limits each user separately", async (ctx) => {
        const { store } = await setup(ctx);
        const policy = { ...ROOMY, requests: 1 };
        const [alice, bob] = [id("alice"), id("bob")];
        expect(await admit(store, "m1", alice, policy)).toEqual({ kind: "ok" });
        expect(await admit(store, "m2", alice, policy)).toMatchObject({ kind: "throttled" });
        expect(await admit(store, "m3", bob, policy)).toEqual({ kind: "ok" });
      });
    });

    describe("daily token budget", () => {
      it("throttles a user who spent the day's tokens until the next UTC midnight", async (ctx) => {
        const { store } = await setup(ctx);
        const user = id("user");
        const policy = { ...ROOMY, dailyTokens: 100 };
        await store.gate.recordTokens(user, 60);
        expect(await admit(store, "m1", user, policy)).toEqual({ kind: "ok" });
        await store.gate.recordTokens(user, 40);
        const refused = await admit(store, "m2", user, policy);
        expect(refused).toMatchObject({ kind: "throttled", reason: "tokens" });
        const retryAfterMs = (refused as Extract<AdmitDecision, { kind: "throttled" }>).retryAfterMs;
        // Within a few seconds of our own computation (the Redis store uses the server clock).
        expect(Math.abs(retryAfterMs - msToNextUtcMidnight(Date.now()))).toBeLessThan(5_000);
      });

      it("counts a turn's tokens saved with it, for the asker whether or not they are among its people", async (ctx) => {
        const { store, fixture } = await setup(ctx);
        const [alice, bob] = [id("alice"), id("bob")];
        const other = await fixture.replica();
        const policy = { ...ROOMY, dailyTokens: 100 };
        const opts = { maxTurns: 10, ttlMs: 60_000 };
        // Alice asks in a shared thread Bob spoke in: her count rides with her index entry.
        const shared = { userKeys: [bob, alice], audience: "shared" as const };
        await store.threads.commit(id("t1"), "o1", turn(1), {
          ...opts,
          people: shared,
          spent: { userKey: alice, tokens: 59.5 },
        });
        expect(await admit(store, "m1", alice, policy)).toEqual({ kind: "ok" });
        // No people given (or the spender not among them): the count is still taken.
        await other.threads.commit(id("t2"), "o2", turn(1), {
          ...opts,
          spent: { userKey: alice, tokens: 40 },
        });
        expect(await admit(store, "m2", alice, policy)).toMatchObject({
          kind: "throttled",
          reason: "tokens",
        });
        // Nobody else's budget moved, and nothing is counted for nothing spent.
        await store.threads.commit(id("t3"), "o3", turn(1), {
          ...opts,
          people: shared,
          spent: { userKey: bob, tokens: 0 },
        });
        expect(await admit(store, "m3", bob, { ...policy, dailyTokens: 1 })).toEqual({ kind: "ok" });
      });

      it("adds up tokens recorded through different replicas", async (ctx) => {
        const { store, fixture } = await setup(ctx);
        const user = id("user");
        const other = await fixture.replica();
        const policy = { ...ROOMY, dailyTokens: 100 };
        await Promise.all([store.gate.recordTokens(user, 50), other.gate.recordTokens(user, 50)]);
        expect(await admit(store, "m1", user, policy)).toMatchObject({ kind: "throttled", reason: "tokens" });
      });

      it("keeps other users' budgets untouched", async (ctx) => {
        const { store } = await setup(ctx);
        const policy = { ...ROOMY, dailyTokens: 100 };
        const [alice, bob] = [id("alice"), id("bob")];
        await store.gate.recordTokens(alice, 500);
        expect(await admit(store, "m1", alice, policy)).toMatchObject({
          kind: "throttled",
          reason: "tokens",
        });
        expect(await admit(store, "m2", bob, policy)).toEqual({ kind: "ok" });
      });

      it("reserves only tokens that fit, even for 20 concurrent reservations through two replicas", async (ctx) => {
        const { store, fixture } = await setup(ctx);
        const user = id("user");
        const other = await fixture.replica();
        await store.gate.recordTokens(user, 100);
        const taken = await Promise.all(
          Array.from({ length: 20 }, (_, i) => (i % 2 ? store : other).gate.reserveTokens(user, 100, 1000)),
        );
        expect(taken.filter((r) => r !== null)).toHaveLength(9);
        expect(await store.gate.reserveTokens(user, 1, 1000)).toBeNull();
        expect(await admit(store, "m1", user, { ...ROOMY, dailyTokens: 1000 })).toMatchObject({
          kind: "throttled",
          reason: "tokens",
        });
      });

      it("gives back what a settled reservation did not spend, and adds what it overspent", async (ctx) => {
        const { store, fixture } = await setup(ctx);
        const user = id("user");
        const reservation = await store.gate.reserveTokens(user, 800, 1000);
        expect(reservation).not.toBeNull();
        expect(await store.gate.reserveTokens(user, 300, 1000)).toBeNull();
        await (await fixture.replica()).gate.settleTokens(reservation!, 500);
        // 500 spent: 500 left, not 501.
        const next = await store.gate.reserveTokens(user, 500, 1000);
        expect(next).not.toBeNull();
        expect(await store.gate.reserveTokens(user, 1, 1000)).toBeNull();
        await store.gate.settleTokens(next!, 600);
        await store.gate.recordTokens(id("someone-else"), 1);
        expect(await admit(store, "m1", user, { ...ROOMY, dailyTokens: 1101 })).toEqual({ kind: "ok" });
        expect(await admit(store, "m2", user, { ...ROOMY, dailyTokens: 1100 })).toMatchObject({
          kind: "throttled",
        });
      });

      it("settles a reservation once, however often the settle is retried", async (ctx) => {
        const { store, fixture } = await setup(ctx);
        const user = id("user");
        const reservation = await store.gate.reserveTokens(user, 800, 1000);
        const other = await fixture.replica();
        await store.gate.settleTokens(reservation!, 100);
        await other.gate.settleTokens(reservation!, 100);
        await store.gate.settleTokens(reservation!, 100);
        // 100 spent, 900 left.
        expect(await store.gate.reserveTokens(user, 900, 1000)).not.toBeNull();
        expect(await store.gate.reserveTokens(user, 1, 1000)).toBeNull();
      });

      it("frees a reservation whose settle never came once it expires, not at midnight", async (ctx) => {
        const { store, fixture } = await setup(ctx);
        const other = await fixture.replica();
        const ttlMs = 300;
        await onTime(async (inTime) => {
          const user = id("user");
          const reserved = Date.now();
          const lost = await store.gate.reserveTokens(user, 900, 1000, ttlMs);
          const until = Date.now() + ttlMs;
          expect(lost).not.toBeNull();
          const second = await store.gate.reserveTokens(user, 200, 1000);
          // The first reservation was still held.
          inTime(reserved + ttlMs);
          expect(second).toBeNull();
          await sleepUntil(until + 50);
          // Given back to reservations and to turns, through any replica.
          expect(await admit(other, "m1", user, { ...ROOMY, dailyTokens: 1000 })).toEqual({ kind: "ok" });
          const next = await other.gate.reserveTokens(user, 1000, 1000);
          expect(next).not.toBeNull();
          // A settle arriving after all changes nothing: the budget is the new reservation's.
          await store.gate.settleTokens(lost!, 900);
          await store.gate.settleTokens(next!, 400);
          expect(await store.gate.reserveTokens(user, 600, 1000)).not.toBeNull();
          expect(await store.gate.reserveTokens(user, 1, 1000)).toBeNull();
        });
      });
    });

    describe("thread lock", () => {
      it("gives the lock to exactly one of many concurrent owners across replicas", async (ctx) => {
        const { store, fixture } = await setup(ctx);
        const thread = id("thread");
        const other = await fixture.replica();
        const results = await Promise.all(
          Array.from({ length: 20 }, (_, i) =>
            (i % 2 ? other : store).threads.acquire(thread, `o${i}`, 5_000),
          ),
        );
        expect(results.filter((r) => r.acquired)).toHaveLength(1);
      });

      it("lets only the owner extend or release it", async (ctx) => {
        const { store } = await setup(ctx);
        const thread = id("thread");
        expect(await store.threads.acquire(thread, "alice", 5_000)).toEqual({ acquired: true, history: [] });
        expect(await store.threads.extend(thread, "bob", 5_000)).toBe(false);
        expect(await store.threads.release(thread, "bob")).toBe(false);
        expect(await store.threads.acquire(thread, "bob", 5_000)).toEqual({ acquired: false });
        expect(await store.threads.extend(thread, "alice", 5_000)).toBe(true);
        expect(await store.threads.release(thread, "alice")).toBe(true);
        expect(await store.threads.release(thread, "alice")).toBe(false);
        expect((await store.threads.acquire(thread, "bob", 5_000)).acquired).toBe(true);
      });

      it("frees a lock whose owner vanished once its TTL passes", async (ctx) => {
        const { store } = await setup(ctx);
        const thread = id("thread");
        expect((await store.threads.acquire(thread, "crashed", 50)).acquired).toBe(true);
        await sleep(120);
        expect((await store.threads.acquire(thread, "next", 5_000)).acquired).toBe(true);
        expect(await store.threads.extend(thread, "crashed", 5_000)).toBe(false);
      });

      it("keeps an extended lock past its first TTL", async (ctx) => {
        const { store } = await setup(ctx);
        await onTime(async (inTime) => {
          const thread = id("thread");
          const taken = Date.now();
          expect((await store.threads.acquire(thread, "alice", 300)).acquired).toBe(true);
          const extended = await store.threads.extend(thread, "alice", 5_000);
          // Extended before the first TTL ran out.
          inTime(taken + 300);
          expect(extended).toBe(true);
          await sleep(400);
          const bobs = await store.threads.acquire(thread, "bob", 5_000);
          // Before the extended TTL ran out.
          inTime(taken + 5_000);
          expect(bobs.acquired).toBe(false);
        });
      });

      it("locks each thread separately", async (ctx) => {
        const { store } = await setup(ctx);
        const [a, b] = [id("thread"), id("thread")];
        expect((await store.threads.acquire(a, "alice", 5_000)).acquired).toBe(true);
        expect((await store.threads.acquire(b, "bob", 5_000)).acquired).toBe(true);
      });
    });

    describe("dead turns", () => {
      it("hands the marker of a turn that died holding the thread to the next owner, once", async (ctx) => {
        const { store } = await setup(ctx);
        const thread = id("thread");
        expect(await store.threads.acquire(thread, "dead", 50, '{"turn":"dead"}')).toMatchObject({
          acquired: true,
        });
        await sleep(120);
        const next = await store.threads.acquire(thread, "next", 5_000, '{"turn":"next"}');
        expect(next).toMatchObject({ acquired: true, orphan: '{"turn":"dead"}' });
        expect(await store.threads.release(thread, "next")).toBe(true);
        const third = await store.threads.acquire(thread, "third", 5_000);
        expect(third.acquired && third.orphan).toBeFalsy();
      });

      it("forgets a turn's marker when it commits", async (ctx) => {
        const { store } = await setup(ctx);
        const thread = id("thread");
        await store.threads.acquire(thread, "alice", 5_000, '{"turn":"a"}');
        await store.threads.commit(thread, "alice", turn(1), { maxTurns: 10, ttlMs: 60_000 });
        const next = await store.threads.acquire(thread, "bob", 5_000);
        expect(next.acquired && next.orphan).toBeFalsy();
        expect(await store.threads.claimOrphans(10)).toEqual([]);
      });

      it("lets exactly one replica claim a dead turn and leaves running turns alone", async (ctx) => {
        const { store, fixture } = await setup(ctx);
        const other = await fixture.replica();
        const [dead, alive] = [id("thread"), id("thread")];
        await store.threads.acquire(dead, "dead", 50, '{"turn":"dead"}');
        await store.threads.acquire(alive, "alive", 5_000, '{"turn":"alive"}');
        await sleep(120);
        const claims = await Promise.all([store.threads.claimOrphans(10), other.threads.claimOrphans(10)]);
        expect(claims.flat()).toEqual(['{"turn":"dead"}']);
        expect(await store.threads.claimOrphans(10)).toEqual([]);
      });
    });

    describe("history", () => {
      const opts = { maxTurns: 50, ttlMs: 60_000 };

      it("commit saves the turn and releases the lock; the next owner gets the history with the lock", async (ctx) => {
        const { store, fixture } = await setup(ctx);
        const thread = id("thread");
        await store.threads.acquire(thread, "alice", 5_000);
        expect(await store.threads.commit(thread, "alice", turn(1), opts)).toBe(true);
        const other = await fixture.replica();
        expect(await other.threads.acquire(thread, "bob", 5_000)).toEqual({
          acquired: true,
          history: [turn(1)],
        });
      });

      it("saves the turn even when the lock was lost, reports it, and leaves the new owner's lock alone", async (ctx) => {
        const { store } = await setup(ctx);
        const thread = id("thread");
        await store.threads.acquire(thread, "slow", 40);
        await sleep(100);
        expect((await store.threads.acquire(thread, "fast", 5_000)).acquired).toBe(true);
        expect(await store.threads.commit(thread, "slow", turn(1), opts)).toBe(false);
        expect(await store.threads.acquire(thread, "third", 5_000)).toEqual({ acquired: false });
        expect(await store.threads.load(thread)).toEqual([turn(1)]);
      });

      it("returns turns oldest first and keeps only the last maxTurns", async (ctx) => {
        const { store } = await setup(ctx);
        const thread = id("thread");
        for (let i = 1; i <= 5; i++)
          await store.threads.commit(thread, "x", turn(i), { ...opts, maxTurns: 3 });
        expect(await store.threads.load(thread)).toEqual([turn(3), turn(4), turn(5)]);
      });

      it("reads history without taking the lock", async (ctx) => {
        const { store } = await setup(ctx);
        const thread = id("thread");
        await store.threads.commit(thread, "x", turn(1), opts);
        expect(await store.threads.load(thread)).toEqual([turn(1)]);
        expect((await store.threads.acquire(thread, "alice", 5_000)).acquired).toBe(true);
      });

      it("forgets a thread ttlMs after its last turn, counting from the latest commit", async (ctx) => {
        const { store } = await setup(ctx);
        // The second commit comes MARGIN_MS before the first one's expiry; the check between the
        // two expiries has MARGIN_MS on either side.
        const ttlMs = 3 * MARGIN_MS;
        await onTime(async (inTime) => {
          const thread = id("thread");
          // Each commit sets its expiry between the times taken before and after it.
          const before1 = Date.now();
          await store.threads.commit(thread, "x", turn(1), { ...opts, ttlMs });
          const after1 = Date.now();
          await sleepUntil(after1 + ttlMs - MARGIN_MS);
          const before2 = Date.now();
          await store.threads.commit(thread, "x", turn(2), { ...opts, ttlMs });
          const after2 = Date.now();
          // The first turn's history had not expired yet.
          inTime(before1 + ttlMs);
          // Past the first commit's expiry, before the second's.
          await sleepUntil(after1 + ttlMs + 100);
          const between = await store.threads.load(thread);
          inTime(before2 + ttlMs);
          expect(between).toEqual([turn(1), turn(2)]);
          await sleepUntil(after2 + ttlMs + 100);
          expect(await store.threads.load(thread)).toEqual([]);
        });
      });

      it("returns what the store holds after another replica's commit, a trim and a write from outside", async (ctx) => {
        // Each replica keeps the turns it parsed (store/history.ts): none of that may hide a change.
        const { store, fixture } = await setup(ctx);
        const thread = id("thread");
        await store.threads.commit(thread, "x", turn(1), opts);
        await store.threads.commit(thread, "x", turn(2), opts);
        expect(await store.threads.load(thread)).toEqual([turn(1), turn(2)]);
        const other = await fixture.replica();
        await other.threads.commit(thread, "y", turn(3), { ...opts, maxTurns: 2 });
        expect(await store.threads.load(thread)).toEqual([turn(2), turn(3)]);
        const edited = { ...turn(4), entries: [{ role: "user" as const, content: "written elsewhere" }] };
        await fixture.appendRawHistory(thread, JSON.stringify(edited));
        expect(await store.threads.load(thread)).toEqual([turn(2), turn(3), edited]);
        expect((await store.threads.acquire(thread, "alice", 5_000)) as unknown).toEqual({
          acquired: true,
          history: [turn(2), turn(3), edited],
        });
      });

      it("hands out turns nobody can change, so the next read still says what was stored", async (ctx) => {
        const { store } = await setup(ctx);
        const thread = id("thread");
        await store.threads.commit(thread, "x", turn(1), opts);
        const [first] = await store.threads.load(thread);
        expect(() => {
          (first!.entries[0] as { content: string }).content = "changed";
        }).toThrow(TypeError);
        expect(() => first!.entries.push({ role: "user", content: "more" })).toThrow(TypeError);
        expect(await store.threads.load(thread)).toEqual([turn(1)]);
      });

      it("drops a corrupt entry with a warning and still returns the good turns", async (ctx) => {
        const { store, fixture, captured } = await setup(ctx);
        const thread = id("thread");
        await store.threads.commit(thread, "x", turn(1), opts);
        await fixture.appendRawHistory(thread, "{not json");
        await fixture.appendRawHistory(thread, JSON.stringify({ at: 1, entries: [{ role: "wizard" }] }));
        await store.threads.commit(thread, "x", turn(2), opts);

        expect(await store.threads.load(thread)).toEqual([turn(1), turn(2)]);
        expect(await store.threads.acquire(thread, "alice", 5_000)).toEqual({
          acquired: true,
          history: [turn(1), turn(2)],
        });
        const warnings = captured.lines.filter(
          (l) => l.level === WARN && l.msg === "dropped a corrupt history entry",
        );
        expect(warnings).toHaveLength(4);
        expect(warnings[0]).toMatchObject({ threadKey: thread, index: 1 });
      });
    });

    describe("key-value", () => {
      it("returns what was set until its TTL passes, then null", async (ctx) => {
        const { store } = await setup(ctx);
        await onTime(async (inTime) => {
          const key = id("cache");
          expect(await store.kv.get(key)).toBeNull();
          const before = Date.now();
          await store.kv.set(key, '{"temp":21}', MARGIN_MS);
          const read = await store.kv.get(key);
          inTime(before + MARGIN_MS);
          expect(read).toBe('{"temp":21}');
          await sleep(MARGIN_MS + 100);
          expect(await store.kv.get(key)).toBeNull();
        });
      });

      it("counts up from 1 and starts over once the TTL set at creation has passed", async (ctx) => {
        const { store } = await setup(ctx);
        const ttlMs = 2 * MARGIN_MS;
        await onTime(async (inTime) => {
          const key = id("failures");
          const before = Date.now();
          expect(await store.kv.increment(key, ttlMs)).toBe(1);
          // Taken after the increment returns, so the expiry is at or before created + ttlMs.
          const created = Date.now();
          await sleepUntil(created + MARGIN_MS / 2);
          // A later increment does not push the expiry out (it would to at least created + 1.25 ttlMs).
          const before2 = Date.now();
          const second = await store.kv.increment(key, ttlMs);
          inTime(before + ttlMs);
          expect(second).toBe(2);
          await sleepUntil(created + ttlMs + 50);
          const third = await store.kv.increment(key, ttlMs);
          // Before the expiry the second increment would have set, had it pushed the expiry out.
          inTime(before2 + ttlMs);
          expect(third).toBe(1);
        });
      });

      it("never loses an increment made concurrently through two replicas", async (ctx) => {
        const { store, fixture } = await setup(ctx);
        const key = id("counter");
        const other = await fixture.replica();
        const values = await Promise.all(
          Array.from({ length: 30 }, (_, i) => (i % 2 ? other : store).kv.increment(key, 60_000)),
        );
        expect([...values].sort((a, b) => a - b)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
      });
    });

    describe("embedding vectors", () => {
      it("returns cached vectors to another replica exactly, and null for unknown keys", async (ctx) => {
        const { store, fixture } = await setup(ctx);
        const [a, b] = [id("vec"), id("vec")];
        const va = new Float32Array([0.25, -1.5, 3.125e-3, 0]);
        const vb = new Float32Array(Array.from({ length: 1536 }, (_, i) => Math.sin(i)));
        await store.vectors.setMany(
          [
            { key: a, vector: va },
            { key: b, vector: vb },
          ],
          60_000,
        );
        const other = await fixture.replica();
        const [ga, missing, gb] = await other.vectors.getMany([a, id("vec"), b]);
        expect(missing).toBeNull();
        expect(Array.from(ga ?? [])).toEqual(Array.from(va));
        expect(Array.from(gb ?? [])).toEqual(Array.from(vb));
      });

      it("forgets a vector once its TTL has passed", async (ctx) => {
        const { store } = await setup(ctx);
        const key = id("vec");
        const kept = id("vec");
        // The short TTL is only checked once it has surely passed; the long one shows the store
        // does keep a vector until then (no check races the short TTL on a busy machine).
        await store.vectors.setMany([{ key, vector: new Float32Array([1, 2]) }], 150);
        await store.vectors.setMany([{ key: kept, vector: new Float32Array([3, 4]) }], 60_000);
        await sleep(250);
        expect(await store.vectors.getMany([key, kept])).toEqual([null, new Float32Array([3, 4])]);
      });
    });

    describe("lifecycle", () => {
      it("answers ping while open and refuses calls with a StoreError once closed", async (ctx) => {
        const { store, fixture } = await setup(ctx);
        await expect(store.ping()).resolves.toBeUndefined();
        const other = await fixture.replica();
        await other.close();
        await expect(other.kv.get("x")).rejects.toBeInstanceOf(StoreError);
        await expect(other.ping()).rejects.toBeInstanceOf(StoreError);
      });
    });
  });
}
