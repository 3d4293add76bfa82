import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { createLogger } from "../src/log.js";

function capture() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _enc, done) {
      lines.push(String(chunk));
      done();
    },
  });
  return { lines, destination };
}

describe("logging", () => {
  it("never writes tokens, keys, signatures or authorization headers", () => {
    const { lines, destination } = capture();
    const log = createLogger({ level: "info", format: "json", destination });
    log.info(
      { env: { OPENAI_API_KEY: "sk-secret-1", SLACK_BOT_TOKEN: "xoxb-secret-2", PORT: 3000 } },
      "config",
    );
    log.info(
      { req: { headers: { authorization: "Bearer secret-3", "x-slack-signature": "v0=secret-4" } } },
      "request",
    );
    log.error({ err: { token: "secret-5", apiKey: "secret-6" } }, "sdk error");
    const text = lines.join("");
    for (const secret of ["sk-secret-1", "xoxb-secret-2", "secret-3", "secret-4", "secret-5", "secret-6"]) {
      expect(text).not.toContain(secret);
    }
    expect(text).toContain("[redacted]");
    expect(text).toContain('"PORT":3000');
  });

  it("writes message text only at debug level", () => {
    const { lines, destination } = capture();
    const log = createLogger({ level: "info", format: "json", destination });
    log.debug({ text: "my private question" }, "message received");
    log.info({ turnId: "web:1", outcome: "answered" }, "turn finished");
    expect(lines.join("")).not.toContain("my private question");
    expect(lines.join("")).toContain("turn finished");
  });
});
