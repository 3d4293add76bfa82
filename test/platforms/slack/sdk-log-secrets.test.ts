/**
 * The Slack SDKs log through the service's logger (boltLogger). At LOG_LEVEL=debug the Web API
 * client writes every request body as one string, where pino's redaction cannot reach: the
 * install's code exchange (client secret) must still never appear in the logs.
 */
import { LogLevel, webApi } from "@slack/bolt";
import { afterEach, describe, expect, it } from "vitest";
import { boltLogger } from "../../../src/platforms/slack/api.js";
import { FakeSlack } from "../../fakes/slack-api.js";
import { captureLog } from "../../store/log-capture.js";

let fake: FakeSlack | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

describe("Slack SDK logs at debug", () => {
  it("never carry the client secret or a token of the install's code exchange", async () => {
    fake = await new FakeSlack().start();
    const captured = captureLog();
    const client = new webApi.WebClient(undefined, {
      slackApiUrl: fake.apiUrl,
      logger: boltLogger(captured.log),
      logLevel: LogLevel.DEBUG,
    });
    const secret = "s3cr3t-client-secret-value";
    await client.oauth.v2
      .access({ code: "code-123", client_id: "1.2", client_secret: secret })
      .catch(() => undefined);
    await client.chat
      .postMessage({ channel: "C1", text: "hi", token: "xoxb-1-2-leakedtoken" })
      .catch(() => undefined);
    const text = captured.text();
    expect(text).toContain("http request body");
    expect(text).not.toContain(secret);
    expect(text).not.toContain("leakedtoken");
  });
});
