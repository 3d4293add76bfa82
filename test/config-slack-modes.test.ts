import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../src/config.js";

const KEY = randomBytes(32).toString("base64");
const OAUTH = {
  SLACK_CLIENT_ID: "111.222",
  SLACK_CLIENT_SECRET: "client-secret",
  SLACK_STATE_SECRET: "state-secret-0123456789",
  SECRETS_KEY: KEY,
  SLACK_SIGNING_SECRET: "signing-secret",
};

function problems(env: Record<string, string>): string {
  try {
    loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return err.message;
    throw err;
  }
  return "";
}

describe("Slack modes in the configuration", () => {
  it("turns on OAuth mode (many workspaces, over HTTP) with the client id and its companions", () => {
    const config = loadConfig(OAUTH);
    expect(config.slack).toEqual({ mode: "http", workspaces: "oauth" });
    expect(config.webChat).toBe(false);
  });

  it("keeps single-workspace mode with a bot token", () => {
    const config = loadConfig({ SLACK_BOT_TOKEN: "xoxb-1", SLACK_SIGNING_SECRET: "s" });
    expect(config.slack).toEqual({ mode: "http", workspaces: "single" });
  });

  it("refuses a bot token together with OAuth variables, naming both modes", () => {
    const message = problems({ ...OAUTH, SLACK_BOT_TOKEN: "xoxb-1" });
    expect(message).toContain("SLACK_BOT_TOKEN: single-workspace mode");
    expect(message).toContain("SLACK_CLIENT_ID");
  });

  it("refuses Socket Mode in OAuth mode", () => {
    expect(problems({ ...OAUTH, SLACK_APP_TOKEN: "xapp-1" })).toContain("SLACK_APP_TOKEN: Socket Mode");
  });

  it("names every variable OAuth mode still needs", () => {
    const message = problems({ SLACK_CLIENT_ID: "111.222" });
    for (const name of ["SLACK_CLIENT_SECRET", "SLACK_STATE_SECRET", "SECRETS_KEY", "SLACK_SIGNING_SECRET"]) {
      expect(message).toContain(`${name}: required in Slack OAuth mode`);
    }
  });

  it("refuses a SECRETS_KEY that is not 32 bytes, without echoing it", () => {
    const message = problems({ ...OAUTH, SECRETS_KEY: "too-short-key" });
    expect(message).toContain("SECRETS_KEY: key 1 is not 32 bytes");
    expect(message).not.toContain("too-short-key");
    expect(problems({ ...OAUTH, SECRETS_KEY: `${KEY},nope` })).toContain("key 2 is not 32 bytes");
  });

  it("accepts a hex key and a rotation list, and refuses a key listed twice", () => {
    const hex = randomBytes(32).toString("hex");
    expect(problems({ ...OAUTH, SECRETS_KEY: `${hex},${KEY}` })).toBe("");
    expect(problems({ ...OAUTH, SECRETS_KEY: `${KEY},${KEY}` })).toContain("the same key is listed twice");
  });

  it("refuses a short state secret", () => {
    expect(problems({ ...OAUTH, SLACK_STATE_SECRET: "short" })).toContain("SLACK_STATE_SECRET");
  });
});
