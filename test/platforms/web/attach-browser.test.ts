/**
 * Attaching files in the web chat page, in a real browser (the machine's Chromium, driven by
 * playwright-core) against the real core, sharp and the demo model, which reports what reached it.
 */
import { type Browser, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../../src/config.js";
import { chromiumPath, requires } from "../../support/binaries.js";
import { CHROMIUM_ARGS } from "../../support/chromium.js";
import { startTestCore, type TestCore } from "../../support/core.js";
import { pngImage } from "../../support/files.js";
import { startWebChat, type WebChatHarness } from "./harness.js";

const ENV = { WEB_CHAT: "on", MAX_ATTACHMENTS: "3", MAX_ATTACHMENT_BYTES: "102400" };

describe("attaching files in the web chat page", requires("chromium"), () => {
  let core: TestCore;
  let chat: WebChatHarness;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    core = await startTestCore({ env: ENV });
    chat = await startWebChat({
      conversation: core.conversation,
      store: core.store,
      env: loadConfig(ENV).env,
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

  async function lastAnswer(): Promise<string> {
    const done = page.locator(".msg.bot[data-state=done] .bubble");
    await expect.poll(() => done.count(), { timeout: 20_000 }).toBeGreaterThan(0);
    return (await done.last().textContent()) ?? "";
  }

  it("sends a screenshot and a log chosen with the attach button, and the model receives both", async () => {
    await page.locator("#attach").waitFor();
    await page.locator("#file").setInputFiles([
      { name: "screen.png", mimeType: "image/png", buffer: Buffer.from(await pngImage(40, 30)) },
      { name: "app.log", mimeType: "text/plain", buffer: Buffer.from("ERROR E42 payment declined\n") },
    ]);
    await expect
      .poll(() => page.locator("#chips .chip").allTextContents())
      .toEqual([expect.stringMatching(/^screen\.png \(\d+ bytes\)×$/), "app.log (27 bytes)×"]);
    await page.locator("#input").fill("Why does checkout fail?");
    await expect.poll(() => page.locator("#send").isEnabled()).toBe(true);
    await page.locator("#input").press("Enter");

    await expect
      .poll(() => page.locator(".msg.user .bubble").last().textContent())
      .toBe("Why does checkout fail?\n📎 screen.png\n📎 app.log");
    expect(await page.locator("#chips .chip").count()).toBe(0);
    const answer = await lastAnswer();
    expect(answer).toContain("what reached me with your message (2 files)");
    expect(answer).toMatch(/screen\.png \(image\/png, 40x30, [\d.]+ (bytes|KB)\): came as an image/);
    expect(answer).toContain("app.log (text/plain, 1 line, 27 bytes): came as 27 characters of text");
    const request = core.llm.requests.findLast((r) => JSON.stringify(r).includes("Why does checkout fail?"));
    expect(JSON.stringify(request)).toContain('"type":"image_url"');
  });

  it("takes files dropped on the page, and says which one was too large to read", async () => {
    const answers = await page.locator(".msg.bot[data-state=done]").count();
    await page.evaluate(() => {
      const dt = new DataTransfer();
      dt.items.add(new File(["id,total\n1,99\n"], "orders.csv", { type: "text/csv" }));
      dt.items.add(new File([new Uint8Array(200_000)], "backup.zip", { type: "application/zip" }));
      document.body.dispatchEvent(
        new DragEvent("drop", { dataTransfer: dt, bubbles: true, cancelable: true }),
      );
    });
    await expect
      .poll(() => page.locator("#chips .chip.too-big").textContent())
      .toContain("too large to send");
    await expect.poll(() => page.locator("#send").isEnabled()).toBe(true);
    await page.locator("#send").click();
    await expect
      .poll(() => page.locator(".msg.bot[data-state=done]").count(), { timeout: 20_000 })
      .toBe(answers + 1);
    const answer = await lastAnswer();
    expect(answer).toContain("orders.csv (text/csv, 2 lines, 14 bytes): came as 14 characters of text");
    expect(answer).toContain("Couldn't read backup.zip: it is larger than the 100 KB limit.");
  });
});
