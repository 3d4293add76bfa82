/**
 * The parts of the Slack adapter that exist only in OAuth mode (SLACK_CLIENT_ID; see
 * docs/slack-install.md): the sealed installation store, Bolt's installer and its two routes,
 * and the start-up check of SECRETS_KEY against what is stored.
 */
import type { Logger as BoltLogger, webApi } from "@slack/bolt";
import type { InstallProvider } from "@slack/oauth";
import type { Env } from "../../config.js";
import type { Store } from "../../core/ports.js";
import type { HttpServer } from "../../http/server.js";
import type { Logger } from "../../log.js";
import { parseSecretKeys, SecretBox } from "../../store/secret-box.js";
import { createInstaller, registerInstallRoutes, SLACK_INSTALL_PATH } from "./install-routes.js";
import { SlackInstallations } from "./installations.js";

export class SlackOAuthMode {
  readonly installations: SlackInstallations;
  private readonly installer: InstallProvider;

  /** OAuth mode's parts, or undefined in single-workspace mode (no SLACK_CLIENT_ID). */
  static fromEnv(
    env: Env,
    deps: { store: Store; log: Logger; clientOptions: webApi.WebClientOptions; boltLogger: BoltLogger },
  ): SlackOAuthMode | undefined {
    const { SLACK_CLIENT_ID, SLACK_CLIENT_SECRET, SLACK_STATE_SECRET, SECRETS_KEY } = env;
    if (!SLACK_CLIENT_ID) return undefined;
    // The config schema refuses OAuth mode without these; this guards other callers.
    if (!SLACK_CLIENT_SECRET || !SLACK_STATE_SECRET || !SECRETS_KEY)
      throw new Error("Slack OAuth mode needs SLACK_CLIENT_SECRET, SLACK_STATE_SECRET and SECRETS_KEY");
    const installations = new SlackInstallations(
      deps.store.installations,
      new SecretBox(parseSecretKeys(SECRETS_KEY)),
      deps.log,
    );
    const installer = createInstaller({
      clientId: SLACK_CLIENT_ID,
      clientSecret: SLACK_CLIENT_SECRET,
      stateSecret: SLACK_STATE_SECRET,
      apiUrl: env.SLACK_API_URL,
      installations,
      clientOptions: deps.clientOptions,
      boltLogger: deps.boltLogger,
      botName: env.BOT_NAME,
    });
    return new SlackOAuthMode(installations, installer, deps.store, deps.log, env.BOT_NAME);
  }

  private constructor(
    installations: SlackInstallations,
    installer: InstallProvider,
    private readonly store: Store,
    private readonly log: Logger,
    private readonly botName: string,
  ) {
    this.installations = installations;
    this.installer = installer;
  }

  /**
   * Check that SECRETS_KEY opens every stored installation (re-sealing those of an older key;
   * rejects naming the missing key id), then serve the install routes. Returns how many
   * installations there are.
   */
  async start(http: HttpServer): Promise<number> {
    const { installations } = await this.installations.checkKeys();
    if (this.store.kind === "memory") {
      this.log.warn(
        "slack OAuth mode on the in-memory store: installations are lost when the process ends " +
          "(every workspace would have to install again); set REDIS_URL",
      );
    }
    if (!http.hasRoute("GET", SLACK_INSTALL_PATH)) {
      registerInstallRoutes(http, this.installer, { log: this.log, botName: this.botName });
    }
    return installations;
  }
}

/** Thrown by `authorize` when the event's workspace has no installation (not a store failure). */
export class NoInstallationError extends Error {
  constructor(teamId: string | undefined) {
    super(`no installation for team ${teamId ?? "?"}`);
    this.name = "NoInstallationError";
  }
}

/**
 * OAuth mode: an event from a workspace without installation (uninstalled a moment ago, or a
 * stray request) is acknowledged and logged, not thrown as a 500 Slack would retry. Any other
 * failure to authorize (the store is down while the installation is looked up) and other errors
 * keep Bolt's default: thrown to the receiver, which logs them and answers 500, so Slack
 * delivers the event again later instead of it being lost.
 */
export function quietAuthorizationErrors(log: Logger) {
  return async (error: Error & { code?: string; original?: unknown }): Promise<void> => {
    if (error.code === "slack_bolt_authorization_error" && error.original instanceof NoInstallationError) {
      log.warn({ reason: error.message }, "slack event from a workspace without installation: ignored");
      return;
    }
    throw error;
  };
}
