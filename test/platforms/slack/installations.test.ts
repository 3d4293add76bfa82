import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { silentLogger } from "../../../src/log.js";
import {
  INSTALLATION_CACHE_MS,
  type SlackInstallation,
  SlackInstallations,
} from "../../../src/platforms/slack/installations.js";
import { createMemoryStore } from "../../../src/store/memory/store.js";
import { parseSecretKeys, SecretBox } from "../../../src/store/secret-box.js";

const box = (k = randomBytes(32).toString("base64")) => new SecretBox(parseSecretKeys(k));

function installation(overrides: Partial<SlackInstallation>): SlackInstallation {
  return {
    id: "T:T1",
    teamId: "T1",
    isEnterpriseInstall: false,
    botToken: "xoxb-t1",
    botUserId: "U0BOT",
    scopes: ["chat:write"],
    installedAt: 1,
    ...overrides,
  };
}

describe("Slack installations", () => {
  it("serves a workspace of an Enterprise Grid org with the org-wide installation, its own install first", async () => {
    const store = createMemoryStore({ log: silentLogger() });
    const installs = new SlackInstallations(store.installations, box(), silentLogger());
    await installs.save(
      installation({
        id: "E:E1",
        teamId: undefined,
        enterpriseId: "E1",
        isEnterpriseInstall: true,
        botToken: "xoxb-org",
      }),
    );
    await installs.save(installation({ id: "T:T7", teamId: "T7", enterpriseId: "E1", botToken: "xoxb-t7" }));
    expect((await installs.find({ teamId: "T3", enterpriseId: "E1" }))?.botToken).toBe("xoxb-org");
    expect(
      (await installs.find({ teamId: "T3", enterpriseId: "E1", isEnterpriseInstall: true }))?.botToken,
    ).toBe("xoxb-org");
    expect((await installs.find({ teamId: "T7", enterpriseId: "E1" }))?.botToken).toBe("xoxb-t7");
    expect(await installs.find({ teamId: "T3" })).toBeNull();
  });

  it("sees an uninstall made by another replica once its cache minute is over", async () => {
    let now = 1_000_000;
    const clock = () => now;
    const store = createMemoryStore({ log: silentLogger() });
    const key = box();
    const a = new SlackInstallations(store.installations, key, silentLogger(), clock);
    const b = new SlackInstallations(store.installations, key, silentLogger(), clock);
    await b.save(installation({}));
    expect((await a.find({ teamId: "T1" }))?.botToken).toBe("xoxb-t1");
    await b.remove("T:T1");
    expect((await a.find({ teamId: "T1" }))?.botToken).toBe("xoxb-t1"); // cached
    now += INSTALLATION_CACHE_MS + 1;
    expect(await a.find({ teamId: "T1" })).toBeNull();
  });

  it("treats a record no listed key opens as not installed, and start-up refuses it", async () => {
    const store = createMemoryStore({ log: silentLogger() });
    await new SlackInstallations(store.installations, box(), silentLogger()).save(installation({}));
    const other = new SlackInstallations(store.installations, box(), silentLogger());
    expect(await other.find({ teamId: "T1" })).toBeNull();
    await expect(other.checkKeys()).rejects.toThrow(/SECRETS_KEY does not open 1 of 1/);
  });
});
