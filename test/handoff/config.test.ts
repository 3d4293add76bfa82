import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../src/config.js";

const slack = { SLACK_BOT_TOKEN: "xoxb-1", SLACK_SIGNING_SECRET: "s" };
const discord = { DISCORD_TOKEN: "t", DISCORD_APPLICATION_ID: "1234567890123456789" };

function problems(env: Record<string, string>): string {
  try {
    loadConfig(env);
    return "";
  } catch (err) {
    if (err instanceof ConfigError) return err.message;
    throw err;
  }
}

describe("hand-off settings", () => {
  it("accepts one team channel and keeps the fallback text and TTL defaults", () => {
    const { env } = loadConfig({ ...slack, HANDOFF_SLACK_CHANNEL: "C0123ABCD" });
    expect(env.HANDOFF_SLACK_CHANNEL).toBe("C0123ABCD");
    expect(env.HANDOFF_TTL_S).toBe(7 * 24 * 3600);
    expect(env.HANDOFF_FALLBACK_TEXT).toMatch(/support team/);
  });

  it("refuses two team channels, naming the variable", () => {
    const message = problems({
      ...slack,
      ...discord,
      HANDOFF_SLACK_CHANNEL: "C0123ABCD",
      HANDOFF_DISCORD_CHANNEL: "1234567890123456789",
    });
    expect(message).toMatch(/HANDOFF_DISCORD_CHANNEL: set only one team channel/);
  });

  it("refuses a team channel on a platform that is not configured, and a channel name instead of an id", () => {
    expect(problems({ ...slack, HANDOFF_DISCORD_CHANNEL: "1234567890123456789" })).toMatch(
      /HANDOFF_DISCORD_CHANNEL: needs Discord/,
    );
    expect(problems({ ...slack, HANDOFF_SLACK_CHANNEL: "#support" })).toMatch(
      /HANDOFF_SLACK_CHANNEL: expected a Slack channel id/,
    );
  });
});
