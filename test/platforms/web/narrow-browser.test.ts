/**
 * The web chat on a phone-sized screen, in a real browser (the machine's Chromium via
 * playwright-core, as in browser.test.ts): every button of the header and of the thumbs-down
 * reason box is on the screen, whole and on one line, not pushed off the right edge.
 */
import { type Browser, chromium, type Locator, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chromiumPath, requires } from "../../support/binaries.js";
import { CHROMIUM_ARGS } from "../../support/chromium.js";
import { startTestCore, type TestCore } from "../../support/core.js";
import { startWebChat, type WebChatHarness } from "./harness.js";

const WIDTH = 390;

/** Where the button is, and whether its label fits on one line (no wrapped words). */
async function placed(button: Locator): Promise<{ left: number; right: number; oneLine: boolean }> {
  return button.evaluate((el) => {
    const box = el.getBoundingClientRect();
    const style = getComputedStyle(el);
    const lineHeight = Number.parseFloat(style.lineHeight);
    const content = box.height - Number.parseFloat(style.paddingTop) - Number.parseFloat(style.paddingBottom);
    return { left: box.left, right: box.right, oneLine: content < lineHeight * 1.5 };
  });
}

describe("web chat on a phone-sized screen", requires("chromium"), () => {
  let core: TestCore;
  let chat: WebChatHarness;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    core = await startTestCore({ llm: { firstTokenDelayMs: 20, tokenIntervalMs: 2 }, feedback: true });
    chat = await startWebChat({
      conversation: core.conversation,
      store: core.store,
      env: core.env,
      feedback: core.feedback,
      handoffs: { request: async () => {} },
    });
    browser = await chromium.launch({ executablePath: chromiumPath(), args: CHROMIUM_ARGS });
    page = await browser.newPage({ viewport: { width: WIDTH, height: 760 } });
    await page.goto(`${chat.baseUrl}/`);
    await page.locator("#conn.online").waitFor();
  });

  afterAll(async () => {
    await browser?.close();
    await chat?.close();
    await core?.close();
  });

  it("shows every header button whole, on one line, within the screen", async () => {
    for (const id of ["#handoff", "#new-chat", "#forget"]) {
      const where = await placed(page.locator(id));
      expect({ id, ...where }).toMatchObject({ id, oneLine: true });
      expect(where.left).toBeGreaterThanOrEqual(0);
      expect(where.right).toBeLessThanOrEqual(WIDTH);
    }
  });

  it("keeps the thumbs-down reason box's buttons within the screen", async () => {
    await page.locator("#input").fill("Hello! What can you do?");
    await page.locator("#input").press("Enter");
    const answer = page.locator(".msg.bot[data-state=done]").first();
    await answer.waitFor({ timeout: 20_000 });
    await answer.getByRole("button", { name: "This answer did not help" }).click();
    const talk = answer.getByRole("button", { name: "Talk to a person" });
    await talk.waitFor();
    for (const button of [answer.getByRole("button", { name: "Send" }), talk]) {
      const where = await placed(button);
      expect(where.oneLine).toBe(true);
      expect(where.right).toBeLessThanOrEqual(WIDTH);
    }
    // The box opened in view: its last button is above the bottom of the scrolled log.
    const logBottom = await page.locator("#log").evaluate((el) => el.getBoundingClientRect().bottom);
    const talkBottom = await talk.evaluate((el) => el.getBoundingClientRect().bottom);
    expect(talkBottom).toBeLessThanOrEqual(logBottom);
  });
});
