import { afterEach, describe, expect, it } from "vitest";
import { loadConfig } from "../../../src/config.js";
import { HttpServer } from "../../../src/http/server.js";
import { silentLogger } from "../../../src/log.js";
import { createSlackAdapter } from "../../../src/platforms/slack/index.js";
import { FAKE_APP_TOKEN, FAKE_BOT_TOKEN, FakeSlack } from "../../fakes/slack-api.js";
import { FAKE_SIGNING_SECRET } from "../../fakes/slack-events.js";
import { makeConversation } from "../../support/conversation.js";
import { reply, ScriptedModel } from "../../support/scripted-model.js";

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

async function adapterWith(vars: Record<string, string>) {
  const fake = await new FakeSlack().start();
  cleanups.push(() => fake.close());
  const { env } = loadConfig({
    SLACK_SIGNING_SECRET: FAKE_SIGNING_SECRET,
    SLACK_API_URL: fake.apiUrl,
    ...vars,
  });
  const { conversation, store, metrics } = makeConversation({ model: new ScriptedModel(() => reply("hi")) });
  const log = silentLogger();
  const http = new HttpServer(log);
  const adapter = createSlackAdapter({ env, conversation, http, store, log, metrics });
  cleanups.push(async () => {
    await adapter.stop();
    await store.close();
  });
  return { adapter, http, fake };
}

describe("starting the Slack adapter", () => {
  it("refuses a bot token Slack rejects, naming the variable", async () => {
    const { adapter } = await adapterWith({ SLACK_BOT_TOKEN: "xoxb-wrong" });
    await expect(adapter.start()).rejects.toThrow(/SLACK_BOT_TOKEN \(invalid_auth\)/);
    expect(adapter.isReady()).toBe(false);
  });

  it("refuses an app token Slack rejects in Socket Mode, naming the variable", async () => {
    const { adapter } = await adapterWith({ SLACK_BOT_TOKEN: FAKE_BOT_TOKEN, SLACK_APP_TOKEN: "xapp-wrong" });
    await expect(adapter.start()).rejects.toThrow(/SLACK_APP_TOKEN/);
  });

  it("registers POST /slack/events on the shared HTTP server and is ready, in HTTP mode", async () => {
    const { adapter, http } = await adapterWith({ SLACK_BOT_TOKEN: FAKE_BOT_TOKEN });
    await adapter.start();
    expect(http.hasRoute("POST", "/slack/events")).toBe(true);
    expect(adapter.isReady()).toBe(true);
    await adapter.stop();
    expect(adapter.isReady()).toBe(false);
  });

  it("connects over Socket Mode without an HTTP route", async () => {
    const { adapter, http, fake } = await adapterWith({
      SLACK_BOT_TOKEN: FAKE_BOT_TOKEN,
      SLACK_APP_TOKEN: FAKE_APP_TOKEN,
    });
    await adapter.start();
    await fake.socket.waitForConnection();
    expect(adapter.isReady()).toBe(true);
    expect(http.hasRoute("POST", "/slack/events")).toBe(false);
  });
});
