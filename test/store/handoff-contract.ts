/**
 * The hand-off records every Store must keep (core/handoff/store.ts), run against the memory store
 * and Redis. "Replica" = a second store on the same data, as another process would have.
 */
import { randomUUID } from "node:crypto";
import { describe, expect, it, type TestContext, type TestOptions } from "vitest";
import type { HandoffRecord } from "../../src/core/handoff/record.js";
import { teamThreadKeyOf } from "../../src/core/handoff/record.js";
import { threadKeyOf } from "../../src/core/types.js";
import type { OpenStore } from "./contract.js";
import { captureLog } from "./log-capture.js";

const HOUR = 60 * 60 * 1000;

function record(over: Partial<HandoffRecord> = {}): HandoffRecord {
  const id = randomUUID();
  return {
    id,
    conversation: { platform: "slack", workspaceId: "T1", channelId: "D1", threadId: `dm-${id}` },
    userKey: `slack:T1:U-${id}`,
    userId: "U1",
    userName: "Ana",
    reason: "asked for a person",
    trigger: "tool",
    status: "open",
    openedAt: 1_700_000_000_000,
    ...over,
  };
}

export function handoffContract(name: string, open: OpenStore, options: TestOptions = {}): void {
  describe.concurrent(`${name} hand-off contract`, options, () => {
    const setup = async (ctx: TestContext) => {
      const fixture = await open(captureLog());
      ctx.onTestFinished(() => fixture.close());
      return fixture;
    };

    it("opens one hand-off per conversation, even when two replicas ask at once", async (ctx) => {
      const f = await setup(ctx);
      const other = await f.replica();
      const a = record();
      const b = { ...record(), conversation: a.conversation };
      const [ra, rb] = await Promise.all([f.store.handoffs.open(a, HOUR), other.handoffs.open(b, HOUR)]);
      expect([ra.opened, rb.opened].filter(Boolean)).toHaveLength(1);
      const winner = ra.opened ? a : b;
      const loser = ra.opened ? rb : ra;
      expect(loser.opened ? undefined : loser.active?.id).toBe(winner.id);
      expect((await other.handoffs.activeFor(threadKeyOf(a.conversation)))?.id).toBe(winner.id);
    });

    it("lets exactly one replica claim, and exactly one close, a hand-off", async (ctx) => {
      const f = await setup(ctx);
      const other = await f.replica();
      const rec = record();
      await f.store.handoffs.open(rec, HOUR);
      const claims = await Promise.all([
        f.store.handoffs.transition(rec.id, "claimed", "Bea", 2),
        other.handoffs.transition(rec.id, "claimed", "Cid", 3),
      ]);
      expect(claims.filter((c) => c !== undefined)).toHaveLength(1);
      const closes = await Promise.all([
        f.store.handoffs.transition(rec.id, "closed", "Bea", 4),
        other.handoffs.transition(rec.id, "closed", "Cid", 5),
      ]);
      expect(closes.filter((c) => c !== undefined)).toHaveLength(1);
      expect((await f.store.handoffs.get(rec.id))?.status).toBe("closed");
      expect(await f.store.handoffs.transition(rec.id, "claimed", "Dee", 6)).toBeUndefined();
      // Closed: the conversation is free for a new hand-off and the team page no longer lists it.
      expect(await other.handoffs.activeFor(threadKeyOf(rec.conversation))).toBeUndefined();
      expect((await f.store.handoffs.listActive(100)).map((r) => r.id)).not.toContain(rec.id);
      expect(
        (await f.store.handoffs.open({ ...record(), conversation: rec.conversation }, HOUR)).opened,
      ).toBe(true);
    });

    it("finds a hand-off by its team thread, and keeps its relayed lines in order", async (ctx) => {
      const f = await setup(ctx);
      const rec = record();
      await f.store.handoffs.open(rec, HOUR);
      const team = {
        platform: "slack" as const,
        channelId: "CTEAM",
        threadId: `ts-${rec.id}`,
        messageId: `ts-${rec.id}`,
      };
      expect((await f.store.handoffs.attachTeam(rec.id, team))?.team).toEqual(team);
      expect((await f.store.handoffs.forTeamThread(teamThreadKeyOf(team)))?.id).toBe(rec.id);
      await f.store.handoffs.appendLine(rec.id, { from: "customer", name: "Ana", text: "hello?", at: 1 });
      await f.store.handoffs.appendLine(rec.id, { from: "team", name: "Bea", text: "hi Ana", at: 2 });
      expect((await f.store.handoffs.transcript(rec.id)).map((l) => l.text)).toEqual(["hello?", "hi Ana"]);
      await f.store.handoffs.setSummary(rec.id, "Ana wants a refund.");
      expect((await f.store.handoffs.get(rec.id))?.summary).toBe("Ana wants a refund.");
      expect((await f.store.handoffs.listActive(100)).map((r) => r.id)).toContain(rec.id);
    });

    it("keeps the bot's note to the team beside the summary, not over it", async (ctx) => {
      const f = await setup(ctx);
      const rec = record();
      await f.store.handoffs.open(rec, HOUR);
      await f.store.handoffs.setSummary(rec.id, "Ana wants a refund.");
      await f.store.handoffs.setNote(rec.id, "Could not deliver that to the customer.");
      const kept = await f.store.handoffs.get(rec.id);
      expect(kept?.summary).toBe("Ana wants a refund.");
      expect(kept?.note).toBe("Could not deliver that to the customer.");
    });

    it("marks a relayed message once across replicas", async (ctx) => {
      const f = await setup(ctx);
      const other = await f.replica();
      const key = `team:slack:${randomUUID()}`;
      const marks = await Promise.all([f.store.handoffs.once(key, HOUR), other.handoffs.once(key, HOUR)]);
      expect(marks.filter(Boolean)).toHaveLength(1);
    });

    it("forgets every hand-off of a person and nobody else's", async (ctx) => {
      const f = await setup(ctx);
      const mine = record();
      const mineToo = { ...record(), userKey: mine.userKey };
      const theirs = record();
      for (const r of [mine, mineToo, theirs]) await f.store.handoffs.open(r, HOUR);
      await f.store.handoffs.appendLine(mine.id, { from: "customer", text: "my address is ...", at: 1 });
      await f.store.handoffs.transition(mineToo.id, "closed", "Bea", 2);
      expect(f.store.handoffs.kind).toBe("hand-offs");
      expect(await f.store.handoffs.forgetUser(mine.userKey)).toBe(2);
      expect(await f.store.handoffs.get(mine.id)).toBeUndefined();
      expect(await f.store.handoffs.get(mineToo.id)).toBeUndefined();
      expect(await f.store.handoffs.transcript(mine.id)).toEqual([]);
      expect(await f.store.handoffs.activeFor(threadKeyOf(mine.conversation))).toBeUndefined();
      expect((await f.store.handoffs.get(theirs.id))?.id).toBe(theirs.id);
      expect(await f.store.handoffs.forgetUser(mine.userKey)).toBe(0);
    });

    it("lets a hand-off expire with its indexes", async (ctx) => {
      const f = await setup(ctx);
      const rec = record();
      await f.store.handoffs.open(rec, 50);
      await new Promise((r) => setTimeout(r, 300));
      expect(await f.store.handoffs.get(rec.id)).toBeUndefined();
      expect(await f.store.handoffs.activeFor(threadKeyOf(rec.conversation))).toBeUndefined();
      expect((await f.store.handoffs.listActive(100)).map((r) => r.id)).not.toContain(rec.id);
    });
  });
}
