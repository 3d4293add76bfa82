/**
 * `npm run docs:screenshot`: docs/images/web-chat-streaming.png, the README's picture of the web
 * chat. Starts the service (src/main.ts) with the offline demo model paced slowly, asks a product
 * question and lets its answer finish (a tool result read back), then asks about an order and
 * captures the page while that answer is still streaming in (Stop button showing). Needs Chromium
 * (CHROME_PATH, or /usr/bin/chromium); not part of `npm test`.
 */
import { statSync } from "node:fs";
import { chromium } from "playwright-core";
import { chromiumPath } from "../test/support/binaries.js";
import { CHROMIUM_ARGS } from "../test/support/chromium.js";
import { baseEnv, startService } from "../test/support/service-process.js";

const OUT = new URL("../docs/images/web-chat-streaming.png", import.meta.url).pathname;
/** Slow enough that an answer streams for several seconds: the capture happens well inside it. */
const TOKEN_INTERVAL_MS = 90;
/** Characters of the second answer shown before the capture. */
const SHOWN_CHARS = 90;

const lastAnswer = ".msg.bot:not(.thinking) .bubble";

const service = await startService(
  baseEnv({
    HOST: "127.0.0.1",
    WEB_CHAT: "on",
    DEMO_FIRST_TOKEN_MS: "400",
    DEMO_TOKEN_INTERVAL_MS: String(TOKEN_INTERVAL_MS),
  }),
);
try {
  const browser = await chromium.launch({ executablePath: chromiumPath(), args: CHROMIUM_ARGS });
  try {
    const page = await browser.newPage({ viewport: { width: 880, height: 620 }, deviceScaleFactor: 1 });
    await page.goto(`${service.url}/`);
    await page.locator("#conn.online").waitFor();

    await page.locator("#input").fill("Do you have wireless headphones under $100?");
    await page.locator("#input").press("Enter");
    await page.locator(lastAnswer).first().waitFor();
    await page.locator("#stop").waitFor({ state: "hidden", timeout: 120_000 });

    await page.locator("#input").fill("Where is my order 1042? My email is ana@example.com");
    await page.locator("#input").press("Enter");
    await page.waitForFunction(
      ([selector, chars]) => {
        const bubbles = document.querySelectorAll(selector as string);
        const stop = document.getElementById("stop");
        return (
          bubbles.length >= 2 && (bubbles[1]?.textContent ?? "").length >= (chars as number) && !stop?.hidden
        );
      },
      [lastAnswer, SHOWN_CHARS],
      { timeout: 120_000 },
    );
    await page.screenshot({ path: OUT });
    // The capture must show the answer mid-stream: it is still running now, so it was then.
    if (await page.locator("#stop").isHidden())
      throw new Error("the answer finished during the capture; slow it down");
    await page.locator("#stop").waitFor({ state: "hidden", timeout: 120_000 });
    process.stdout.write(`wrote ${OUT} (${Math.round(statSync(OUT).size / 1024)} KB)\n`);
  } finally {
    await browser.close();
  }
} finally {
  await service.stop("SIGTERM");
}
