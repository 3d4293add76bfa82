/**
 * Who may delete another person's Slack data: a workspace's admin for data scoped to that
 * workspace; in an Enterprise Grid org a person's data spans every workspace of the org, so only
 * the platform's admins may, by command or by a (forged) button.
 */
import { describe, expect, it } from "vitest";
import { PersonalData } from "../../../src/core/forget.js";
import type { PersonalRecords } from "../../../src/core/ports.js";
import { silentLogger } from "../../../src/log.js";
import type { SlackApi } from "../../../src/platforms/slack/api.js";
import {
  type ForgetDeps,
  forgetCommandReply,
  handleForgetClick,
} from "../../../src/platforms/slack/forget-command.js";
import { policiesFrom } from "../../core/policy/fixtures.js";

const admins = policiesFrom(
  [
    "platforms:",
    "  slack:",
    "    admins: [UORG]",
    "    workspaces:",
    "      T1: { admins: [ULEAD] }",
    "      T2: { admins: [ULEAD2] }",
    "",
  ].join("\n"),
);

function setup() {
  const forgotten: string[] = [];
  const records: PersonalRecords = {
    kind: "conversations",
    forgetUser: async (userKey) => {
      forgotten.push(userKey);
      return 1;
    },
  };
  const responses: string[] = [];
  const api = {
    respond: async (_url: string, body: { text?: string }) => {
      responses.push(String(body.text ?? ""));
      return true;
    },
  } as unknown as SlackApi;
  const deps: ForgetDeps = {
    personalData: new PersonalData([records], silentLogger()),
    admins,
    api,
    log: silentLogger(),
  };
  return { deps, forgotten, responses };
}

const click = (who: { userId: string; teamId: string; enterpriseId?: string }, userId: string) => ({
  value: JSON.stringify({ kind: "user", userId }),
  who,
  responseUrl: "https://hooks.slack.test/response",
});

describe("/forget user in Slack: whose admin may delete", () => {
  it("lets a workspace's admin delete a person of that workspace", async () => {
    const { deps, forgotten, responses } = setup();
    const lead = { userId: "ULEAD", teamId: "T1" };
    expect(forgetCommandReply("user U9", lead, deps).text).toMatch(/^Delete everything/);
    await handleForgetClick(click(lead, "U9"), deps);
    expect(forgotten).toEqual(["slack:T1:U9"]);
    expect(responses[0]).toMatch(/^User U9: Deleted their data/);
  });

  it("refuses another workspace's admin", async () => {
    const { deps, forgotten } = setup();
    expect(forgetCommandReply("user U9", { userId: "ULEAD2", teamId: "T1" }, deps).text).toMatch(
      /^Only the assistant's admins/,
    );
    await handleForgetClick(click({ userId: "ULEAD2", teamId: "T1" }, "U9"), deps);
    expect(forgotten).toEqual([]);
  });

  it("refuses a workspace's admin in an Enterprise Grid org, where the data spans the org", async () => {
    const { deps, forgotten, responses } = setup();
    const lead = { userId: "ULEAD", teamId: "T1", enterpriseId: "E1" };
    expect(forgetCommandReply("user U9", lead, deps).text).toMatch(/^Only the assistant's admins/);
    await handleForgetClick(click(lead, "U9"), deps);
    expect(forgotten).toEqual([]);
    expect(responses[0]).toMatch(/^Only the assistant's admins/);
  });

  it("lets a platform admin delete a person of an Enterprise Grid org", async () => {
    const { deps, forgotten } = setup();
    await handleForgetClick(click({ userId: "UORG", teamId: "T1", enterpriseId: "E1" }, "U9"), deps);
    expect(forgotten).toEqual(["slack:E1:U9"]);
  });
});
