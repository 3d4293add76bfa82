/**
 * A workspace's data, for the day it leaves. Every conversation thread the bot answers in a
 * workspace is noted in that installation's thread index (store `workspaceThreads`); when Slack
 * says the app was uninstalled (`app_uninstalled`) or its bot token revoked (`tokens_revoked`),
 * the installation record (OAuth mode) and the history of every noted thread are deleted.
 *
 * Noting costs a store round trip, so this process notes each thread at most once per
 * REMEMBER_EVERY_MS and gives the index that much extra lifetime beyond the history's TTL: the
 * index always outlives the histories it points to.
 */
import type { WorkspaceThreads } from "../../core/ports.js";
import type { Logger } from "../../log.js";
import type { SlackInstallations } from "./installations.js";
import type { SlackWorkspaces } from "./workspaces.js";

/** A thread is noted again after this long (and the index lives this much past the history). */
const REMEMBER_EVERY_MS = 60 * 60 * 1000;
/**
 * An uninstall event older than its installation by more than this is about an earlier install
 * (a late tokens_revoked after a quick reinstall: Slack does not order them): it is ignored.
 * The margin covers event_time's whole seconds and clock skew; a reinstall through Slack's
 * consent page takes longer.
 */
const STALE_EVENT_MARGIN_MS = 10_000;
/** Threads remembered as noted in this process at most; beyond it they are simply noted again. */
const MAX_NOTED = 10_000;

export interface UninstallWhere {
  teamId?: string | undefined;
  enterpriseId?: string | undefined;
  isEnterpriseInstall?: boolean | undefined;
}

export class WorkspaceData {
  private readonly noted = new Map<string, number>();

  constructor(
    private readonly deps: {
      threads: WorkspaceThreads;
      workspaces: SlackWorkspaces;
      /** OAuth mode; absent in single-workspace mode (nothing stored to delete but histories). */
      installations?: SlackInstallations | undefined;
      historyTtlMs: number;
      log: Logger;
      now?: () => number;
    },
  ) {}

  /**
   * Note that `threadKey` belongs to installation `installId` (at most once an hour per thread),
   * its history kept `historyTtlMs` (the policy's retention there, or HISTORY_TTL_S).
   */
  async remember(installId: string, threadKey: string, historyTtlMs = this.deps.historyTtlMs): Promise<void> {
    const now = (this.deps.now ?? Date.now)();
    const key = `${installId}|${threadKey}`;
    const last = this.noted.get(key);
    if (last !== undefined && now - last < REMEMBER_EVERY_MS) return;
    if (this.noted.size >= MAX_NOTED) this.noted.clear();
    await this.deps.threads.remember(installId, threadKey, historyTtlMs + REMEMBER_EVERY_MS);
    this.noted.set(key, now);
  }

  /**
   * The app left a workspace or org: delete its installation and every noted thread's history.
   * `botUserIds`, for tokens_revoked: only act when the installation's bot is among them.
   */
  async uninstalled(
    where: UninstallWhere,
    reason: string,
    botUserIds?: string[],
    /** When Slack says it happened (the envelope's event_time, epoch ms). */
    eventAtMs?: number,
  ): Promise<void> {
    const { installations, workspaces, threads, log } = this.deps;
    // Exactly the installation the event names: never its org's org-wide one (installations.ts
    // `exact`), and in single-workspace mode only the one workspace's own team.
    const single = installations
      ? null
      : ((await workspaces.get({ teamId: where.teamId }))?.installation ?? null);
    const installation = installations
      ? await installations.exact(where)
      : single && single.teamId === where.teamId
        ? single
        : null;
    if (!installation) {
      log.info(
        { team: where.teamId, enterprise: where.enterpriseId, reason },
        "slack: no installation to remove",
      );
      return;
    }
    if (botUserIds && !botUserIds.includes(installation.botUserId)) return;
    if (
      installations &&
      eventAtMs !== undefined &&
      installation.installedAt > eventAtMs + STALE_EVENT_MARGIN_MS
    ) {
      log.info(
        { installation: installation.id, reason },
        "slack: uninstall event older than the installation (reinstalled since): ignored",
      );
      return;
    }
    const removed = installations ? await installations.remove(installation.id) : false;
    workspaces.drop(installation.id);
    const deleted = await threads.forgetAll(installation.id);
    for (const key of this.noted.keys()) if (key.startsWith(`${installation.id}|`)) this.noted.delete(key);
    log.info(
      { installation: installation.id, removed, histories: deleted, reason },
      "slack app removed from a workspace: installation and its conversation histories deleted",
    );
  }
}
