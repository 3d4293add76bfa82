import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { SLACK_EVENTS_PATH } from "../../../src/platforms/slack/http-receiver.js";
import { SLACK_BOT_SCOPES, SLACK_OAUTH_REDIRECT_PATH } from "../../../src/platforms/slack/install-routes.js";
import { ALL_SCOPES } from "../../fakes/slack-api.js";

interface Manifest {
  features: {
    slash_commands: { command: string; url: string }[];
    app_home: { messages_tab_enabled: boolean };
  };
  oauth_config: { redirect_urls: string[]; scopes: { bot: string[] } };
  settings: {
    event_subscriptions: { request_url: string; bot_events: string[] };
    interactivity: { is_enabled: boolean; request_url: string };
  };
}

const manifest = parse(readFileSync("manifests/slack-app.yaml", "utf8")) as Manifest;

describe("the Slack app manifest", () => {
  it("grants exactly the scopes the adapter's tests run with", () => {
    expect([...manifest.oauth_config.scopes.bot].sort()).toEqual([...ALL_SCOPES].sort());
  });

  it("asks an install (OAuth mode) for the same scopes and sends it back to the redirect route", () => {
    expect([...SLACK_BOT_SCOPES].sort()).toEqual([...manifest.oauth_config.scopes.bot].sort());
    expect(manifest.oauth_config.redirect_urls.map((u) => new URL(u).pathname)).toEqual([
      SLACK_OAUTH_REDIRECT_PATH,
    ]);
  });

  it("subscribes to the events the adapter listens to and sends everything to one URL", () => {
    expect([...manifest.settings.event_subscriptions.bot_events].sort()).toEqual(
      [
        "app_mention",
        "app_uninstalled",
        "assistant_thread_started",
        "message.channels",
        "message.groups",
        "message.im",
        "tokens_revoked",
      ].sort(),
    );
    const urls = [
      manifest.settings.event_subscriptions.request_url,
      manifest.settings.interactivity.request_url,
      ...manifest.features.slash_commands.map((c) => c.url),
    ];
    for (const url of urls) expect(new URL(url).pathname).toBe(SLACK_EVENTS_PATH);
    expect(manifest.settings.interactivity.is_enabled).toBe(true);
    expect(manifest.features.slash_commands.map((c) => c.command)).toEqual(
      expect.arrayContaining(["/summarize", "/forget", "/assistant", "/handoff"]),
    );
    expect(manifest.features.app_home.messages_tab_enabled).toBe(true);
  });
});
