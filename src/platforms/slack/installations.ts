/**
 * Where the app's installations live in OAuth mode (docs/slack-install.md): one record per
 * workspace (`T:<team id>`) or per Enterprise Grid org installed org-wide (`E:<enterprise id>`),
 * holding what the service needs to act there: bot token, bot user and bot id, team or org,
 * scopes. Records are sealed with SECRETS_KEY (store/secret-box.ts) before they reach the store,
 * so a dump of Redis holds no token. Bolt's installer writes through `storeInstallation`.
 *
 * Lookups are cached in this process for INSTALLATION_CACHE_MS: every event needs its
 * workspace's token, and one Redis read plus an AES decryption per event buys nothing while the
 * token stays the same for months. The cost of the cache is that another replica may use a token
 * for up to that long after an uninstall, which Slack then refuses (the token is revoked).
 */
import type { Installation, InstallationQuery, InstallationStore } from "@slack/bolt";
import { z } from "zod";
import type { InstallationRecords } from "../../core/ports.js";
import type { Logger } from "../../log.js";
import { Lru } from "../../lru.js";
import { type SecretBox, SecretBoxError } from "../../store/secret-box.js";

/** How long a found installation is reused without reading the store again (see above). */
export const INSTALLATION_CACHE_MS = 60_000;
/**
 * How long "not installed" is remembered: short, so a workspace that installs through another
 * replica is answered within seconds, long enough that a burst of events does not hit the store.
 */
const MISSING_CACHE_MS = 5_000;
/** Cache entries at most; the least recently used go first (one entry is a few hundred bytes). */
const CACHE_MAX_ENTRIES = 10_000;
/** Records opened at once while checking SECRETS_KEY at start-up. */
const CHECK_CONCURRENCY = 16;

const recordSchema = z.object({
  id: z.string(),
  teamId: z.string().optional(),
  teamName: z.string().optional(),
  enterpriseId: z.string().optional(),
  enterpriseName: z.string().optional(),
  isEnterpriseInstall: z.boolean(),
  botToken: z.string(),
  botUserId: z.string(),
  botId: z.string().optional(),
  scopes: z.array(z.string()),
  appId: z.string().optional(),
  installedAt: z.number(),
});
export type SlackInstallation = z.infer<typeof recordSchema>;

/** The record id of a workspace install or an org-wide install. */
export function installationId(where: { teamId?: string; enterpriseId?: string; orgWide: boolean }): string {
  if (where.orgWide) {
    if (!where.enterpriseId) throw new Error("an org-wide installation needs an enterprise id");
    return `E:${where.enterpriseId}`;
  }
  if (!where.teamId) throw new Error("a workspace installation needs a team id");
  return `T:${where.teamId}`;
}

export class SlackInstallations implements InstallationStore {
  private readonly cache = new Lru<string, { value: SlackInstallation | null; until: number }>(
    CACHE_MAX_ENTRIES,
  );

  constructor(
    private readonly records: InstallationRecords,
    private readonly box: SecretBox,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * The installation serving an event from `teamId` (in `enterpriseId`): the workspace's own, or
   * its org's org-wide one. Null when the app is not installed there.
   */
  async find(where: {
    teamId?: string | undefined;
    enterpriseId?: string | undefined;
    isEnterpriseInstall?: boolean | undefined;
  }): Promise<SlackInstallation | null> {
    const { teamId, enterpriseId } = where;
    if (where.isEnterpriseInstall && enterpriseId) return this.byId(`E:${enterpriseId}`);
    const own = teamId ? await this.byId(`T:${teamId}`) : null;
    if (own || !enterpriseId) return own;
    return this.byId(`E:${enterpriseId}`);
  }

  /**
   * The installation an event was authorized as, and no other: the org-wide one when the event
   * says so (`is_enterprise_install`), else the workspace's own. No fallback from a workspace to
   * its org, unlike `find`: an uninstall of one workspace (or a redelivery of it after its record
   * is gone) must never remove the org-wide installation serving every other workspace.
   */
  async exact(where: {
    teamId?: string | undefined;
    enterpriseId?: string | undefined;
    isEnterpriseInstall?: boolean | undefined;
  }): Promise<SlackInstallation | null> {
    if (where.isEnterpriseInstall) return where.enterpriseId ? this.byId(`E:${where.enterpriseId}`) : null;
    return where.teamId ? this.byId(`T:${where.teamId}`) : null;
  }

  /** Read one record (cached); a record that does not open is logged and treated as missing. */
  async byId(id: string): Promise<SlackInstallation | null> {
    const hit = this.cache.get(id);
    if (hit && hit.until > this.now()) return hit.value;
    const sealed = await this.records.get(id);
    let value: SlackInstallation | null = null;
    if (sealed !== null) {
      try {
        value = recordSchema.parse(JSON.parse(this.box.open(sealed, id)));
      } catch (err) {
        this.log.error(
          { installation: id, reason: err instanceof Error ? err.message : String(err) },
          "slack installation record does not open (check SECRETS_KEY): treated as not installed",
        );
      }
    }
    this.remember(id, value);
    return value;
  }

  async save(inst: SlackInstallation): Promise<void> {
    await this.records.put(inst.id, this.box.seal(JSON.stringify(inst), inst.id));
    this.remember(inst.id, inst);
  }

  /** Read this record from the store next time (its token was refused). */
  evict(id: string): void {
    this.cache.delete(id);
  }

  /** Delete a record; true when there was one. */
  async remove(id: string): Promise<boolean> {
    this.cache.delete(id);
    return this.records.delete(id);
  }

  /**
   * Start-up check of SECRETS_KEY against what is stored: every record must open with one of the
   * listed keys (else start-up stops, naming the key id that is missing), and records sealed with
   * an older key are sealed again with the first one, so the old key can be dropped afterwards.
   */
  async checkKeys(): Promise<{ installations: number; resealed: number }> {
    const ids = await this.records.ids();
    let resealed = 0;
    const unopened: { id: string; keyId?: string | undefined }[] = [];
    for (let i = 0; i < ids.length; i += CHECK_CONCURRENCY) {
      await Promise.all(
        ids.slice(i, i + CHECK_CONCURRENCY).map(async (id) => {
          const sealed = await this.records.get(id);
          if (sealed === null) return;
          let plain: string;
          try {
            plain = this.box.open(sealed, id);
          } catch (err) {
            unopened.push({ id, keyId: err instanceof SecretBoxError ? err.keyId : undefined });
            return;
          }
          if (
            this.box.isStale(sealed) &&
            (await this.records.replace(id, sealed, this.box.seal(plain, id)))
          ) {
            resealed++;
          }
        }),
      );
    }
    if (unopened.length > 0) {
      const keyIds = [...new Set(unopened.map((u) => u.keyId ?? "unknown"))].join(", ");
      throw new Error(
        `SECRETS_KEY does not open ${unopened.length} of ${ids.length} stored Slack installations ` +
          `(sealed with key id ${keyIds}; this SECRETS_KEY lists ${this.box.keyIds.join(", ")}). ` +
          "Put the key they were sealed with after the new one (SECRETS_KEY=new,old); see docs/slack-install.md",
      );
    }
    if (resealed > 0) this.log.info({ resealed }, "slack installations re-sealed with the first SECRETS_KEY");
    return { installations: ids.length, resealed };
  }

  // --- Bolt's InstallationStore (the installer writes through it) ----------------------------

  async storeInstallation<AuthVersion extends "v1" | "v2">(
    installation: Installation<AuthVersion, boolean>,
  ): Promise<void> {
    const bot = installation.bot;
    if (!bot) throw new Error("the installation has no bot token (the app requests bot scopes only)");
    const orgWide = installation.isEnterpriseInstall === true;
    const inst: SlackInstallation = {
      id: installationId({
        teamId: installation.team?.id,
        enterpriseId: installation.enterprise?.id,
        orgWide,
      }),
      ...(installation.team?.id ? { teamId: installation.team.id } : {}),
      ...(installation.team?.name ? { teamName: installation.team.name } : {}),
      ...(installation.enterprise?.id ? { enterpriseId: installation.enterprise.id } : {}),
      ...(installation.enterprise?.name ? { enterpriseName: installation.enterprise.name } : {}),
      isEnterpriseInstall: orgWide,
      botToken: bot.token,
      botUserId: bot.userId,
      ...(bot.id ? { botId: bot.id } : {}),
      scopes: bot.scopes,
      ...(installation.appId ? { appId: installation.appId } : {}),
      installedAt: this.now(),
    };
    await this.save(inst);
    this.log.info(
      { installation: inst.id, scopes: inst.scopes.length, orgWide },
      "slack app installed (installation stored, sealed)",
    );
  }

  async fetchInstallation(query: InstallationQuery<boolean>): Promise<Installation<"v2", boolean>> {
    const inst = await this.find(query);
    if (!inst) throw new Error("no installation for this workspace");
    return {
      team: inst.teamId ? { id: inst.teamId, ...(inst.teamName ? { name: inst.teamName } : {}) } : undefined,
      enterprise: inst.enterpriseId
        ? { id: inst.enterpriseId, ...(inst.enterpriseName ? { name: inst.enterpriseName } : {}) }
        : undefined,
      isEnterpriseInstall: inst.isEnterpriseInstall,
      bot: { token: inst.botToken, userId: inst.botUserId, id: inst.botId ?? "", scopes: inst.scopes },
      user: { id: "", token: undefined, scopes: undefined },
      authVersion: "v2",
    } as Installation<"v2", boolean>;
  }

  async deleteInstallation(query: InstallationQuery<boolean>): Promise<void> {
    const inst = await this.find(query);
    if (inst) await this.remove(inst.id);
  }

  private remember(id: string, value: SlackInstallation | null): void {
    this.cache.set(id, { value, until: this.now() + (value ? INSTALLATION_CACHE_MS : MISSING_CACHE_MS) });
  }
}
