/**
 * The merge rule of docs/policy.md: defaults < platform < workspace < channel < user, most
 * specific wins; allow and deny lists keep the bot out; no file is the environment's settings.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import type { PolicyPlace } from "../../../src/core/policy/resolve.js";
import { PolicyFileError, parsePolicy } from "../../../src/policy/policy-file.js";
import { policiesFrom, testBase } from "./fixtures.js";

const slack = (channelId: string, more: Partial<PolicyPlace> = {}): PolicyPlace => ({
  platform: "slack",
  workspaceId: "T1",
  channelId,
  userId: "U1",
  dm: false,
  ...more,
});

const FILE = `
version: 1
defaults:
  model: gpt-4o-mini
  limits: { requests: 20, windowSeconds: 60 }
platforms:
  slack:
    admins: [UADMIN]
    extraSystemPrompt: Answer in English.
    denyWorkspaces: [TBLOCKED]
    users:
      UVIP: { limits: { dailyTokens: 900000 } }
    workspaces:
      T1:
        admins: [UT1ADMIN]
        denyChannels: [CRANDOM]
        model: gpt-4o
        channels:
          CSALES:
            extraSystemPrompt: Only talk about sales.
            tools: [lookup_fact]
            limits: { requests: 3 }
          COFF: { enabled: false }
        users:
          UVIP: { limits: { requests: 50 } }
      T2:
        allowChannels: [CHELP]
        dms: mention
  discord:
    workspaces:
      "123456789012345678":
        historyTtlHours: 24
        followups: mention
`;

describe("the policy in effect", () => {
  const policies = policiesFrom(FILE);

  it("takes each setting from the most specific level that sets it", () => {
    const sales = policies.at(slack("CSALES"));
    expect(sales.model).toBe("gpt-4o"); // workspace over defaults
    expect(sales.extraSystemPrompt).toBe("Only talk about sales."); // channel over platform
    expect(sales.tools).toEqual(["lookup_fact"]);
    // limits merge field by field: requests from the channel, the window from the defaults
    expect(sales.throttle).toEqual({ requests: 3, windowMs: 60_000, dailyTokens: 1_000_000 });
    expect(sales.levels).toEqual(["defaults", "slack", "slack/T1", "slack/T1/CSALES"]);

    const general = policies.at(slack("CGENERAL"));
    expect(general.extraSystemPrompt).toBe("Answer in English.");
    expect(general.tools).toBe("all");
    expect(general.enabled).toBe(true);
  });

  it("lets a person's own entry beat the channel's limits", () => {
    const vip = policies.at(slack("CSALES", { userId: "UVIP" }));
    expect(vip.throttle).toEqual({ requests: 50, windowMs: 60_000, dailyTokens: 900_000 });
  });

  it("keeps the bot out of denied channels and workspaces, and of channels an allow list leaves out", () => {
    expect(policies.at(slack("CRANDOM"))).toMatchObject({
      enabled: false,
      disabledBy: "platforms.slack.workspaces.T1.denyChannels",
    });
    expect(policies.at(slack("COFF"))).toMatchObject({
      enabled: false,
      disabledBy: "platforms.slack.workspaces.T1.channels.COFF.enabled",
    });
    expect(policies.at(slack("C1", { workspaceId: "TBLOCKED" })).enabled).toBe(false);
    expect(policies.at(slack("CHELP", { workspaceId: "T2" })).enabled).toBe(true);
    expect(policies.at(slack("COTHER", { workspaceId: "T2" })).enabled).toBe(false);
    // Channel lists are not for DMs: `dms` decides those.
    expect(policies.at(slack("D1", { workspaceId: "T2", dm: true }))).toMatchObject({
      enabled: true,
      dms: "mention",
    });
  });

  it("keeps every digit of an unquoted Discord id and turns hours into the history TTL", () => {
    const guild = policies.at({
      platform: "discord",
      workspaceId: "123456789012345678",
      channelId: "1",
      userId: "2",
      dm: false,
    });
    expect(guild.historyTtlMs).toBe(24 * 3_600_000);
    expect(guild.followups).toBe("mention");
  });

  it("lists admins per platform and per workspace", () => {
    expect(policies.isAdmin({ platform: "slack", workspaceId: "T9", userId: "UADMIN" })).toBe(true);
    expect(policies.isAdmin({ platform: "slack", workspaceId: "T1", userId: "UT1ADMIN" })).toBe(true);
    expect(policies.isAdmin({ platform: "slack", workspaceId: "T2", userId: "UT1ADMIN" })).toBe(false);
    expect(policies.isAdmin({ platform: "discord", workspaceId: "T1", userId: "UADMIN" })).toBe(false);
  });

  it("counts only the platform's admins for an act that reaches every workspace", () => {
    expect(policies.isAdmin({ platform: "slack", userId: "UADMIN" })).toBe(true);
    expect(policies.isAdmin({ platform: "slack", userId: "UT1ADMIN" })).toBe(false);
  });

  it("is the environment's settings when there is no file, with nobody an admin", () => {
    const none = policiesFrom(null);
    expect(none.active).toBe(false);
    expect(none.at(slack("C1"))).toMatchObject({
      enabled: true,
      dms: "open",
      followups: "any",
      tools: "all",
      model: undefined,
      extraSystemPrompt: undefined,
      throttle: testBase.throttle,
      historyTtlMs: testBase.historyTtlMs,
    });
    expect(none.isAdmin({ platform: "slack", workspaceId: "T1", userId: "U1" })).toBe(false);
  });
});

describe("the example policy file", () => {
  it("is valid and says what docs/policy.md says it does", () => {
    const text = readFileSync(new URL("../../../manifests/policy.example.yaml", import.meta.url), "utf8");
    const example = policiesFrom(text);
    expect(example.at(slack("C0SALES", { workspaceId: "T0123ACME" }))).toMatchObject({
      model: "gpt-4o",
      tools: ["search_products", "search_help_center"],
      throttle: { requests: 30, windowMs: 60_000, dailyTokens: 200_000 },
    });
    expect(example.at(slack("C0RANDOM", { workspaceId: "T0123ACME" })).enabled).toBe(false);
    expect(example.isAdmin({ platform: "discord", workspaceId: "9", userId: "111111111111111111" })).toBe(
      true,
    );
  });
});

describe("a policy file with mistakes", () => {
  it("names every problem by its path in the file", () => {
    const bad = `
platforms:
  slack:
    dm: off
    workspaces:
      T1:
        channels:
          C1: { limits: { requests: 0 }, tools: lookup_fact }
`;
    let error: PolicyFileError | undefined;
    try {
      parsePolicy(bad, "/etc/chatbot/policy.yaml");
    } catch (err) {
      error = err as PolicyFileError;
    }
    expect(error).toBeInstanceOf(PolicyFileError);
    expect(error?.message).toContain("POLICY_FILE /etc/chatbot/policy.yaml");
    const paths = error?.problems.map((p) => p.split(":")[0]);
    expect(paths).toEqual(
      expect.arrayContaining([
        "platforms.slack",
        "platforms.slack.workspaces.T1.channels.C1.limits.requests",
        "platforms.slack.workspaces.T1.channels.C1.tools",
      ]),
    );
    expect(error?.problems.join("\n")).toMatch(/dm/);
  });

  it("points at the line of broken YAML", () => {
    expect(() => parsePolicy("defaults:\n  model: [unclosed\n", "p.yaml")).toThrow(
      /POLICY_FILE p\.yaml.*line \d+/,
    );
  });
});
