/**
 * Display names of Slack users, cached in the shared key-value store (so replicas share the
 * cache and a restart does not re-ask Slack). Answers never wait for users.info: a name not cached
 * yet is fetched in the background for the next message. Summaries resolve their authors up front.
 */

import type { RateBudget } from "../../core/edit-budget.js";
import { PlatformError } from "../../core/errors.js";
import type { KeyValueStore } from "../../core/ports.js";
import type { Logger } from "../../log.js";
import type { SlackApi } from "./api.js";

/** Names change rarely; a day keeps users.info calls to about one per user per day. */
const NAME_TTL_MS = 24 * 3600 * 1000;
/** Parallel users.info calls when a summary needs many names (Tier 4: 100+ per minute). */
const LOOKUP_CONCURRENCY = 4;
/** A summary does not wait longer than this for names; missing ones show as user ids. */
const LOOKUP_MAX_WAIT_MS = 5000;
/** Background lookups at once: a burst of new users must not crowd out the answers' own calls. */
const BACKGROUND_CONCURRENCY = 2;

export class UserNames {
  private readonly inFlight = new Set<string>();
  private readonly queue: string[] = [];
  private running = 0;

  constructor(
    private readonly api: SlackApi,
    private readonly kv: KeyValueStore,
    private readonly teamId: () => string,
    private readonly log: Logger,
    /**
     * The workspace's users.info budget (Tier 4), shared by every replica. Background lookups
     * take paced grants and leave a reserve; a summary's lookups go first.
     */
    private readonly budget?: () => RateBudget,
  ) {}

  /** The cached name, or undefined (and a background lookup for next time). */
  async cached(userId: string): Promise<string | undefined> {
    const name = await this.kv.get(this.key(userId)).catch(() => null);
    if (name !== null) return name || undefined;
    if (!this.inFlight.has(userId)) {
      this.inFlight.add(userId);
      this.queue.push(userId);
      this.drain();
    }
    return undefined;
  }

  private drain(): void {
    while (this.running < BACKGROUND_CONCURRENCY && this.queue.length > 0) {
      const userId = this.queue.shift() as string;
      this.running++;
      void this.budgeted(false)
        .then(() => this.lookup(userId, 0))
        .catch(() => undefined)
        .finally(() => {
          this.running--;
          this.inFlight.delete(userId);
          this.drain();
        });
    }
  }

  /** Names for many users (cache first, then users.info); unknown ones are left out. */
  async resolve(userIds: Iterable<string>): Promise<Map<string, string>> {
    const names = new Map<string, string>();
    const missing: string[] = [];
    for (const id of new Set(userIds)) {
      const name = await this.kv.get(this.key(id)).catch(() => null);
      if (name) names.set(id, name);
      else if (name === null) missing.push(id);
    }
    const deadline = Date.now() + LOOKUP_MAX_WAIT_MS;
    const worker = async () => {
      for (let id = missing.shift(); id !== undefined; id = missing.shift()) {
        const left = deadline - Date.now();
        if (left <= 0) return;
        if (!(await this.budgeted(true, left))) return;
        const name = await this.lookup(id, Math.max(0, deadline - Date.now())).catch(() => undefined);
        if (name) names.set(id, name);
      }
    };
    await Promise.all(Array.from({ length: LOOKUP_CONCURRENCY }, worker));
    return names;
  }

  /** Wait for a users.info grant (at most `maxWaitMs` when given); false when none came in time. */
  private async budgeted(urgent: boolean, maxWaitMs?: number): Promise<boolean> {
    if (!this.budget) return true;
    const signal = maxWaitMs === undefined ? undefined : AbortSignal.timeout(maxWaitMs);
    return this.budget()
      .acquire(urgent, signal)
      .then(
        () => true,
        () => false,
      );
  }

  private async lookup(userId: string, maxWaitMs: number): Promise<string | undefined> {
    try {
      const res = await this.api.callPatiently<{
        user?: { name?: string; real_name?: string; profile?: { display_name?: string; real_name?: string } };
      }>("users.info", { user: userId }, { maxWaitMs });
      const u = res.user;
      const name = u?.profile?.display_name || u?.profile?.real_name || u?.real_name || u?.name || "";
      await this.kv.set(this.key(userId), name, NAME_TTL_MS).catch(() => {});
      return name || undefined;
    } catch (err) {
      const code = err instanceof PlatformError ? err.code : "unknown";
      this.log.debug({ userId, code }, "users.info failed");
      // A user Slack does not know is remembered as nameless; other failures are retried later.
      if (code === "user_not_found") await this.kv.set(this.key(userId), "", NAME_TTL_MS).catch(() => {});
      return undefined;
    }
  }

  private key(userId: string): string {
    return `slack:name:${this.teamId()}:${userId}`;
  }
}
