/**
 * OAuth v2 install for OAuth mode (docs/slack-install.md), with Bolt's installer (@slack/oauth):
 *
 * - `GET /slack/install`: the "Add to Slack" page. It sets a state cookie in the browser and
 *   links to Slack's authorize page with the same state (signed with SLACK_STATE_SECRET, valid
 *   10 minutes; stateless, so any replica can verify it).
 * - `GET /slack/oauth_redirect`: Slack sends the browser back here with `code` and `state`. The
 *   state must match the cookie and carry a valid signature (else 400: a forged link or another
 *   browser's flow); the code is exchanged at `oauth.v2.access` under SLACK_API_URL, and the
 *   installation is stored sealed (installations.ts).
 *
 * The authorize page is on the same host as SLACK_API_URL (`https://slack.com/oauth/v2/authorize`
 * for the default `https://slack.com/api/`), so the whole flow runs against a fake in tests.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Logger as BoltLogger, webApi } from "@slack/bolt";
import { type CodedError, InstallProvider } from "@slack/oauth";
import type { HttpServer } from "../../http/server.js";
import type { Logger } from "../../log.js";
import type { SlackInstallations } from "./installations.js";

export const SLACK_INSTALL_PATH = "/slack/install";
export const SLACK_OAUTH_REDIRECT_PATH = "/slack/oauth_redirect";
/** Bot scopes the install asks for: exactly the manifest's (manifests/slack-app.yaml; a test checks). */
export const SLACK_BOT_SCOPES = [
  "app_mentions:read",
  "assistant:write",
  "channels:history",
  "channels:read",
  "chat:write",
  "commands",
  "files:read",
  "groups:history",
  "groups:read",
  "im:history",
  "im:write",
  "im:read",
  "users:read",
];
/** The state (cookie and link) is good for this long: enough to read Slack's consent page. */
const STATE_TTL_S = 600;
/** Errors that are the browser's (a forged, stale or missing state, no code), not ours. */
const CLIENT_ERRORS = new Set([
  "slack_oauth_missing_state",
  "slack_oauth_invalid_state",
  "slack_oauth_missing_code",
  "slack_oauth_installer_authorization_error",
]);

export interface InstallerOptions {
  clientId: string;
  clientSecret: string;
  stateSecret: string;
  apiUrl: string;
  installations: SlackInstallations;
  /** The adapter's WebClient options (SLACK_API_URL, counting fetch, timeouts). */
  clientOptions: webApi.WebClientOptions;
  boltLogger: BoltLogger;
  botName: string;
}

/** Slack's authorize page beside the Web API: `<origin>/oauth/v2/authorize`. */
export function authorizationUrlFor(apiUrl: string): string {
  return new URL("/oauth/v2/authorize", apiUrl).href;
}

export function createInstaller(opts: InstallerOptions): InstallProvider {
  const { logger: _logger, logLevel: _level, ...clientOptions } = opts.clientOptions;
  return new InstallProvider({
    clientId: opts.clientId,
    clientSecret: opts.clientSecret,
    stateSecret: opts.stateSecret,
    installationStore: opts.installations,
    authorizationUrl: authorizationUrlFor(opts.apiUrl),
    stateCookieExpirationSeconds: STATE_TTL_S,
    installUrlOptions: { scopes: SLACK_BOT_SCOPES },
    renderHtmlForInstallPath: (url) => installPage(opts.botName, url),
    logger: opts.boltLogger,
    clientOptions,
  });
}

/** Register the two install routes on the service's HTTP server. */
export function registerInstallRoutes(
  http: HttpServer,
  installer: InstallProvider,
  opts: { log: Logger; botName: string },
): void {
  const { log, botName } = opts;
  http.route("GET", SLACK_INSTALL_PATH, (req, res) => installer.handleInstallPath(req, res));
  http.route("GET", SLACK_OAUTH_REDIRECT_PATH, (req, res) =>
    installer.handleCallback(req, res, {
      success: (installation, _options, _req, response) => {
        const where = installation.isEnterpriseInstall
          ? installation.enterprise?.name || installation.enterprise?.id
          : installation.team?.name || installation.team?.id;
        page(
          response,
          200,
          `${botName} is installed`,
          `${botName} is now in ${where ?? "your workspace"}. Mention it in a channel, or open it from ` +
            "the Apps section of the sidebar.",
        );
      },
      failure: (error: CodedError, _options, request: IncomingMessage, response: ServerResponse) => {
        const client = CLIENT_ERRORS.has(error.code);
        const cancelled = error.code === "slack_oauth_installer_authorization_error";
        log.warn(
          { code: error.code, reason: error.message, path: (request.url ?? "").split("?")[0] },
          "slack install refused",
        );
        page(
          response,
          client ? 400 : 500,
          "Installation did not complete",
          cancelled
            ? "The installation was cancelled in Slack. You can start again from the Add to Slack page."
            : client
              ? "This install link has expired or was not started in this browser. Start again from the Add to Slack page."
              : "Slack did not complete the installation. Please try again in a minute.",
          SLACK_INSTALL_PATH,
        );
      },
    }),
  );
}

function installPage(botName: string, url: string): string {
  return html(
    `Add ${botName} to Slack`,
    `<p>Install ${escapeHtml(botName)} in your Slack workspace.</p>` +
      `<p><a href="${escapeHtml(url)}" id="add-to-slack">Add to Slack</a></p>`,
  );
}

function page(res: ServerResponse, status: number, title: string, text: string, retry?: string): void {
  const body = html(
    title,
    `<p>${escapeHtml(text)}</p>${retry ? `<p><a href="${escapeHtml(retry)}">Add to Slack</a></p>` : ""}`,
  );
  res.writeHead(status, {
    "content-type": "text/html; charset=utf-8",
    "content-length": Buffer.byteLength(body),
  });
  res.end(body);
}

function html(title: string, body: string): string {
  return (
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>` +
    `<meta name="viewport" content="width=device-width, initial-scale=1"></head>` +
    `<body style="font-family: system-ui, sans-serif; max-width: 40rem; margin: 4rem auto">` +
    `<h1>${escapeHtml(title)}</h1>${body}</body></html>`
  );
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
