/**
 * The web chat's "Forget me": `POST /api/forget` deletes every conversation the person had in
 * this chat (all their sessions) and nobody else's; in a real browser the button asks first.
 */
import { type Browser, chromium } from "playwright-core";
import { afterEach, describe, expect, it } from "vitest";
import type { Store } from "../../../src/core/ports.js";
import { threadKeyOf } from "../../../src/core/types.js";
import { chromiumPath, requires } from "../../support/binaries.js";
import { CHROMIUM_ARGS } from "../../support/chromium.js";
import { makeConversation, message } from "../../support/conversation.js";
import { RecordingSink } from "../../support/recording-sink.js";
import { reply, ScriptedModel } from "../../support/scripted-model.js";
import { startWebChat, type WebChatHarness } from "./harness.js";
import { ended } from "./sse-client.js";

let chat: WebChatHarness | undefined;
let store: Store | undefined;
let browser: Browser | undefined;
afterEach(async () => {
  await browser?.close();
  await chat?.close();
  await store?.close();
  browser = chat = store = undefined;
});

/** A web chat whose model answers "Sure."; someone on another machine has already talked to it. */
async function start() {
  const made = makeConversation({ model: new ScriptedModel(() => reply("Sure.")) });
  store = made.store;
  chat = await startWebChat({ conversation: made.conversation, store: made.store });
  const other = message({
    threadId: "someone-elses-session",
    userId: "10.0.0.9",
    text: "other person's question",
  });
  expect((await made.conversation.handle(other, new RecordingSink())).outcome).toBe("answered");
  return { chat, store: made.store, other };
}

/** The conversation of a session token (`<id>.<mac>`: the conversation is the id). */
const webThread = (sessionToken: string) =>
  threadKeyOf({
    platform: "web",
    workspaceId: "local",
    channelId: "web",
    threadId: sessionToken.split(".")[0]!,
  });

describe("Forget me in the web chat", () => {
  it("deletes every session's conversation of the person and leaves other people's", async () => {
    const { chat, store, other } = await start();
    const sessions = [await chat.session(), await chat.session()];
    for (const sessionId of sessions) {
      const sse = await chat.listen(sessionId);
      const sent = await chat.post("/api/messages", { sessionId, text: "my order is 1031" });
      await sse.until(ended(sent.body.turnId));
      expect(await store.threads.load(webThread(sessionId))).toHaveLength(1);
    }

    const res = await chat.post("/api/forget", { sessionId: sessions[0] });

    expect(res).toEqual({
      status: 200,
      body: {
        deleted: [{ kind: "conversations", count: 2 }],
        failed: [],
        text: "Deleted your data: 2 conversations.",
      },
    });
    for (const sessionId of sessions) expect(await store.threads.load(webThread(sessionId))).toEqual([]);
    expect(await store.threads.load(threadKeyOf(other))).toHaveLength(1);
  });

  it("refuses a request without a session the server issued", async () => {
    const { chat } = await start();
    expect((await chat.post("/api/forget", { sessionId: "made-up" })).status).toBe(400);
  });

  it(
    "asks before deleting, then starts a new chat and says what was deleted",
    requires("chromium"),
    async () => {
      const { chat, store } = await start();
      browser = await chromium.launch({ executablePath: chromiumPath(), args: CHROMIUM_ARGS });
      const page = await browser.newPage();
      await page.goto(`${chat.baseUrl}/`);
      await page.locator("#conn.online").waitFor();
      await page.locator("#input").fill("my email is ana@example.com");
      await page.locator("#input").press("Enter");
      await page.locator(".msg.bot[data-state=done]").first().waitFor({ timeout: 20_000 });
      const sessionId = await page.evaluate(() => sessionStorage.getItem("chatbot.web.session"));
      expect(await store.threads.load(webThread(String(sessionId)))).toHaveLength(1);

      await page.locator("#forget").click();
      await page.locator("#forget-confirm").waitFor();
      // Asking is not deleting: Cancel keeps everything.
      await page.locator("#forget-no").click();
      expect(await page.locator("#forget-confirm").isHidden()).toBe(true);
      expect(await store.threads.load(webThread(String(sessionId)))).toHaveLength(1);

      await page.locator("#forget").click();
      await page.locator("#forget-yes").click();
      await page.locator(".notice", { hasText: "Deleted your data: 1 conversation." }).waitFor();
      expect(await page.locator(".msg").count()).toBe(0);
      expect(await store.threads.load(webThread(String(sessionId)))).toEqual([]);
      await page.locator("#conn.online").waitFor();
      expect(await page.evaluate(() => sessionStorage.getItem("chatbot.web.session"))).not.toBe(sessionId);
    },
  );
});
