import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../src/config.js";

describe("loadConfig", () => {
  it("starts with no configuration at all: web chat, demo model, memory store", () => {
    const config = loadConfig({});
    expect(config.demoModel).toBe(true);
    expect(config.webChat).toBe(true);
    expect(config.slack).toBeNull();
    expect(config.env.PORT).toBe(3000);
    expect(config.env.REDIS_URL).toBeUndefined();
  });

  it("lists every bad or missing variable by name in one error", () => {
    let error: unknown;
    try {
      loadConfig({
        PORT: "http",
        REDIS_URL: "localhost:6379",
        SLACK_BOT_TOKEN: "xoxb-1",
        DISCORD_SHARD_IDS: "0,3",
        DISCORD_SHARD_COUNT: "2",
        DISCORD_TOKEN: "abc",
        LOG_LEVEL: "loud",
      });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as ConfigError).message;
    for (const name of [
      "PORT",
      "REDIS_URL",
      "SLACK_SIGNING_SECRET",
      "DISCORD_SHARD_IDS",
      "DISCORD_APPLICATION_ID",
      "LOG_LEVEL",
    ]) {
      expect(message).toContain(name);
    }
    // Secrets are never echoed back.
    expect(message).not.toContain("xoxb-1");
  });

  it("reads WEB_ALLOWED_HOSTS as host names and refuses one with a port", () => {
    expect(
      loadConfig({ WEB_ALLOWED_HOSTS: " DevBox.lan, 192.168.1.20,[fe80::1] " }).env.WEB_ALLOWED_HOSTS,
    ).toEqual(["devbox.lan", "192.168.1.20", "[fe80::1]"]);
    expect(loadConfig({}).env.WEB_ALLOWED_HOSTS).toEqual([]);
    expect(() => loadConfig({ WEB_ALLOWED_HOSTS: "devbox.lan:3000" })).toThrow(/WEB_ALLOWED_HOSTS/);
    expect(() => loadConfig({ WEB_ALLOWED_HOSTS: "http://devbox.lan" })).toThrow(/without port/);
  });

  it("keeps the old SLACK_UPDATES_PER_MINUTE working for the chat.update budget, the new name winning", () => {
    expect(loadConfig({}).env.SLACK_CHAT_UPDATE_PER_MINUTE).toBe(50);
    expect(loadConfig({ SLACK_UPDATES_PER_MINUTE: "30" }).env.SLACK_CHAT_UPDATE_PER_MINUTE).toBe(30);
    expect(
      loadConfig({ SLACK_UPDATES_PER_MINUTE: "30", SLACK_CHAT_UPDATE_PER_MINUTE: "40" }).env
        .SLACK_CHAT_UPDATE_PER_MINUTE,
    ).toBe(40);
  });

  it("refuses to start with a KNOWLEDGE_DIR that does not exist, naming the variable", () => {
    const missing = join(tmpdir(), "no-such-help-center-folder");
    expect(() => loadConfig({ KNOWLEDGE_DIR: missing })).toThrow(/KNOWLEDGE_DIR: no folder at this path/);
    // A file is not a folder of articles either.
    expect(() => loadConfig({ KNOWLEDGE_DIR: fileURLToPath(import.meta.url) })).toThrow(/KNOWLEDGE_DIR/);
    expect(loadConfig({ KNOWLEDGE_DIR: tmpdir() }).env.KNOWLEDGE_DIR).toBe(tmpdir());
  });

  it("treats empty values copied from .env.example as unset", () => {
    const config = loadConfig({ DISCORD_SHARD_COUNT: "", OPENAI_API_KEY: "", PORT: "" });
    expect(config.env.DISCORD_SHARD_COUNT).toBeUndefined();
    expect(config.demoModel).toBe(true);
    expect(config.env.PORT).toBe(3000);
  });

  it("switches Slack to Socket Mode with an app token and turns the web chat off", () => {
    const config = loadConfig({
      SLACK_BOT_TOKEN: "xoxb-1",
      SLACK_APP_TOKEN: "xapp-1",
      OPENAI_API_KEY: "sk-1",
    });
    expect(config.slack).toEqual({ mode: "socket", workspaces: "single" });
    expect(config.webChat).toBe(false);
    expect(config.demoModel).toBe(false);
  });

  it("refuses to start with no platform and the web chat off, naming the variables to set", () => {
    let error: unknown;
    try {
      loadConfig({ NODE_ENV: "production", WEB_CHAT: "off", HOST: "0.0.0.0" });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as ConfigError).message;
    expect(message).toContain("nothing to serve");
    for (const name of ["SLACK_BOT_TOKEN", "DISCORD_TOKEN", "WEB_CHAT=on"]) expect(message).toContain(name);
    // Any one of them is enough.
    expect(
      loadConfig({ WEB_CHAT: "off", DISCORD_TOKEN: "d", DISCORD_APPLICATION_ID: "1" }).discord,
    ).not.toBeNull();
    expect(loadConfig({ WEB_CHAT: "on" }).webChat).toBe(true);
  });
});
