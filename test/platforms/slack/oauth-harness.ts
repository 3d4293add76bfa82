/**
 * The Slack adapter in OAuth mode (installs to many workspaces), wired like main.ts wires it,
 * against the fake Slack (its authorize page and oauth.v2.access included) and the real core.
 * `install()` walks the browser's part of the flow: the Add to Slack page (state cookie), Slack's
 * authorize page, and the redirect back with code and state.
 */
import { randomBytes } from "node:crypto";
import { loadConfig } from "../../../src/config.js";
import type { ChatModel, Store } from "../../../src/core/ports.js";
import { HttpServer } from "../../../src/http/server.js";
import { silentLogger } from "../../../src/log.js";
import { createSlackAdapter, type SlackAdapter } from "../../../src/platforms/slack/index.js";
import type { PolicySetup } from "../../../src/policy/setup.js";
import { FakeSlack } from "../../fakes/slack-api.js";
import { FAKE_SIGNING_SECRET, HttpDelivery } from "../../fakes/slack-events.js";
import { makeConversation } from "../../support/conversation.js";

export const CLIENT_ID = "1111.2222";
export const CLIENT_SECRET = "fake-client-secret";
export const STATE_SECRET = "fake-state-secret-0123456789";
export const newSecretsKey = () => randomBytes(32).toString("base64");

export interface OAuthService {
  adapter: SlackAdapter;
  http: HttpServer;
  baseUrl: string;
  delivery: HttpDelivery;
  stop(): Promise<void>;
}

export interface OAuthHarness {
  fake: FakeSlack;
  store: Store;
  service: OAuthService;
  /** Start another service (a replica, or a restart with other settings) on the same fake and store. */
  startService(env?: Record<string, string>): Promise<OAuthService>;
  close(): Promise<void>;
}

export interface BrowserResult {
  status: number;
  body: string;
}

export async function startOAuthHarness(opts: {
  model: ChatModel;
  store?: Store;
  secretsKey?: string;
  timeScale?: number;
  /** Thumbs up / down on answers; off when absent. */
  feedback?: boolean;
  /** The policy and the admins' channel switches (uninstall deletes the switches). */
  policy?: PolicySetup;
}): Promise<OAuthHarness> {
  const timeScale = opts.timeScale ?? 10;
  const fake = await new FakeSlack({ timeScale }).start();
  const { store } = makeConversation({ model: opts.model, ...(opts.store ? { store: opts.store } : {}) });
  const secretsKey = opts.secretsKey ?? newSecretsKey();
  const services: OAuthService[] = [];
  const log = silentLogger();

  const startService = async (env: Record<string, string> = {}): Promise<OAuthService> => {
    const http = new HttpServer(log);
    const port = await http.listen(0, "127.0.0.1");
    const baseUrl = `http://127.0.0.1:${port}`;
    const config = loadConfig({
      SLACK_CLIENT_ID: CLIENT_ID,
      SLACK_CLIENT_SECRET: CLIENT_SECRET,
      SLACK_STATE_SECRET: STATE_SECRET,
      SECRETS_KEY: secretsKey,
      SLACK_SIGNING_SECRET: FAKE_SIGNING_SECRET,
      SLACK_API_URL: fake.apiUrl,
      ...env,
    });
    const { conversation, metrics, feedback } = makeConversation({
      model: opts.model,
      store,
      ...(opts.feedback ? { feedback: true } : {}),
    });
    const policy = opts.policy ? { admins: opts.policy.policies, replies: opts.policy.replies } : {};
    const adapter = createSlackAdapter(
      {
        env: config.env,
        conversation,
        http,
        store,
        log,
        metrics,
        ...(feedback ? { feedback } : {}),
        ...policy,
      },
      { timeScale },
    );
    const service: OAuthService = {
      adapter,
      http,
      baseUrl,
      delivery: new HttpDelivery(`${baseUrl}/slack/events`),
      async stop() {
        await adapter.stop();
        await adapter.idle();
        await http.close();
      },
    };
    try {
      await adapter.start();
    } catch (err) {
      await http.close();
      throw err;
    }
    services.push(service);
    return service;
  };

  const service = await startService();
  fake.oauth.app = {
    clientId: CLIENT_ID,
    clientSecret: CLIENT_SECRET,
    redirectUri: `${service.baseUrl}/slack/oauth_redirect`,
  };
  return {
    fake,
    store,
    service,
    startService,
    async close() {
      for (const s of services) await s.stop();
      await store.close();
      await fake.close();
    },
  };
}

/** The Add to Slack page: its state cookie and its link to Slack's authorize page. */
export async function openInstallPage(baseUrl: string): Promise<{ cookie: string; link: URL; html: string }> {
  const res = await fetch(`${baseUrl}/slack/install`);
  const html = await res.text();
  if (res.status !== 200) throw new Error(`install page answered ${res.status}`);
  const cookie = (res.headers.get("set-cookie") ?? "").split(";")[0] ?? "";
  const href = /<a href="([^"]+)" id="add-to-slack">/.exec(html)?.[1];
  if (!href) throw new Error("no Add to Slack link on the install page");
  return { cookie, link: new URL(href.replaceAll("&#38;", "&")), html };
}

/**
 * A person installs the app into `team` (a team id, or an enterprise id for an org-wide install):
 * Add to Slack, Allow on Slack's page, back to the service with the browser's cookie.
 */
export async function install(baseUrl: string, team: string): Promise<BrowserResult> {
  const { cookie, link } = await openInstallPage(baseUrl);
  link.searchParams.set("team", team);
  const approved = await fetch(link, { redirect: "manual" });
  const location = approved.headers.get("location");
  if (approved.status !== 302 || !location) throw new Error(`authorize page answered ${approved.status}`);
  const back = await fetch(location, { headers: { cookie }, redirect: "manual" });
  return { status: back.status, body: await back.text() };
}
