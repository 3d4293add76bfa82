/**
 * Counts, per turn, the store commands and the store round trips of the core benchmark's turns.
 *
 * A round trip is one wait on the store: the commands a turn issues in the same tick are sent
 * together, none waiting for another's reply (the store writes them in one socket write), so a
 * turn's commands issued in one tick (its admission and its thread; later its save, its token
 * count and its final edit's grant) are one round trip, and commands issued after awaiting an
 * answer are another. Commands are attributed to the turn
 * by the conversation number in their key (thread `t<n>`, user `u<n>`, budget scope `s<n>`):
 * the benchmark runs at most one turn per conversation at a time, so the attribution is exact.
 * Commands of different turns sharing a write are NOT merged: each turn counts its own.
 */
import type { Store } from "../src/core/ports.js";

export interface StoreCounts {
  commands: number;
  roundTrips: number;
}

/** Wraps `store` so that its gate, thread and budget calls are counted per conversation. */
export function countingStore(store: Store): { store: Store; counts: StoreCounts } {
  const counts: StoreCounts = { commands: 0, roundTrips: 0 };
  let tick = 0;
  let tickEnding = false;
  const lastTickOf = new Map<string, number>();
  const note = (key: string) => {
    if (!tickEnding) {
      tickEnding = true;
      // Calls until the next tick are sent together: one round trip.
      process.nextTick(() => {
        tick++;
        tickEnding = false;
      });
    }
    const conversation = /(?:^|:)[tus](\d+)$/.exec(key)?.[1] ?? key;
    counts.commands++;
    if (lastTickOf.get(conversation) !== tick) {
      counts.roundTrips++;
      lastTickOf.set(conversation, tick);
    }
  };
  const wrap = <T extends object>(part: T, keyOf: (method: string, args: unknown[]) => string): T =>
    new Proxy(part, {
      get(target, prop, receiver) {
        const value: unknown = Reflect.get(target, prop, receiver);
        if (typeof value !== "function") return value;
        return (...args: unknown[]) => {
          note(keyOf(String(prop), args));
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      },
    });
  const firstString = (args: unknown[]) => (typeof args[0] === "string" ? args[0] : "");
  const counted: Store = {
    ...store,
    kind: store.kind,
    kv: store.kv,
    vectors: store.vectors,
    gate: wrap(store.gate, (_m, args) => {
      const req = args[0];
      if (typeof req === "string") return req;
      if (req && typeof req === "object" && "userKey" in req) return String(req.userKey);
      return "";
    }),
    threads: wrap(store.threads, (_m, args) => firstString(args)),
    // Production turns also write the answer for feedback and ask whether a person has the
    // conversation: counted under the conversation they belong to.
    feedback: wrap(store.feedback, (_m, args) => {
      const turn = args[0] as { userKey?: unknown; conversation?: { threadId?: unknown } } | undefined;
      return typeof turn?.conversation?.threadId === "string" ? turn.conversation.threadId : "";
    }),
    handoffs: wrap(store.handoffs, (_m, args) => firstString(args)),
    budgets: wrap(store.budgets, (_m, args) => {
      const req = args[0] as { window?: { scope: string }; scope?: string } | undefined;
      return req?.window?.scope ?? req?.scope ?? "";
    }),
    ping: () => store.ping(),
    close: () => store.close(),
  };
  return { store: counted, counts };
}
