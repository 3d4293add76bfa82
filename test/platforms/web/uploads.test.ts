/**
 * Files posted with a web chat message reach the core as attachments (the real core, the demo
 * model, sharp), within the same limits as on the other platforms.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../../src/config.js";
import { startTestCore, type TestCore } from "../../support/core.js";
import { pngImage } from "../../support/files.js";
import { startWebChat, type WebChatHarness } from "./harness.js";
import { ended } from "./sse-client.js";

const MAX_BYTES = 4096;

describe("web chat uploads", () => {
  let core: TestCore;
  let chat: WebChatHarness;

  beforeAll(async () => {
    const env = { WEB_CHAT: "on", MAX_ATTACHMENTS: "2", MAX_ATTACHMENT_BYTES: String(MAX_BYTES) };
    core = await startTestCore({ env });
    chat = await startWebChat({
      conversation: core.conversation,
      store: core.store,
      env: loadConfig(env).env,
    });
  });
  afterAll(async () => {
    await chat?.close();
    await core?.close();
  });

  async function send(body: Record<string, unknown>) {
    const sessionId = await chat.session();
    const sse = await chat.listen(sessionId);
    const res = await chat.post("/api/messages", { sessionId, ...body });
    expect(res.status).toBe(202);
    await sse.until(ended(String(res.body.turnId)));
    return { sse, answer: String(sse.of("finalize").at(-1)?.data.text) };
  }

  it("answers a message of only files and shows them in the user's bubble", async () => {
    const png = Buffer.from(await pngImage(32, 24)).toString("base64");
    const { sse, answer } = await send({
      text: "",
      attachments: [
        { name: "screen.png", type: "image/png", size: 100, data: png },
        { name: "app.log", type: "text/plain", size: 9, data: Buffer.from("ERROR E42").toString("base64") },
      ],
    });
    expect(sse.of("user")[0]?.data.text).toBe("📎 screen.png\n📎 app.log");
    expect(answer).toContain("here is what reached me with your message (2 files)");
    expect(answer).toMatch(/`screen\.png` \(image\/png, 32x24, [\d.]+ (bytes|KB)\): came as an image/);
    expect(answer).toContain("`app.log` (text/plain, 1 line, 9 bytes): came as 9 characters of text");
  });

  it("says a file sent without its bytes (over the limit) was too large, and refuses files past the count", async () => {
    const small = Buffer.from("ok").toString("base64");
    const { answer } = await send({
      text: "see files",
      attachments: [
        { name: "huge.zip", size: 50_000_000 },
        { name: "a.txt", size: 2, data: small },
        { name: "b.txt", size: 2, data: small },
      ],
    });
    expect(answer).toContain("_Couldn't read `huge.zip`: it is larger than the 4 KB limit._");
    expect(answer).toContain("_Couldn't read `b.txt`: I read at most 2 files per message._");
  });

  it("refuses an empty message without files, and a body past the upload cap", async () => {
    const sessionId = await chat.session();
    const empty = await chat.post("/api/messages", { sessionId, text: " " });
    expect(empty.status).toBe(400);
    expect(String(empty.body.error)).toContain("text: the message is empty");
    const big = Buffer.alloc(10 * MAX_BYTES).toString("base64");
    const tooBig = await chat.post("/api/messages", {
      sessionId,
      text: "x",
      attachments: [1, 2, 3].map((i) => ({ name: `${i}.bin`, size: 10 * MAX_BYTES, data: big })),
    });
    expect(tooBig.status).toBe(413);
  });
});
