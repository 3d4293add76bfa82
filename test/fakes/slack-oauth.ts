/**
 * The fake Slack's side of distributing an app: installed workspaces with their own bot tokens
 * (every Web API call is checked against them and `auth.test` answers for the token's
 * workspace), Slack's authorize page (`GET /oauth/v2/authorize`: the user approves, the browser
 * is sent to the redirect URL with a one-time code and the state), and `oauth.v2.access`, which
 * exchanges the code for a new bot token. Org-wide installs on Enterprise Grid answer like Slack:
 * no team, the enterprise, `is_enterprise_install: true`.
 */
import { randomBytes } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";

export interface FakeWorkspace {
  token: string;
  /** Unset for an org-wide install (the token serves every workspace of the org). */
  teamId?: string;
  teamName?: string;
  enterpriseId?: string;
  enterpriseName?: string;
  orgWide: boolean;
  botUserId: string;
  botId: string;
}

/** A workspace or org someone may install the app into (chosen with `team=` on the authorize page). */
export interface Installable {
  teamId?: string;
  teamName?: string;
  enterpriseId?: string;
  enterpriseName?: string;
  orgWide?: boolean;
  /** Who clicks Allow. */
  userId?: string;
}

type Result = Record<string, unknown> & { ok: boolean };

export class FakeOAuth {
  /** Valid bot tokens -> their workspace. */
  readonly workspaces = new Map<string, FakeWorkspace>();
  /** Workspaces (or orgs) offered on the authorize page, by team or enterprise id. */
  readonly installables = new Map<string, Installable>();
  /** The app's credentials, once the app is "distributed". */
  app: { clientId: string; clientSecret: string; redirectUri: string } | null = null;
  private readonly codes = new Map<string, { installable: Installable; scopes: string; clientId: string }>();

  addWorkspace(ws: FakeWorkspace): FakeWorkspace {
    this.workspaces.set(ws.token, ws);
    return ws;
  }

  /** Slack revokes a token (uninstall): every later call with it is `invalid_auth`. */
  revoke(token: string): void {
    this.workspaces.delete(token);
  }

  /** Tokens Slack issued by install, oldest first. */
  get installedTokens(): FakeWorkspace[] {
    return [...this.workspaces.values()].filter((w) => w.token.startsWith("xoxb-installed-"));
  }

  /** `GET /oauth/v2/authorize?client_id&scope&state[&redirect_uri]&team=`: the user clicks Allow. */
  authorize(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? "/", "http://fake");
    const clientId = url.searchParams.get("client_id") ?? "";
    const team = url.searchParams.get("team") ?? "";
    const installable = this.installables.get(team);
    if (!this.app || clientId !== this.app.clientId || !installable) {
      res.writeHead(400, { "content-type": "text/plain" });
      res.end(!installable ? "unknown team" : "invalid client_id");
      return;
    }
    const code = `code-${randomBytes(6).toString("hex")}`;
    this.codes.set(code, { installable, scopes: url.searchParams.get("scope") ?? "", clientId });
    const back = new URL(url.searchParams.get("redirect_uri") ?? this.app.redirectUri);
    back.searchParams.set("code", code);
    back.searchParams.set("state", url.searchParams.get("state") ?? "");
    res.writeHead(302, { location: back.href });
    res.end();
  }

  /** `oauth.v2.access`: a code (once) and the app's credentials -> a new bot token. */
  access(args: Record<string, unknown>): Result {
    const app = this.app;
    if (!app || args.client_id !== app.clientId) return { ok: false, error: "invalid_client_id" };
    if (args.client_secret !== app.clientSecret) return { ok: false, error: "bad_client_secret" };
    const grant = this.codes.get(String(args.code ?? ""));
    if (!grant) return { ok: false, error: "invalid_code" };
    this.codes.delete(String(args.code));
    const inst = grant.installable;
    const orgWide = inst.orgWide === true;
    const ws = this.addWorkspace({
      token: `xoxb-installed-${randomBytes(8).toString("hex")}`,
      ...(orgWide ? {} : { teamId: inst.teamId, teamName: inst.teamName }),
      ...(inst.enterpriseId ? { enterpriseId: inst.enterpriseId, enterpriseName: inst.enterpriseName } : {}),
      orgWide,
      botUserId: "U0BOT",
      botId: "B0BOT",
    } as FakeWorkspace);
    return {
      ok: true,
      app_id: "A0FAKE",
      authed_user: { id: inst.userId ?? "U1" },
      scope: grant.scopes,
      token_type: "bot",
      access_token: ws.token,
      bot_user_id: ws.botUserId,
      team: orgWide ? null : { id: inst.teamId, name: inst.teamName },
      enterprise: inst.enterpriseId ? { id: inst.enterpriseId, name: inst.enterpriseName } : null,
      is_enterprise_install: orgWide,
    };
  }

  /** `auth.test` for the token's workspace. */
  authTest(ws: FakeWorkspace): Result {
    return {
      ok: true,
      url: "https://fake.slack.com/",
      team: ws.teamName ?? ws.enterpriseName ?? "",
      user: "supportbot",
      team_id: ws.teamId ?? "",
      user_id: ws.botUserId,
      bot_id: ws.botId,
      ...(ws.enterpriseId ? { enterprise_id: ws.enterpriseId } : {}),
      is_enterprise_install: ws.orgWide,
    };
  }
}
