/**
 * `/forget` at the store: every person has an index of the threads holding their turns, written
 * with each commit, and `forgetUser` deletes through it (private threads whole, the person's own
 * turns from shared ones) without touching anyone else's. Run on every store the contract runs on.
 */
import { describe, expect, it, type TestContext, type TestOptions } from "vitest";
import type { Store, ThreadPeople } from "../../src/core/ports.js";
import type { StoredTurn } from "../../src/core/types.js";
import type { OpenStore } from "./contract.js";
import { captureLog } from "./log-capture.js";
import { onTime, sleep } from "./on-time.js";

const HOUR_MS = 3_600_000;

function said(author: string, text: string): StoredTurn {
  return {
    at: 1_700_000_000_000,
    author,
    entries: [
      { role: "user", content: text },
      { role: "assistant", content: `answer to ${text}` },
    ],
  };
}

export function forgetContract(name: string, open: OpenStore, options: TestOptions = {}): void {
  describe.concurrent(`${name} store: forgetting a person`, options, () => {
    let n = 0;
    const id = (label: string) => `${label}-${++n}-${Math.random().toString(36).slice(2, 8)}`;
    const setup = async (ctx: TestContext) => {
      const fixture = await open(captureLog());
      ctx.onTestFinished(() => fixture.close());
      return fixture.store;
    };
    /** One finished turn, committed as the core does: the author and everyone the thread holds. */
    const talk = (store: Store, thread: string, turn: StoredTurn, people: ThreadPeople, ttlMs = HOUR_MS) =>
      store.threads.commit(thread, "owner", turn, { maxTurns: 50, ttlMs, people });
    const texts = async (store: Store, thread: string) =>
      (await store.threads.load(thread)).map((t) => t.entries[0]?.content);

    it("deletes the person's DM and their turns in two shared threads, and leaves everyone else's", async (ctx) => {
      const store = await setup(ctx);
      const [ana, ben] = [id("slack:T1:ana"), id("slack:T1:ben")];
      const [dm, shared1, shared2, bensDm] = [id("dm"), id("shared"), id("shared"), id("dm")];
      await talk(store, dm, said(ana, "my order?"), { userKeys: [ana], audience: "private" });
      await talk(store, dm, said(ana, "and my email?"), { userKeys: [ana], audience: "private" });
      await talk(store, shared1, said(ben, "ben asks"), { userKeys: [ben], audience: "shared" });
      await talk(store, shared1, said(ana, "ana asks"), { userKeys: [ben, ana], audience: "shared" });
      await talk(store, shared1, said(ben, "ben again"), { userKeys: [ben, ana], audience: "shared" });
      await talk(store, shared2, said(ana, "ana alone"), { userKeys: [ana], audience: "shared" });
      await talk(store, bensDm, said(ben, "ben's secret"), { userKeys: [ben], audience: "private" });

      expect(await store.threads.forgetUser(ana)).toBe(3);

      expect(await store.threads.load(dm)).toEqual([]);
      expect(await texts(store, shared1)).toEqual(["ben asks", "ben again"]);
      expect(await store.threads.load(shared2)).toEqual([]);
      expect(await texts(store, bensDm)).toEqual(["ben's secret"]);
      // Nothing left to find, and Ben's index still reaches his own conversations.
      expect(await store.threads.forgetUser(ana)).toBe(0);
      expect(await store.threads.forgetUser(ben)).toBe(2);
      expect(await store.threads.load(shared1)).toEqual([]);
      expect(await store.threads.load(bensDm)).toEqual([]);
    });

    it("finds threads written through another replica", async (ctx) => {
      const fixture = await open(captureLog());
      ctx.onTestFinished(() => fixture.close());
      const other = await fixture.replica();
      const ana = id("discord:ana");
      const thread = id("dm");
      await talk(other, thread, said(ana, "hello"), { userKeys: [ana], audience: "private" });
      expect(await fixture.store.threads.forgetUser(ana)).toBe(1);
      expect(await other.threads.load(thread)).toEqual([]);
    });

    it("keeps a shared thread indexed while it still holds the person's turn, after their own turn's expiry", async (ctx) => {
      const store = await setup(ctx);
      await onTime(async (inTime) => {
        const [ana, ben] = [id("web:ana"), id("web:ben")];
        const thread = id("shared");
        // Ana's turn alone would expire after 1.5 s; Ben's later turn keeps the history for a minute.
        const before = Date.now();
        await talk(store, thread, said(ana, "ana asks"), { userKeys: [ana], audience: "shared" }, 1_500);
        await talk(
          store,
          thread,
          said(ben, "ben asks"),
          { userKeys: [ana, ben], audience: "shared" },
          60_000,
        );
        // Ben's turn came before Ana's expired.
        inTime(before + 1_500);
        await sleep(2_000);
        expect(await texts(store, thread)).toEqual(["ana asks", "ben asks"]);
        expect(await store.threads.forgetUser(ana)).toBe(1);
        expect(await texts(store, thread)).toEqual(["ben asks"]);
      });
    });

    it("leaves turns saved before authors were recorded in a shared thread, and counts nothing for them", async (ctx) => {
      const store = await setup(ctx);
      const ana = id("slack:T1:ana");
      const thread = id("shared");
      const legacy: StoredTurn = { at: 1, entries: [{ role: "user", content: "old" }] };
      await store.threads.commit(thread, "o", legacy, { maxTurns: 50, ttlMs: HOUR_MS });
      await talk(store, thread, said(ana, "new"), { userKeys: [ana], audience: "shared" });
      expect(await store.threads.forgetUser(ana)).toBe(1);
      expect(await texts(store, thread)).toEqual(["old"]);
    });
  });
}
