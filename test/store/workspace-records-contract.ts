/**
 * What an uninstall deletes at the store (core/workspace-records.ts): every part keeping records
 * about people in a workspace indexes them by workspace as it writes them, and `forgetWorkspace`
 * deletes through that index, leaving other workspaces' records (even the same person's) intact.
 * Run on every store the contract runs on; each test uses its own workspace ids and user keys.
 */
import { randomUUID } from "node:crypto";
import { describe, expect, it, type TestContext, type TestOptions } from "vitest";
import type { HandoffRecord } from "../../src/core/handoff/record.js";
import type { Store, ThreadPeople } from "../../src/core/ports.js";
import { type ConversationRef, threadKeyOf } from "../../src/core/types.js";
import { workspaceKeyOf } from "../../src/core/workspace-records.js";
import type { OpenStore } from "./contract.js";
import { answered } from "./feedback-contract.js";
import { captureLog } from "./log-capture.js";

const HOUR = 3_600_000;

export function workspaceRecordsContract(name: string, open: OpenStore, options: TestOptions = {}): void {
  describe.concurrent(`${name} store: forgetting a workspace`, options, () => {
    const setup = async (ctx: TestContext) => {
      const fixture = await open(captureLog());
      ctx.onTestFinished(() => fixture.close());
      return fixture.store;
    };
    /** Two workspaces of one org and a person (Grid user key) who talks in both. */
    const org = () => {
      const suffix = randomUUID().slice(0, 8);
      return {
        gone: `TGONE${suffix}`,
        kept: `TKEPT${suffix}`,
        ana: `slack:E${suffix}:UANA`,
        ben: `slack:E${suffix}:UBEN`,
      };
    };
    const where = (team: string, channel = "D1", thread = randomUUID()): ConversationRef => ({
      platform: "slack",
      workspaceId: team,
      channelId: channel,
      threadId: thread,
    });
    const wk = (team: string) => workspaceKeyOf({ platform: "slack", workspaceId: team });

    it("deletes the workspace's ratings and answers waiting for one, and keeps another workspace's", async (ctx) => {
      const store = await setup(ctx);
      const { gone, kept, ana } = org();
      const rated = { ...answered(ana), conversation: where(gone) };
      const waiting = { ...answered(ana), conversation: where(gone) };
      const elsewhere = { ...answered(ana), conversation: where(kept) };
      for (const turn of [rated, waiting, elsewhere]) await store.feedback.rememberTurn(turn, HOUR);
      const rate = (turnId: string) =>
        store.feedback.rate({ userKey: ana, turnId, rating: "up", now: Date.now(), ttlMs: HOUR });
      await rate(rated.turnId);
      await rate(elsewhere.turnId);

      expect(await store.feedback.forgetWorkspace(wk(gone))).toBe(1);

      expect(await store.feedback.get(ana, rated.turnId)).toBeNull();
      // The answer waiting to be rated is gone too: a late click finds nothing.
      expect(await rate(waiting.turnId)).toBeNull();
      expect((await store.feedback.get(ana, elsewhere.turnId))?.rating).toBe("up");
      const exported: string[] = [];
      for await (const r of store.feedback.all()) if (r.userKey === ana) exported.push(r.turnId);
      expect(exported).toEqual([elsewhere.turnId]);
      // The person's own index no longer points at the deleted records; the kept one remains.
      expect(await store.feedback.forgetUser(ana)).toBe(1);
      expect(await store.feedback.forgetWorkspace(wk(gone))).toBe(0);
    });

    it("deletes the workspace's hand-offs with their transcripts, and keeps another workspace's", async (ctx) => {
      const store = await setup(ctx);
      const { gone, kept, ana, ben } = org();
      const handoff = (userKey: string, conversation: ConversationRef): HandoffRecord => ({
        id: randomUUID(),
        conversation,
        userKey,
        userId: userKey.split(":").at(-1) ?? "",
        reason: "asked for a person",
        trigger: "tool",
        status: "open",
        openedAt: Date.now(),
      });
      const anas = handoff(ana, where(gone));
      const bens = handoff(ben, where(gone, "C1"));
      const anasElsewhere = handoff(ana, where(kept));
      for (const h of [anas, bens, anasElsewhere])
        expect((await store.handoffs.open(h, HOUR)).opened).toBe(true);
      await store.handoffs.transition(bens.id, "claimed", "Bea", Date.now());
      await store.handoffs.appendLine(anas.id, { from: "customer", text: "my order 1042", at: Date.now() });

      expect(await store.handoffs.forgetWorkspace(wk(gone))).toBe(2);

      expect(await store.handoffs.get(anas.id)).toBeUndefined();
      expect(await store.handoffs.get(bens.id)).toBeUndefined();
      expect(await store.handoffs.activeFor(threadKeyOf(anas.conversation))).toBeUndefined();
      expect(await store.handoffs.transcript(anas.id)).toEqual([]);
      const active = (await store.handoffs.listActive(1000)).map((h) => h.id);
      expect(active).toContain(anasElsewhere.id);
      expect(active).not.toContain(anas.id);
      expect((await store.handoffs.activeFor(threadKeyOf(anasElsewhere.conversation)))?.id).toBe(
        anasElsewhere.id,
      );
      // Their per-person indexes hold only what is left.
      expect(await store.handoffs.forgetUser(ben)).toBe(0);
      expect(await store.handoffs.forgetUser(ana)).toBe(1);
    });

    it("removes the workspace's threads from each person's conversation index, and keeps the others", async (ctx) => {
      const store = await setup(ctx);
      const { gone, kept, ana, ben } = org();
      const talk = (ref: ConversationRef, author: string, people: Omit<ThreadPeople, "workspace">) =>
        store.threads.commit(
          threadKeyOf(ref),
          "owner",
          { at: 1, author, entries: [{ role: "user", content: `${author} asks` }] },
          { maxTurns: 50, ttlMs: HOUR, people: { ...people, workspace: wk(ref.workspaceId) } },
        );
      const dmGone = where(gone);
      const sharedGone = where(gone, "C1");
      const dmKept = where(kept);
      await talk(dmGone, ana, { userKeys: [ana], audience: "private" });
      await talk(sharedGone, ben, { userKeys: [ben], audience: "shared" });
      await talk(sharedGone, ana, { userKeys: [ben, ana], audience: "shared" });
      await talk(dmKept, ana, { userKeys: [ana], audience: "private" });

      // Ana: her DM and the shared thread; Ben: the shared thread.
      expect(await store.threads.forgetWorkspace(wk(gone))).toBe(3);

      // (The histories themselves go with the installation's thread index: WorkspaceThreads.)
      // Forgetting Ana now reaches only her conversation in the kept workspace.
      expect(await store.threads.forgetUser(ana)).toBe(1);
      expect(await store.threads.load(threadKeyOf(dmKept))).toEqual([]);
      expect(await store.threads.load(threadKeyOf(dmGone))).toHaveLength(1);
      expect(await store.threads.forgetUser(ben)).toBe(0);
      expect(await store.threads.forgetWorkspace(wk(gone))).toBe(0);
    });

    it("forgets nothing for a workspace it never saw", async (ctx) => {
      const store: Store = await setup(ctx);
      const { gone } = org();
      expect(await store.threads.forgetWorkspace(wk(gone))).toBe(0);
      expect(await store.feedback.forgetWorkspace(wk(gone))).toBe(0);
      expect(await store.handoffs.forgetWorkspace(wk(gone))).toBe(0);
    });
  });
}
