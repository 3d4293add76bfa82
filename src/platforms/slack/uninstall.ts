/**
 * A workspace's data, for the day it leaves. Every conversation thread the bot answers in a
 * workspace is noted in that installation's thread index (store `workspaceThreads`); when Slack
 * says the app was uninstalled (`app_uninstalled`) or its bot token revoked (`tokens_revoked`),
 * the installation record (OAuth mode), the history of every noted thread, and every record the
 * store keeps per workspace (`WorkspaceRecords`: ratings and answers waiting for one, hand-offs,
 * the per-person index entries of its threads) are deleted, for each workspace the installation
 * served: its team, or every team of an org-wide install (noted beside its threads).
 *
 * Noting costs a store round trip, so this process notes each thread at most once per
 * REMEMBER_EVERY_MS and gives the index that much extra lifetime beyond the history's TTL: the
 * index always outlives the histories it points to. The other per-workspace indexes are written
 * by the store parts themselves, with their records (core/workspace-records.ts).
 */
import type { KeyValueStore, Store, WorkspaceThreads } from "../../core/ports.js";
import { type WorkspaceRecords, workspaceKeyOf } from "../../core/workspace-records.js";
import type { Logger } from "../../log.js";
import { botThreadKey } from "./events.js";
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

/** Every store part keeping records per workspace (what an uninstall deletes besides histories). */
export function workspaceRecordsOf(store: Store): WorkspaceRecords[] {
  return [
    { kind: "person-index entries", forgetWorkspace: (key) => store.threads.forgetWorkspace(key) },
    store.feedback,
    store.handoffs,
  ];
}

/** Where an org-wide installation notes the workspaces (teams) it served. */
function teamsScope(installId: string): string {
  return `${installId}|teams`;
}

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
      /** Where the bot's thread marks live (`botThreadKey`): deleted with their threads. */
      kv?: KeyValueStore | undefined;
      /** Records kept per workspace (`workspaceRecordsOf`). */
      records?: WorkspaceRecords[] | undefined;
      /**
       * How long records about a workspace live at most (ratings, hand-offs, histories): an
       * org-wide install's list of teams is kept this long past each team's last conversation.
       */
      recordsTtlMs?: number | undefined;
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
  async remember(
    installId: string,
    threadKey: string,
    historyTtlMs = this.deps.historyTtlMs,
    /** The thread's team, noted for an org-wide installation (its teams are not known otherwise). */
    teamId?: string,
  ): Promise<void> {
    const now = (this.deps.now ?? Date.now)();
    const key = `${installId}|${threadKey}`;
    const teamKey = `${installId}|team|${teamId}`;
    const noteThread = !this.recent(key, now);
    const noteTeam = teamId !== undefined && installId.startsWith("E:") && !this.recent(teamKey, now);
    if (!noteThread && !noteTeam) return;
    if (this.noted.size >= MAX_NOTED) this.noted.clear();
    const { threads } = this.deps;
    const teamTtlMs = Math.max(this.deps.recordsTtlMs ?? 0, historyTtlMs) + REMEMBER_EVERY_MS;
    // Both notes go out in the same tick (the store client pipelines them): one round trip.
    await Promise.all([
      noteThread ? threads.remember(installId, threadKey, historyTtlMs + REMEMBER_EVERY_MS) : undefined,
      noteTeam && teamId
        ? threads.remember(
            teamsScope(installId),
            workspaceKeyOf({ platform: "slack", workspaceId: teamId }),
            teamTtlMs,
          )
        : undefined,
    ]);
    if (noteThread) this.noted.set(key, now);
    if (noteTeam) this.noted.set(teamKey, now);
  }

  private recent(key: string, now: number): boolean {
    const last = this.noted.get(key);
    return last !== undefined && now - last < REMEMBER_EVERY_MS;
  }

  /**
   * The app left a workspace or org: delete its installation, every noted thread's history and
   * thread mark, and every per-workspace record of the workspaces it served. `botUserIds`, for tokens_revoked: only act when the installation's bot is among them.
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
    const threadKeys = await threads.list(installation.id);
    const teams = await this.teamsOf(installation.id, installation.teamId, threadKeys);
    const marks = await this.forgetThreadMarks(threadKeys);
    const deleted = await threads.forgetAll(installation.id);
    const records = await this.forgetRecords(teams);
    if (installation.id.startsWith("E:")) await threads.drop(teamsScope(installation.id));
    for (const key of this.noted.keys()) if (key.startsWith(`${installation.id}|`)) this.noted.delete(key);
    log.info(
      {
        installation: installation.id,
        removed,
        histories: deleted,
        threadMarks: marks,
        workspaces: teams.length,
        ...records,
        reason,
      },
      "slack app removed from a workspace: installation and its workspaces' data deleted",
    );
  }

  /** The workspace keys an installation served: its own team, or the teams noted for an org. */
  private async teamsOf(
    installId: string,
    teamId: string | undefined,
    threadKeys: readonly string[],
  ): Promise<string[]> {
    const keys = new Set<string>();
    if (teamId) keys.add(workspaceKeyOf({ platform: "slack", workspaceId: teamId }));
    if (installId.startsWith("E:")) {
      for (const key of await this.deps.threads.list(teamsScope(installId))) keys.add(key);
      // Threads name their team too (`slack:T:C:ts`): covers threads noted before teams were.
      for (const threadKey of threadKeys) {
        const [platform, team] = threadKey.split(":");
        if (platform === "slack" && team) keys.add(workspaceKeyOf({ platform, workspaceId: team }));
      }
    }
    return [...keys];
  }

  /** Delete the marks of the bot's threads (`slack:T:C:ts` -> botThreadKey); how many existed. */
  private async forgetThreadMarks(threadKeys: readonly string[]): Promise<number> {
    const kv = this.deps.kv;
    if (!kv?.delete) return 0;
    const marks = threadKeys.flatMap((threadKey) => {
      const [platform, team, channel, ...ts] = threadKey.split(":");
      return platform === "slack" && team && channel && ts.length > 0
        ? [botThreadKey(team, channel, ts.join(":"))]
        : [];
    });
    if (marks.length === 0) return 0;
    return kv.delete(marks).catch((err: unknown) => {
      this.deps.log.error({ err }, "slack uninstall: could not delete the bot's thread marks");
      return 0;
    });
  }

  /**
   * Delete every per-workspace record of `teams`; one part failing does not keep the others
   * (it is logged: nothing retries an uninstall, so the operator must know).
   */
  private async forgetRecords(teams: string[]): Promise<Record<string, number>> {
    const counts: Record<string, number> = {};
    for (const part of this.deps.records ?? []) {
      const settled = await Promise.allSettled(teams.map((team) => part.forgetWorkspace(team)));
      counts[part.kind] = 0;
      for (const s of settled) {
        if (s.status === "fulfilled") counts[part.kind] = (counts[part.kind] ?? 0) + s.value;
        else
          this.deps.log.error(
            { err: s.reason, kind: part.kind },
            "slack uninstall: could not delete records",
          );
      }
    }
    return counts;
  }
}
