/**
 * The web chat in a real browser (the machine's Chromium, found by test/support/binaries.ts, driven
 * by playwright-core; never a downloaded browser) against the real core, the demo LLM and the fake Open-Meteo.
 */
import { type Browser, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chromiumPath, requires } from "../../support/binaries.js";
import { CHROMIUM_ARGS } from "../../support/chromium.js";
import { startTestCore, type TestCore } from "../../support/core.js";
import { startWebChat, type WebChatHarness } from "./harness.js";

/** Records, in the page, every text the last answer bubble and the status line showed. */
function watchAnswers(page: Page): Promise<void> {
  return page.evaluate(() => {
    const seen = { answers: [] as string[], statuses: [] as string[] };
    (window as unknown as { seen: typeof seen }).seen = seen;
    const log = document.getElementById("log");
    if (!log) throw new Error("no #log");
    new MutationObserver(() => {
      const bubbles = log.querySelectorAll(".msg.bot:not(.thinking) .bubble");
      const last = bubbles[bubbles.length - 1]?.textContent ?? "";
      if (last !== "" && last !== seen.answers[seen.answers.length - 1]) seen.answers.push(last);
      for (const el of log.querySelectorAll(".status-text, .meta")) {
        const text = el.textContent ?? "";
        if (text !== "" && !seen.statuses.includes(text)) seen.statuses.push(text);
      }
    }).observe(log, { childList: true, subtree: true, characterData: true });
  });
}

function seen(page: Page): Promise<{ answers: string[]; statuses: string[] }> {
  return page.evaluate(() => (window as unknown as { seen: { answers: string[]; statuses: string[] } }).seen);
}

describe("web chat in a browser", requires("chromium"), () => {
  let core: TestCore;
  let chat: WebChatHarness;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    // Paced like a fast real model so the answer visibly streams over several edits (the web
    // sink edits at most every 50 ms).
    core = await startTestCore({ llm: { firstTokenDelayMs: 50, tokenIntervalMs: 5 } });
    chat = await startWebChat({ conversation: core.conversation, store: core.store, env: core.env });
    browser = await chromium.launch({ executablePath: chromiumPath(), args: CHROMIUM_ARGS });
    page = await browser.newPage({ viewport: { width: 1000, height: 800 } });
    await page.goto(`${chat.baseUrl}/`);
    await page.locator("#conn.online").waitFor();
  });

  afterAll(async () => {
    await browser?.close();
    await chat?.close();
    await core?.close();
  });

  it("streams an answer into the page as it is written", async () => {
    await watchAnswers(page);
    await page.locator("#input").fill("Hello! What can you do?");
    await page.locator("#input").press("Enter");
    await expect
      .poll(() => page.locator(".msg.user .bubble").last().textContent())
      .toBe("Hello! What can you do?");
    await page.locator(".msg.bot[data-state=done]").first().waitFor({ timeout: 20_000 });

    const { answers } = await seen(page);
    const final = answers[answers.length - 1] ?? "";
    expect(final).toContain("offline demo model");
    // More than one edit reached the screen, each one growing the same answer.
    expect(answers.length).toBeGreaterThan(2);
    for (const partial of answers.slice(0, -1)) expect(final.startsWith(partial.slice(0, 20))).toBe(true);
    await expect.poll(() => page.locator("#send").isVisible()).toBe(true);
    expect(await page.locator("#stop").isVisible()).toBe(false);
  });

  it("shows the weather tool's status and its result in the answer", async () => {
    await watchAnswers(page);
    await page.locator("#input").fill("What's the weather in Paris?");
    await page.locator("#send").click();
    await page.locator(".msg.bot[data-state=done]").nth(1).waitFor({ timeout: 20_000 });

    const answer = ((await page.locator(".msg.bot .bubble").last().textContent()) ?? "").toLowerCase();
    expect(answer).toContain("paris");
    // The fake Open-Meteo's current temperature for Paris (latitude 48.85): 28 - 0.4 * 48.85.
    expect(answer).toContain("8.5");
    expect((await seen(page)).statuses.join(" | ").toLowerCase()).toContain("checking the weather");
    expect(core.meteo.count("forecast")).toBeGreaterThan(0);
  });

  it("keeps the answer coming after the connection to the server drops", async () => {
    const first = await page.locator(".msg.bot .bubble").first().textContent();
    await page.locator("#input").fill("Hello! What can you do?");
    await page.locator("#input").press("Enter");
    await page.locator(".msg.bot").nth(2).waitFor();
    // Cut every open socket: the page's event stream included.
    chat.http.server.closeAllConnections();
    await page.locator(".msg.bot[data-state=done]").nth(2).waitFor({ timeout: 20_000 });
    expect(await page.locator(".msg.bot .bubble").nth(2).textContent()).toBe(first);
    await page.locator("#conn.online").waitFor();
    expect(await page.locator(".msg.bot").count()).toBe(3);
  });
});
