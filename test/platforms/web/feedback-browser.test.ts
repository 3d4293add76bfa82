/**
 * The web chat's thumbs in a real browser (the machine's Chromium via playwright-core, as in
 * browser.test.ts) against the real core and the demo LLM: buttons appear under a finished answer,
 * a click rates it, a second click changes it, a thumbs-down asks for a reason inline and offers
 * "Talk to a person".
 */
import { type Browser, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { FeedbackRecord } from "../../../src/core/feedback/types.js";
import type { HandoffRequest } from "../../../src/core/ports.js";
import { chromiumPath, requires } from "../../support/binaries.js";
import { CHROMIUM_ARGS } from "../../support/chromium.js";
import { startTestCore, type TestCore } from "../../support/core.js";
import { startWebChat, type WebChatHarness } from "./harness.js";

describe("web chat feedback in a browser", requires("chromium"), () => {
  let core: TestCore;
  let chat: WebChatHarness;
  let browser: Browser;
  let page: Page;
  const handoffs: HandoffRequest[] = [];

  const ratings = async (): Promise<FeedbackRecord[]> => {
    const out: FeedbackRecord[] = [];
    for await (const r of core.store.feedback.all()) out.push(r);
    return out;
  };

  beforeAll(async () => {
    core = await startTestCore({ llm: { firstTokenDelayMs: 20, tokenIntervalMs: 2 }, feedback: true });
    chat = await startWebChat({
      conversation: core.conversation,
      store: core.store,
      env: core.env,
      feedback: core.feedback,
      handoffs: { request: async (req) => void handoffs.push(req) },
    });
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

  it("shows thumbs under a finished answer, stores a click and changes it on a second click", async () => {
    await page.locator("#input").fill("Hello! What can you do?");
    await page.locator("#input").press("Enter");
    const answer = page.locator(".msg.bot[data-state=done]").first();
    await answer.waitFor({ timeout: 20_000 });
    const up = answer.getByRole("button", { name: "This answer helped" });
    const down = answer.getByRole("button", { name: "This answer did not help" });
    await up.click();
    await expect.poll(() => up.getAttribute("aria-pressed")).toBe("true");
    expect(await down.getAttribute("aria-pressed")).toBe("false");
    await expect.poll(async () => (await ratings()).map((r) => r.rating)).toEqual(["up"]);
    const [record] = await ratings();
    expect(record?.question).toBe("Hello! What can you do?");
    expect(record?.answer).toContain("offline demo model");

    await down.click();
    await expect.poll(() => down.getAttribute("aria-pressed")).toBe("true");
    expect(await up.getAttribute("aria-pressed")).toBe("false");
    await expect.poll(async () => (await ratings()).map((r) => r.rating)).toEqual(["down"]);
  });

  it("takes a reason after a thumbs-down and offers to talk to a person", async () => {
    const answer = page.locator(".msg.bot[data-state=done]").first();
    const field = answer.getByRole("textbox", { name: "What was wrong or missing?" });
    await field.fill("I wanted to know about returns.");
    await answer.getByRole("button", { name: "Send" }).click();
    await answer.getByText("Thanks for telling us.").waitFor();
    await expect.poll(async () => (await ratings())[0]?.reason).toBe("I wanted to know about returns.");

    await answer.getByRole("button", { name: "Talk to a person" }).click();
    await expect.poll(() => handoffs.length).toBe(1);
    expect(handoffs[0]).toMatchObject({
      conversation: { platform: "web" },
      reason: "answer was not helpful: I wanted to know about returns.",
      trigger: "button",
    });
  });

  it("still shows the chosen thumb pressed after the page is reloaded", async () => {
    await page.locator("#input").fill("Hello again");
    await page.locator("#input").press("Enter");
    const second = page.locator(".msg.bot[data-state=done]").nth(1);
    await second.waitFor({ timeout: 20_000 });
    const up = second.getByRole("button", { name: "This answer helped" });
    await up.click();
    await expect.poll(() => up.getAttribute("aria-pressed")).toBe("true");

    await page.reload();
    await page.locator("#conn.online").waitFor();
    const first = page.locator(".msg.bot[data-state=done]").first();
    const again = page.locator(".msg.bot[data-state=done]").nth(1);
    await again.waitFor({ timeout: 20_000 });
    await expect
      .poll(() => again.getByRole("button", { name: "This answer helped" }).getAttribute("aria-pressed"))
      .toBe("true");
    expect(
      await first.getByRole("button", { name: "This answer did not help" }).getAttribute("aria-pressed"),
    ).toBe("true");
  });
});
