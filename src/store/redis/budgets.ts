/** Platform rate budgets on Redis: one script per grant, booking or settlement (one round trip each). */
import { randomUUID } from "node:crypto";
import type { RateBudgetStore } from "../../core/ports.js";
import { positiveCount, type StoreKeys, wholeMs } from "../keys.js";
import { type Caller, unexpectedReply } from "./caller.js";
import type { ScriptCommands } from "./scripts.js";

export function createRedisBudgets(
  scripts: ScriptCommands,
  keys: StoreKeys,
  caller: Caller,
): RateBudgetStore {
  return {
    async grant(req) {
      const key = keys.budget(req.window.scope, req.window.name);
      const reply = await caller.run("grant", () =>
        scripts.chatbotGrant(
          key,
          `${key}:saturated`,
          positiveCount("window.limit", req.window.limit),
          wholeMs("window.windowMs", req.window.windowMs),
          Math.max(0, Math.floor(req.reserve)),
          Math.max(0, Math.ceil(req.horizonMs)),
          Math.max(0, Math.floor(req.finals)),
          Math.max(0, Math.floor(req.frames)),
          randomUUID(),
        ),
      );
      const [finals, frames, retryAfterMs] = numbers("grant", reply, 3);
      return { finals: finals ?? 0, frames: frames ?? 0, retryAfterMs: retryAfterMs ?? 0 };
    },

    async book(req) {
      const keyList = req.slots.map((s) => keys.budget(req.scope, s.name));
      const argv = req.slots.flatMap((s) => [
        positiveCount("slot.limit", s.limit),
        wholeMs("slot.windowMs", s.windowMs),
        Math.max(0, Math.ceil(s.holdMs)),
      ]);
      const reply = await caller.run("book", () =>
        scripts.chatbotBook(keyList.length, ...keyList, req.id, ...argv),
      );
      const [booked, retryAfterMs] = numbers("book", reply, 2);
      return { booked: booked === 1, retryAfterMs: retryAfterMs ?? 0 };
    },

    async bookEach(req) {
      const argv = [
        positiveCount("limit", req.limit),
        wholeMs("windowMs", req.windowMs),
        Math.max(0, Math.ceil(req.holdMs)),
      ];
      const reply = await caller.run("bookEach", () =>
        scripts.chatbotBookEach(keys.budget(req.scope, req.name), ...argv, ...req.ids),
      );
      const [booked, retryAfterMs] = numbers("bookEach", reply, 2);
      return { booked: booked ?? 0, retryAfterMs: retryAfterMs ?? 0 };
    },

    async settle(req) {
      const reply = await caller.run("settle", () =>
        scripts.chatbotSettle(keys.budget(req.scope, req.name), req.id, req.used ? "1" : "0"),
      );
      return reply === 1;
    },
  };
}

function numbers(op: string, reply: unknown, n: number): number[] {
  if (Array.isArray(reply) && reply.length === n && reply.every((v) => typeof v === "number")) {
    return reply as number[];
  }
  throw unexpectedReply(op, reply);
}
