/**
 * Answers whose process died mid-stream (SIGKILL, OOM, a lost node). While a turn runs, the
 * thread holds a marker describing it; commit or release removes it. A marker still present when
 * the thread's lock has expired belongs to a dead turn: its chat message may still show a Stop
 * button and half an answer. It is found either by the next message in that thread (the lock
 * acquire hands it over) or by the periodic sweep on any replica, and the adapter of its
 * platform finalizes the message with a short notice. Each marker is claimed exactly once.
 */
import { z } from "zod";
import type { Logger } from "../log.js";
import type { ThreadStore } from "./ports.js";
import type { Platform } from "./types.js";

export const orphanSchema = z.object({
  turnId: z.string(),
  platform: z.enum(["slack", "discord", "web"]),
  workspaceId: z.string(),
  channelId: z.string(),
  threadId: z.string(),
  messageId: z.string(),
  startedAt: z.number(),
});

/** What an adapter gets to find and finalize the message of a dead turn. */
export type OrphanedTurn = z.infer<typeof orphanSchema>;

export type OrphanHandler = (orphan: OrphanedTurn) => Promise<void>;

/** The sentence a dead turn's message ends with. */
export const ORPHAN_NOTICE = "_(interrupted: the assistant restarted while answering; please ask again)_";

/** How often each replica looks for dead turns. A lock expires LOCK_TTL_MS after its process died. */
export const ORPHAN_SWEEP_INTERVAL_MS = 30_000;
/** Markers claimed per sweep; the rest wait for the next one. */
const ORPHANS_PER_SWEEP = 50;

export class OrphanRegistry {
  private readonly handlers = new Map<Platform, OrphanHandler>();

  constructor(private readonly log: Logger) {}

  /** Adapters register how they finalize a message of theirs from another process's turn. */
  register(platform: Platform, handler: OrphanHandler): void {
    this.handlers.set(platform, handler);
  }

  /** Finalize the message of a dead turn; never throws (it is logged). */
  async finalize(marker: string): Promise<void> {
    let orphan: OrphanedTurn;
    try {
      orphan = orphanSchema.parse(JSON.parse(marker));
    } catch (err) {
      this.log.warn({ err, bytes: marker.length }, "dropped an unreadable turn marker");
      return;
    }
    const handler = this.handlers.get(orphan.platform);
    if (!handler) {
      this.log.info(
        { turnId: orphan.turnId, platform: orphan.platform },
        "dead turn on a platform without a finalizer",
      );
      return;
    }
    try {
      await handler(orphan);
      this.log.info(
        { turnId: orphan.turnId, platform: orphan.platform },
        "finalized the message of a dead turn",
      );
    } catch (err) {
      this.log.warn(
        { err, turnId: orphan.turnId, platform: orphan.platform },
        "could not finalize a dead turn's message",
      );
    }
  }

  /** Look for dead turns every `intervalMs`; returns a stop function. */
  startSweeping(threads: ThreadStore, intervalMs = ORPHAN_SWEEP_INTERVAL_MS): () => void {
    let running = false;
    const timer = setInterval(() => {
      if (running) return;
      running = true;
      this.sweepOnce(threads)
        .catch((err: unknown) => this.log.warn({ err }, "orphan sweep failed"))
        .finally(() => {
          running = false;
        });
    }, intervalMs);
    timer.unref();
    return () => clearInterval(timer);
  }

  async sweepOnce(threads: ThreadStore): Promise<number> {
    const markers = await threads.claimOrphans(ORPHANS_PER_SWEEP);
    await Promise.all(markers.map((m) => this.finalize(m)));
    return markers.length;
  }
}
