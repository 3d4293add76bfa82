/**
 * What every Store's feedback part must do, run against the memory store and Redis: answers
 * waiting to be rated, ratings that change on a second click, the export, expiry and /forget.
 * Each test uses its own user keys, so tests sharing a Redis never see each other's records.
 */
import { randomUUID } from "node:crypto";
import { describe, expect, it, type TestContext, type TestOptions } from "vitest";
import type { FeedbackStore } from "../../src/core/feedback/store.js";
import type { FeedbackRecord, RateableTurn } from "../../src/core/feedback/types.js";
import type { OpenStore } from "./contract.js";
import { captureLog } from "./log-capture.js";

const HOUR = 3_600_000;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export function answered(userKey: string, turnId = `slack:${randomUUID()}`): RateableTurn {
  return {
    turnId,
    platform: "slack",
    conversation: { platform: "slack", workspaceId: "T1", channelId: "D1", threadId: "1700.1" },
    userKey,
    question: "Where is my order?",
    answer: "Order 1042 ships tomorrow.",
    toolCalls: [{ name: "lookup_order", arguments: '{"id":"1042"}', result: '{"status":"packed"}' }],
    model: "gpt-4o-mini",
    tokens: { input: 120, output: 18 },
    answeredAt: 1_700_000_000_000,
  };
}

async function collect(feedback: FeedbackStore): Promise<FeedbackRecord[]> {
  const out: FeedbackRecord[] = [];
  for await (const r of feedback.all()) out.push(r);
  return out;
}

export function feedbackContract(name: string, open: OpenStore, options: TestOptions = {}): void {
  describe.concurrent(`${name} feedback contract`, options, () => {
    const setup = async (ctx: TestContext) => {
      const fixture = await open(captureLog());
      ctx.onTestFinished(() => fixture.close());
      return fixture;
    };
    const user = () => `slack:T1:U${randomUUID()}`;

    it("stores a rating with the whole turn it rates", async (ctx) => {
      const { store } = await setup(ctx);
      const u = user();
      const turn = answered(u);
      await store.feedback.rememberTurn(turn, HOUR);
      const now = Date.now();
      const result = await store.feedback.rate({
        userKey: u,
        turnId: turn.turnId,
        rating: "up",
        now,
        ttlMs: HOUR,
      });
      expect(result?.previous).toBeNull();
      expect(await store.feedback.get(u, turn.turnId)).toEqual({ ...turn, rating: "up", ratedAt: now });
    });

    it("changes the rating on a second click and keeps a thumbs-down reason until the rating changes", async (ctx) => {
      const { store } = await setup(ctx);
      const u = user();
      const turn = answered(u);
      await store.feedback.rememberTurn(turn, HOUR);
      const rate = (rating: "up" | "down", reason?: string) =>
        store.feedback.rate({
          userKey: u,
          turnId: turn.turnId,
          rating,
          ...(reason !== undefined ? { reason } : {}),
          now: Date.now(),
          ttlMs: HOUR,
        });
      expect((await rate("down"))?.previous).toBeNull();
      expect((await rate("down", "  It named the wrong order.  "))?.record.reason).toBe(
        "It named the wrong order.",
      );
      const again = await rate("down");
      expect(again?.previous).toBe("down");
      expect(again?.record.reason).toBe("It named the wrong order.");
      const changed = await rate("up");
      expect(changed?.previous).toBe("down");
      expect(changed?.record.reason).toBeUndefined();
      expect((await store.feedback.get(u, turn.turnId))?.rating).toBe("up");
    });

    it("counts two clicks that arrive at once as one first rating and one change, never two first ratings", async (ctx) => {
      const { store } = await setup(ctx);
      const u = user();
      const turn = answered(u);
      await store.feedback.rememberTurn(turn, HOUR);
      const rate = (rating: "up" | "down") =>
        store.feedback.rate({ userKey: u, turnId: turn.turnId, rating, now: Date.now(), ttlMs: HOUR });
      const results = await Promise.all([rate("up"), rate("down")]);
      const previous = results.map((r) => r?.previous ?? null);
      // One of them came first (no earlier rating); the other replaced it.
      expect(previous.filter((p) => p === null)).toHaveLength(1);
      const last = await store.feedback.get(u, turn.turnId);
      const second = results.find((r) => r?.previous !== null);
      expect(second?.record.rating).toBe(last?.rating);
      expect(second?.previous).not.toBe(last?.rating);
    });

    it("rates nothing when the turn is of another conversation than the one named", async (ctx) => {
      const { store } = await setup(ctx);
      const u = user();
      const turn = answered(u);
      await store.feedback.rememberTurn(turn, HOUR);
      const rate = (threadId: string) =>
        store.feedback.rate({
          userKey: u,
          turnId: turn.turnId,
          rating: "up",
          threadId,
          now: Date.now(),
          ttlMs: HOUR,
        });
      expect(await rate("another-session")).toBeNull();
      expect(await store.feedback.get(u, turn.turnId)).toBeNull();
      expect((await rate(turn.conversation.threadId))?.record.rating).toBe("up");
    });

    it("rates nothing for an answer it never kept or for another person", async (ctx) => {
      const { store } = await setup(ctx);
      const u = user();
      const turn = answered(u);
      await store.feedback.rememberTurn(turn, HOUR);
      const now = Date.now();
      expect(
        await store.feedback.rate({ userKey: u, turnId: "slack:nope", rating: "up", now, ttlMs: HOUR }),
      ).toBeNull();
      expect(
        await store.feedback.rate({ userKey: user(), turnId: turn.turnId, rating: "up", now, ttlMs: HOUR }),
      ).toBeNull();
    });

    it("shares ratings between replicas and exports them oldest first", async (ctx) => {
      const fixture = await setup(ctx);
      const replica = await fixture.replica();
      const u = user();
      const first = answered(u);
      const second = answered(u);
      await fixture.store.feedback.rememberTurn(first, HOUR);
      await fixture.store.feedback.rememberTurn(second, HOUR);
      const now = Date.now();
      await replica.feedback.rate({ userKey: u, turnId: second.turnId, rating: "down", now, ttlMs: HOUR });
      await fixture.store.feedback.rate({
        userKey: u,
        turnId: first.turnId,
        rating: "up",
        now: now + 1,
        ttlMs: HOUR,
      });
      const mine = (await collect(replica.feedback)).filter((r) => r.userKey === u);
      expect(mine.map((r) => [r.turnId, r.rating])).toEqual([
        [second.turnId, "down"],
        [first.turnId, "up"],
      ]);
    });

    it("keeps an unrated answer only for its own lifetime and a rating for the feedback lifetime", async (ctx) => {
      const { store } = await setup(ctx);
      const u = user();
      const short = answered(u);
      const rated = answered(u);
      await store.feedback.rememberTurn(short, 50);
      await store.feedback.rememberTurn(rated, HOUR);
      await store.feedback.rate({
        userKey: u,
        turnId: rated.turnId,
        rating: "up",
        now: Date.now(),
        ttlMs: 50,
      });
      await sleep(200);
      expect(
        await store.feedback.rate({
          userKey: u,
          turnId: short.turnId,
          rating: "up",
          now: Date.now(),
          ttlMs: HOUR,
        }),
      ).toBeNull();
      expect(await store.feedback.get(u, rated.turnId)).toBeNull();
      expect((await collect(store.feedback)).filter((r) => r.userKey === u)).toEqual([]);
    });

    it("forgets every rating and waiting answer of one person, and nobody else's", async (ctx) => {
      const { store } = await setup(ctx);
      const u = user();
      const other = user();
      const mine = [answered(u), answered(u), answered(u)];
      const theirs = answered(other);
      for (const t of [...mine, theirs]) await store.feedback.rememberTurn(t, HOUR);
      const now = Date.now();
      for (const t of mine.slice(0, 2)) {
        await store.feedback.rate({ userKey: u, turnId: t.turnId, rating: "down", now, ttlMs: HOUR });
      }
      await store.feedback.rate({ userKey: other, turnId: theirs.turnId, rating: "up", now, ttlMs: HOUR });
      expect(store.feedback.kind).toBe("ratings");
      expect(await store.feedback.forgetUser(u)).toBe(2);
      for (const t of mine) {
        expect(await store.feedback.get(u, t.turnId)).toBeNull();
        // The unrated answer went too: it can no longer be rated.
        expect(
          await store.feedback.rate({ userKey: u, turnId: t.turnId, rating: "up", now, ttlMs: HOUR }),
        ).toBeNull();
      }
      const left = await collect(store.feedback);
      expect(left.some((r) => r.userKey === u)).toBe(false);
      expect(left.find((r) => r.userKey === other)?.rating).toBe("up");
      expect(await store.feedback.forgetUser(u)).toBe(0);
    });
  });
}
