/**
 * The page's side of server-issued sessions, in Chromium: it asks for a session before it
 * connects, and when the server no longer knows its session (a restart) it starts over with a
 * new one and says so, instead of retrying the dead one forever.
 */
import { type Browser, chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chromiumPath, requires } from "../../support/binaries.js";
import { CHROMIUM_ARGS } from "../../support/chromium.js";
import { makeConversation } from "../../support/conversation.js";
import { reply, ScriptedModel } from "../../support/scripted-model.js";
import { startWebChat, type WebChatHarness } from "./harness.js";

const STORAGE_KEY = "chatbot.web.session";
/** The shape of a session, signed with a key this server never had (as after a restart). */
const STALE = `${"A".repeat(22)}.${"B".repeat(22)}`;

describe("web chat sessions in the page", requires("chromium"), () => {
  let chat: WebChatHarness;
  let browser: Browser;

  beforeAll(async () => {
    const { conversation, store } = makeConversation({
      model: new ScriptedModel(() => reply("Hello there.", { gapMs: 1 })),
    });
    chat = await startWebChat({ conversation, store });
    browser = await chromium.launch({ executablePath: chromiumPath(), args: CHROMIUM_ARGS });
  });

  afterAll(async () => {
    await browser?.close();
    await chat?.close();
  });

  it("gets its session from the server and chats with it", async () => {
    const page = await browser.newPage();
    await page.goto(`${chat.baseUrl}/`);
    await page.locator("#conn.online").waitFor();
    const stored = await page.evaluate((key) => sessionStorage.getItem(key), STORAGE_KEY);
    expect(stored).toMatch(/^[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{22}$/);
    await page.locator("#input").fill("Hi");
    await page.locator("#input").press("Enter");
    await page.locator(".msg.bot[data-state=done]").waitFor();
    expect(await page.locator(".msg.bot .bubble").textContent()).toBe("Hello there.");
    await page.close();
  });

  it("starts a new conversation, and says so, when the server no longer knows its session", async () => {
    const page = await browser.newPage();
    await page.addInitScript(
      ({ key, stale }) => {
        if (!sessionStorage.getItem(key)) sessionStorage.setItem(key, stale);
      },
      { key: STORAGE_KEY, stale: STALE },
    );
    await page.goto(`${chat.baseUrl}/`);
    await page.locator(".notice", { hasText: "new conversation" }).waitFor({ timeout: 20_000 });
    await page.locator("#conn.online").waitFor();
    const stored = await page.evaluate((key) => sessionStorage.getItem(key), STORAGE_KEY);
    expect(stored).not.toBe(STALE);
    await page.locator("#input").fill("Hi again");
    await page.locator("#input").press("Enter");
    await page.locator(".msg.bot[data-state=done]").waitFor();
    await page.close();
  });
});
