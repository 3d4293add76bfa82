/**
 * Installations (sealed records kept until deleted) and the per-installation thread index, run
 * against the memory store and Redis. Ids are unique per test so tests can share one store.
 */
import { randomUUID } from "node:crypto";
import { describe, expect, it, type TestContext, type TestOptions } from "vitest";
import type { OpenStore } from "./contract.js";
import { captureLog } from "./log-capture.js";

const HOUR = 3_600_000;
const turn = (text: string) => ({ at: 1, entries: [{ role: "user" as const, content: text }] });

export function installationsContract(name: string, open: OpenStore, options: TestOptions = {}): void {
  describe.concurrent(`${name} installations contract`, options, () => {
    const setup = async (ctx: TestContext) => {
      const fixture = await open(captureLog());
      ctx.onTestFinished(() => fixture.close());
      return fixture;
    };

    it("keeps a record until it is deleted, lists it, and shares it with a replica", async (ctx) => {
      const { store, replica } = await setup(ctx);
      const id = `T:${randomUUID()}`;
      await store.installations.put(id, "sealed-1");
      const other = await replica();
      expect(await other.installations.get(id)).toBe("sealed-1");
      expect(await other.installations.ids()).toContain(id);
      expect(await other.installations.delete(id)).toBe(true);
      expect(await store.installations.get(id)).toBeNull();
      expect(await store.installations.ids()).not.toContain(id);
      expect(await store.installations.delete(id)).toBe(false);
    });

    it("re-seals only a record that still exists (a deleted installation stays deleted)", async (ctx) => {
      const { store } = await setup(ctx);
      const id = `T:${randomUUID()}`;
      expect(await store.installations.replace(id, "sealed-1", "sealed-2")).toBe(false);
      expect(await store.installations.get(id)).toBeNull();
      await store.installations.put(id, "sealed-1");
      expect(await store.installations.replace(id, "sealed-1", "sealed-2")).toBe(true);
      expect(await store.installations.get(id)).toBe("sealed-2");
    });

    it("re-seals only the record it read: a reinstall written meanwhile is kept", async (ctx) => {
      const { store } = await setup(ctx);
      const id = `T:${randomUUID()}`;
      await store.installations.put(id, "old-token-sealed-with-old-key");
      // Another replica stores a reinstall (new token) between the read and the re-seal.
      await store.installations.put(id, "new-token");
      expect(
        await store.installations.replace(id, "old-token-sealed-with-old-key", "old-token-resealed"),
      ).toBe(false);
      expect(await store.installations.get(id)).toBe("new-token");
    });

    it("forgets every history of one workspace and none of another's", async (ctx) => {
      const { store } = await setup(ctx);
      const [a, b] = [`T:${randomUUID()}`, `T:${randomUUID()}`];
      const threads = [`slack:${a}:C1:1`, `slack:${a}:C2:2`, `slack:${b}:C1:3`];
      for (const [i, key] of threads.entries()) {
        const owner = `o${i}`;
        const lock = await store.threads.acquire(key, owner, 10_000);
        expect(lock.acquired).toBe(true);
        await store.threads.commit(key, owner, turn(`q${i}`), { maxTurns: 10, ttlMs: HOUR });
      }
      await store.workspaceThreads.remember(a, threads[0] ?? "", HOUR);
      await store.workspaceThreads.remember(a, threads[1] ?? "", HOUR);
      await store.workspaceThreads.remember(a, threads[1] ?? "", HOUR); // noted twice, counted once
      await store.workspaceThreads.remember(b, threads[2] ?? "", HOUR);
      expect(await store.workspaceThreads.forgetAll(a)).toBe(2);
      expect(await store.threads.load(threads[0] ?? "")).toEqual([]);
      expect(await store.threads.load(threads[1] ?? "")).toEqual([]);
      expect(await store.threads.load(threads[2] ?? "")).toHaveLength(1);
      expect(await store.workspaceThreads.forgetAll(a)).toBe(0);
    });
  });
}
