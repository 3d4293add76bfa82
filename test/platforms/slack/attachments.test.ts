/**
 * End to end through the Slack adapter, the core and the real OpenAI client: a screenshot and a
 * log file shared with the bot reach the model as OpenAI content parts. The adapter half (files
 * -> attachments, downloads with the token) is on this branch; reading attachments into model
 * input is the core half of issue 15. Until both are merged, this test is a todo.
 */
import { afterEach, describe, expect, it } from "vitest";
import { createTestModel, type DemoLlmServer, startFakeLlm } from "../../fakes/llm.js";
import { eventEnvelope, messageEvent } from "../../fakes/slack-events.js";
import { eventually, type Harness, startHarness } from "./harness.js";

let h: Harness | undefined;
let llmServer: DemoLlmServer | undefined;
afterEach(async () => {
  await h?.close();
  await llmServer?.close();
  h = undefined;
  llmServer = undefined;
});

/** A 1x1 PNG. */
const PNG = Buffer.from(
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==",
  "base64",
);
const LOG = "2026-12-01 10:00:01 ERROR payment gateway timeout (order A-1001)\n";

interface ContentPart {
  type: string;
  text?: string;
  image_url?: { url: string };
}

describe("attachments from Slack reach the model", () => {
  it.todo("sends a shared screenshot as an image part and a log file as a text part", async () => {
    llmServer = await startFakeLlm();
    const { model } = createTestModel(llmServer.url);
    h = await startHarness({ model, setup: (f) => f.addChannel({ id: "D1", name: "dm", type: "im" }) });
    const files = [
      h.fake.files.add({ name: "screenshot.png", mimetype: "image/png", bytes: PNG }),
      h.fake.files.add({ name: "server.log", mimetype: "text/plain", bytes: Buffer.from(LOG) }),
    ];
    const ts = h.fake.nextTs();
    await h.delivery.event(
      eventEnvelope({
        ...messageEvent({
          channel: "D1",
          channelType: "im",
          user: "U1",
          text: "why?",
          ts,
          subtype: "file_share",
        }),
        files,
      }),
    );
    await eventually(() => h?.fake.botMessages("D1")[0]);
    await h.adapter.idle();
    const request = llmServer.requests.at(-1);
    const user = request?.messages.at(-1) as { role: string; content: ContentPart[] | string };
    expect(user.role).toBe("user");
    expect(Array.isArray(user.content)).toBe(true);
    const parts = user.content as ContentPart[];
    const image = parts.find((p) => p.type === "image_url");
    expect(image?.image_url?.url).toMatch(/^data:image\/png;base64,/);
    const text = parts
      .filter((p) => p.type === "text")
      .map((p) => p.text)
      .join("\n");
    expect(text).toContain("why?");
    expect(text).toContain("payment gateway timeout");
    expect(text).toContain("server.log");
  });
});
