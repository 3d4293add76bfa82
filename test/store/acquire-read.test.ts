/**
 * The history read that goes with the lock's script, against a scripted client (no server): it is
 * kept only when its ends match what the script found under the lock, else read again.
 */
import { describe, expect, it } from "vitest";
import type { StoredTurn } from "../../src/core/types.js";
import { historyCacheFor } from "../../src/store/history.js";
import { storeKeys } from "../../src/store/keys.js";
import type { Caller } from "../../src/store/redis/caller.js";
import type { RedisClient } from "../../src/store/redis/connection.js";
import type { ScriptCommands } from "../../src/store/redis/scripts.js";
import { createRedisThreads } from "../../src/store/redis/threads.js";
import { captureLog } from "./log-capture.js";

const turn = (n: number): StoredTurn => ({ at: n, entries: [{ role: "user", content: `q${n}` }] });
const raw = (n: number) => JSON.stringify(turn(n));

/** A store whose LRANGE replies come from `reads` in turn and whose lock script says `lock`. */
function scripted(lock: unknown[], reads: (string[] | Error)[]) {
  const calls: string[] = [];
  const client = {
    lrange: async (key: string) => {
      calls.push(`lrange ${key}`);
      const next = reads.shift();
      if (!next) throw new Error("no more reads scripted");
      if (next instanceof Error) throw next;
      return next;
    },
  } as unknown as RedisClient;
  const scripts = {
    chatbotAcquire: async (lockKey: string) => {
      calls.push(`acquire ${lockKey}`);
      return lock;
    },
    chatbotRelease: async (lockKey: string) => {
      calls.push(`release ${lockKey}`);
      return 1;
    },
  } as unknown as ScriptCommands;
  // Each run is one round trip: its commands leave together.
  const caller: Caller = {
    run: (op, send) => {
      calls.push(`-- ${op}`);
      return send();
    },
  };
  const threads = createRedisThreads(
    client,
    scripts,
    storeKeys("p:"),
    caller,
    captureLog().log,
    historyCacheFor(0),
  );
  return { threads, calls };
}

describe("the history read with a thread's lock", () => {
  it("keeps the read sent with the lock when its ends are those the lock found", async () => {
    const { threads, calls } = scripted([1, "", 2, raw(2)], [[raw(1), raw(2)]]);
    expect(await threads.acquire("t1", "me", 5_000)).toEqual({ acquired: true, history: [turn(1), turn(2)] });
    expect(calls).toEqual(["-- acquire", "acquire p:{t1}:lock", "lrange p:{t1}:history"]);
  });

  it("reads again, the lock held, when the read ran before the lock and missed a turn saved meanwhile", async () => {
    // Redis had lost the script: it ran again after the read, and another turn's save came between.
    const { threads, calls } = scripted([1, "", 2, raw(2)], [[raw(1)], [raw(1), raw(2)]]);
    expect(await threads.acquire("t1", "me", 5_000)).toEqual({ acquired: true, history: [turn(1), turn(2)] });
    expect(calls).toEqual([
      "-- acquire",
      "acquire p:{t1}:lock",
      "lrange p:{t1}:history",
      "-- load",
      "lrange p:{t1}:history",
    ]);
  });

  it("reads again when a trimmed history kept its length but not its last turn", async () => {
    const { threads } = scripted(
      [1, "", 2, raw(3)],
      [
        [raw(1), raw(2)],
        [raw(2), raw(3)],
      ],
    );
    expect(await threads.acquire("t1", "me", 5_000)).toEqual({ acquired: true, history: [turn(2), turn(3)] });
  });

  it("reads again when the history was emptied, and takes an empty one as read", async () => {
    const emptied = scripted([1, "", 0, ""], [[raw(1)], []]);
    expect(await emptied.threads.acquire("t1", "me", 5_000)).toEqual({ acquired: true, history: [] });
    expect(emptied.calls).toHaveLength(5);
    const empty = scripted([1, "", 0, ""], [[]]);
    expect(await empty.threads.acquire("t1", "me", 5_000)).toEqual({ acquired: true, history: [] });
    expect(empty.calls).toHaveLength(3);
  });

  it("reads again when the read sent with the lock failed, and gives the thread back when that fails too", async () => {
    const retried = scripted([1, "", 1, raw(1)], [new Error("read lost"), [raw(1)]]);
    expect(await retried.threads.acquire("t1", "me", 5_000)).toEqual({ acquired: true, history: [turn(1)] });
    const failed = scripted([1, "", 1, raw(1)], [new Error("read lost"), new Error("still lost")]);
    await expect(failed.threads.acquire("t1", "me", 5_000)).rejects.toThrow("still lost");
    expect(failed.calls).toEqual([
      "-- acquire",
      "acquire p:{t1}:lock",
      "lrange p:{t1}:history",
      "-- load",
      "lrange p:{t1}:history",
      "-- release",
      "release p:{t1}:lock",
    ]);
  });

  it("polls a thread found held with the script alone, and reads once it is taken", async () => {
    const lock: unknown[] = [0];
    const { threads, calls } = scripted(lock, [[raw(9)], [raw(1)], [raw(1)]]);
    expect(await threads.acquire("t1", "me", 5_000)).toEqual({ acquired: false });
    expect(await threads.acquire("t1", "me", 5_000)).toEqual({ acquired: false });
    lock.splice(0, 1, 1, "", 1, raw(1));
    expect(await threads.acquire("t1", "me", 5_000)).toEqual({ acquired: true, history: [turn(1)] });
    expect(calls).toEqual([
      "-- acquire",
      "acquire p:{t1}:lock",
      "lrange p:{t1}:history", // thrown away: refused
      "-- acquire",
      "acquire p:{t1}:lock",
      "-- acquire",
      "acquire p:{t1}:lock",
      "-- load",
      "lrange p:{t1}:history", // after the lock
    ]);
    // Taken once, the thread is no longer waited for: its next acquire sends the read again.
    calls.length = 0;
    expect(await threads.acquire("t1", "me", 5_000)).toEqual({ acquired: true, history: [turn(1)] });
    expect(calls).toEqual(["-- acquire", "acquire p:{t1}:lock", "lrange p:{t1}:history"]);
  });
});
