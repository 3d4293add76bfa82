/**
 * Which token, bot identity and per-workspace helpers an event is served with. In single-workspace
 * mode (SLACK_BOT_TOKEN) there is one workspace, known from auth.test at start. In OAuth mode
 * (SLACK_CLIENT_ID) each event's workspace is looked up in the installations (installations.ts):
 * its own install, or its Enterprise Grid org's org-wide one.
 *
 * A `SlackWorkspace` is what the adapter's handlers use for one team: `api` (a SlackApi with that
 * workspace's token: every Web API call of a handler goes through it), the bot's identity there,
 * and the helpers that call Slack or pace per workspace (names, assistant threads, post pacing).
 * The index of the workspace's threads (for uninstall) is kept under `installId`.
 */
import type { KeyValueStore, RateBudgetStore } from "../../core/ports.js";
import type { Logger } from "../../log.js";
import type { Metrics } from "../../metrics.js";
import { SlackApi } from "./api.js";
import { AssistantThreads } from "./assistant.js";
import type { BotIdentity } from "./events.js";
import type { SlackInstallation, SlackInstallations } from "./installations.js";
import { UserNames } from "./names.js";
import { ChannelPacer } from "./rate-gates.js";

export interface SlackWorkspace {
  teamId: string;
  installation: SlackInstallation;
  /** The installation serving this team: `T:<team>`, or `E:<org>` for an org-wide install. */
  installId: string;
  token: string;
  identity: BotIdentity;
  api: SlackApi;
  names: UserNames;
  assistant: AssistantThreads;
  pacer: ChannelPacer;
}

/** Workspaces kept built in this process at most; the least recently used go first. */
const MAX_WORKSPACES = 1_000;

export interface WorkspaceHelpers {
  names(api: SlackApi, teamId: string): UserNames;
  pacer(teamId: string): ChannelPacer;
  assistant(api: SlackApi, pacer: ChannelPacer): AssistantThreads;
}

export class SlackWorkspaces {
  private readonly built = new Map<string, SlackWorkspace>();
  private readonly apis = new Map<string, SlackApi>();
  /** Team -> its Enterprise Grid org, for teams served by an org-wide install. */
  private readonly orgOf = new Map<string, string>();
  /** Single-workspace mode: the one workspace, once start() has run auth.test. */
  private single: { installation: SlackInstallation } | null = null;

  constructor(
    private readonly opts: {
      apiUrl: string;
      metrics: Metrics;
      log: Logger;
      /** OAuth mode; absent in single-workspace mode. */
      installations?: SlackInstallations | undefined;
      helpers: WorkspaceHelpers;
    },
  ) {}

  get multi(): boolean {
    return this.opts.installations !== undefined;
  }

  /** A SlackApi for a token (one WebClient per token, reused). */
  api(token: string): SlackApi {
    let api = this.apis.get(token);
    if (!api) {
      api = new SlackApi({
        token,
        apiUrl: this.opts.apiUrl,
        metrics: this.opts.metrics,
        log: this.opts.log,
        // Reinstalled or removed through another replica: read the installation again next time
        // instead of using this token for the rest of the cache's minute.
        onTokenRejected: (code) => this.tokenRejected(token, code),
      });
      this.apis.set(token, api);
    }
    return api;
  }

  /** Single-workspace mode: the workspace of SLACK_BOT_TOKEN, as auth.test described it. */
  setSingle(token: string, identity: BotIdentity): void {
    this.single = {
      installation: {
        id: `T:${identity.teamId}`,
        teamId: identity.teamId,
        isEnterpriseInstall: false,
        botToken: token,
        botUserId: identity.botUserId,
        ...(identity.botId ? { botId: identity.botId } : {}),
        scopes: [],
        installedAt: Date.now(),
      },
    };
  }

  /**
   * The workspace an event from `teamId` is served in, or null when the app is not installed
   * there (OAuth mode) or not started. In single-workspace mode every team is served with the
   * one token (Slack Connect channels bring events from other teams to the same install).
   */
  async get(where: {
    teamId: string | undefined;
    enterpriseId?: string | undefined;
    isEnterpriseInstall?: boolean | undefined;
  }): Promise<SlackWorkspace | null> {
    // Orphans and other background work know the team only: an org-wide install seen serving
    // that team before is found again through its org.
    const enterpriseId = where.enterpriseId ?? (where.teamId ? this.orgOf.get(where.teamId) : undefined);
    const installation = this.opts.installations
      ? await this.opts.installations.find({ ...where, enterpriseId })
      : (this.single?.installation ?? null);
    if (!installation) return null;
    // Single-workspace mode serves every event as the bot's own team, as it always has; an
    // org-wide install serves each workspace of the org as itself (names, pacing per team).
    const teamId = this.multi
      ? (where.teamId ?? installation.teamId ?? installation.enterpriseId ?? "unknown")
      : (installation.teamId ?? "unknown");
    const key = `${installation.id}|${teamId}`;
    const cached = this.built.get(key);
    if (cached && cached.token === installation.botToken) {
      this.built.delete(key);
      this.built.set(key, cached);
      return cached;
    }
    const api = this.api(installation.botToken);
    const pacer = this.opts.helpers.pacer(teamId);
    const ws: SlackWorkspace = {
      teamId,
      installation,
      installId: installation.id,
      token: installation.botToken,
      identity: { teamId, botUserId: installation.botUserId, botId: installation.botId },
      api,
      names: this.opts.helpers.names(api, teamId),
      assistant: this.opts.helpers.assistant(api, pacer),
      pacer,
    };
    if (this.built.size >= MAX_WORKSPACES) {
      const [oldest, gone] = this.built.entries().next().value ?? [];
      if (oldest !== undefined) this.built.delete(oldest);
      if (gone && ![...this.built.values()].some((w) => w.token === gone.token)) this.apis.delete(gone.token);
    }
    this.built.set(key, ws);
    if (installation.isEnterpriseInstall && installation.enterpriseId && this.orgOf.size < MAX_WORKSPACES) {
      this.orgOf.set(teamId, installation.enterpriseId);
    }
    return ws;
  }

  private tokenRejected(token: string, code: string): void {
    if (!this.multi) return; // the one token of single-workspace mode has nowhere else to come from
    const ids = new Set(
      [...this.built.values()].filter((ws) => ws.token === token).map((ws) => ws.installId),
    );
    for (const id of ids) {
      this.opts.installations?.evict(id);
      this.drop(id);
      this.opts.log.warn(
        { installation: id, code },
        "slack refused a workspace's token: it is looked up again",
      );
    }
  }

  /** Forget what was built for an installation (it was removed). */
  drop(installId: string): void {
    for (const [key, ws] of this.built) {
      if (ws.installId !== installId) continue;
      this.built.delete(key);
      this.apis.delete(ws.token);
    }
  }
}

/** The helpers of one workspace, built from the adapter's shared parts. */
export function workspaceHelpers(deps: {
  kv: KeyValueStore;
  budgets: RateBudgetStore;
  log: Logger;
  postIntervalMs: number;
  botName: string;
  historyTtlMs: number;
  namesBudget: (teamId: string) => ConstructorParameters<typeof UserNames>[4];
}): WorkspaceHelpers {
  return {
    names: (api, teamId) => new UserNames(api, deps.kv, () => teamId, deps.log, deps.namesBudget(teamId)),
    pacer: (teamId) =>
      new ChannelPacer(deps.postIntervalMs, Date.now, {
        store: deps.budgets,
        scope: () => `slack:${teamId}`,
        log: deps.log,
      }),
    assistant: (api, pacer) =>
      new AssistantThreads({
        api,
        kv: deps.kv,
        pacer,
        log: deps.log,
        botName: deps.botName,
        ttlMs: deps.historyTtlMs,
      }),
  };
}
