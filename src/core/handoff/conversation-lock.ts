/**
 * The conversation's lock (the one a turn holds while it answers), for the hand-off's own steps:
 * Return and team replies take it in turn, so the customer sees them in the order the history
 * keeps them, and a customer message arriving meanwhile waits as it would behind a turn.
 */
import { randomUUID } from "node:crypto";
import type { Logger } from "../../log.js";
import type { ThreadStore } from "../ports.js";
import { ThreadQueue, type ThreadTicket } from "../thread-queue.js";
import { threadKeyOf } from "../types.js";
import type { HandoffRecord } from "./record.js";

/** How long closing a hand-off or relaying a team reply may hold its conversation's lock. */
const HOLD_MS = 10_000;
/** How long they wait for it (behind a turn still answering, or each other) before going ahead unlocked. */
const WAIT_MS = 15_000;

export interface HeldConversation {
  /** False when the lock could not be had: the step goes ahead without it. */
  locked: boolean;
  owner: string;
  threadKey: string;
  /** Release the lock (a commit as `owner` releases it too); safe to call twice. */
  unlock(): Promise<void>;
}

export class ConversationLocks {
  private readonly queue: ThreadQueue;

  constructor(
    private readonly threads: ThreadStore,
    private readonly log: Logger,
    now: () => number,
  ) {
    this.queue = new ThreadQueue(threads, now);
  }

  /**
   * The conversation's lock, waited for; when it cannot be had (a turn keeps it, the store
   * fails), go ahead without it rather than drop a reply or a Return.
   */
  async lock(rec: HandoffRecord): Promise<HeldConversation> {
    const threadKey = threadKeyOf(rec.conversation);
    const owner = `handoff:${rec.id}:${randomUUID()}`;
    let ticket: ThreadTicket | undefined;
    try {
      ticket = await this.queue.enter(threadKey, owner, { ttlMs: HOLD_MS, waitMs: WAIT_MS });
    } catch (err) {
      this.log.warn({ err, handoffId: rec.id }, "conversation stayed locked: going ahead without it");
    }
    let done = false;
    return {
      locked: ticket !== undefined,
      owner,
      threadKey,
      unlock: async () => {
        if (done || !ticket) return;
        done = true;
        await this.threads.release(threadKey, owner).catch(() => false);
        ticket.leave();
      },
    };
  }
}
