import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { SLACK_EVENTS_PATH } from "../../../src/platforms/slack/http-receiver.js";
import { ALL_SCOPES } from "../../fakes/slack-api.js";

interface Manifest {
  features: {
    slash_commands: { command: string; url: string }[];
    app_home: { messages_tab_enabled: boolean };
  };
  oauth_config: { scopes: { bot: string[] } };
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

  it("subscribes to the events the adapter listens to and sends everything to one URL", () => {
    expect([...manifest.settings.event_subscriptions.bot_events].sort()).toEqual(
      ["app_mention", "assistant_thread_started", "message.channels", "message.groups", "message.im"].sort(),
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
