/**
 * OAuth mode as an operator runs it: `src/main.ts` in its own process on Redis, against the fake
 * Slack. A workspace installs through the real routes and is answered with its own token; a
 * restart with a SECRETS_KEY that does not open the stored installation stops, naming the variable.
 */
import { randomBytes } from "node:crypto";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { FAKE_BOT_USER_ID, FakeSlack } from "../fakes/slack-api.js";
import { eventEnvelope, FAKE_SIGNING_SECRET, HttpDelivery, mentionEvents } from "../fakes/slack-events.js";
import { CLIENT_ID, CLIENT_SECRET, install, STATE_SECRET } from "../platforms/slack/oauth-harness.js";
import { requires } from "../support/binaries.js";
import {
  deleteKeys,
  startRedis,
  type TestRedis,
  uniquePrefix,
  usingExternalRedis,
} from "../support/redis.js";
import { baseEnv, type ServiceProcess, spawnService, startService } from "../support/service-process.js";

const needsRedis = requires("redis");
let redis: TestRedis | undefined;
let fake: FakeSlack | undefined;
let service: ServiceProcess | undefined;
beforeAll(async () => {
  if (!needsRedis.skip) redis = await startRedis();
});
afterAll(async () => {
  await redis?.stop();
});
afterEach(async () => {
  await service?.stop("SIGKILL");
  service = undefined;
  await fake?.close();
  fake = undefined;
});

describe("the service in Slack OAuth mode", needsRedis, () => {
  it("installs a workspace, answers it with its own token, and refuses a restart with the wrong SECRETS_KEY", async () => {
    if (!redis) throw new Error("redis not started");
    const prefix = uniquePrefix("oauth-service");
    const secretsKey = randomBytes(32).toString("base64");
    fake = await new FakeSlack().start();
    fake.oauth.installables.set("T1", { teamId: "T1", teamName: "Acme" });
    fake.addChannel({ id: "CA", name: "general" });
    const env = (key: string) =>
      baseEnv({
        REDIS_URL: redis?.url ?? "",
        KEY_PREFIX: prefix,
        HOST: "127.0.0.1",
        SLACK_API_URL: fake?.apiUrl ?? "",
        SLACK_CLIENT_ID: CLIENT_ID,
        SLACK_CLIENT_SECRET: CLIENT_SECRET,
        SLACK_STATE_SECRET: STATE_SECRET,
        SLACK_SIGNING_SECRET: FAKE_SIGNING_SECRET,
        SECRETS_KEY: key,
      });
    try {
      service = await startService(env(secretsKey));
      fake.oauth.app = {
        clientId: CLIENT_ID,
        clientSecret: CLIENT_SECRET,
        redirectUri: `${service.url}/slack/oauth_redirect`,
      };
      const done = await install(service.url, "T1");
      expect(done.status).toBe(200);
      expect(done.body).toContain("is now in Acme");
      const token = fake.oauth.installedTokens[0]?.token ?? "";
      expect(token).toMatch(/^xoxb-installed-/);

      const ts = fake.nextTs();
      const { appMention } = mentionEvents({
        channel: "CA",
        user: "U1",
        text: `<@${FAKE_BOT_USER_ID}> hello`,
        ts,
      });
      const envelope = {
        ...eventEnvelope({ ...appMention, team: "T1" }),
        team_id: "T1",
        authorizations: [
          { team_id: "T1", user_id: FAKE_BOT_USER_ID, is_bot: true, is_enterprise_install: false },
        ],
      };
      expect((await new HttpDelivery(`${service.url}/slack/events`).event(envelope)).status).toBe(200);
      await service.waitForLine(/"msg":"turn finished"/, 60_000);
      const calls = fake.calls.filter((c) => c.args.channel === "CA");
      expect(calls.length).toBeGreaterThan(0);
      expect(new Set(calls.map((c) => c.token))).toEqual(new Set([token]));
      const ready = (await (await fetch(`${service.url}/readyz`)).json()) as {
        adapters: Record<string, boolean>;
      };
      expect(ready.adapters.slack).toBe(true);
      expect(await service.stop("SIGTERM")).toBe(0);
      const log = service.lines.join("\n");
      expect(log).toContain("slack app installed");
      for (const secret of [token, CLIENT_SECRET, STATE_SECRET, secretsKey])
        expect(log).not.toContain(secret);

      const wrongKey = randomBytes(32).toString("base64");
      const restart = spawnService(env(wrongKey));
      expect(await restart.exited).toBe(1);
      const output = restart.lines.join("\n");
      expect(output).toContain("SECRETS_KEY does not open 1 of 1 stored Slack installations");
      expect(output).not.toContain(wrongKey);
    } finally {
      if (usingExternalRedis()) await deleteKeys(redis.url, prefix);
    }
  });
});
