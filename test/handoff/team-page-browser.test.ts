/**
 * The local team page in a real browser (the machine's Chromium): the summary's Markdown is
 * rendered (a list is a list, no `- ` markers), anything unsafe in it is not, and the page follows
 * the system's dark mode like the chat page.
 */
import { type Browser, chromium } from "playwright-core";
import { afterEach, describe, expect, it } from "vitest";
import type { Store } from "../../src/core/ports.js";
import { silentLogger } from "../../src/log.js";
import { createWebChatAdapter } from "../../src/platforms/web/index.js";
import { createMemoryStore } from "../../src/store/memory/store.js";
import { ended, SseClient } from "../platforms/web/sse-client.js";
import { chromiumPath, requires } from "../support/binaries.js";
import { CHROMIUM_ARGS } from "../support/chromium.js";
import { reply, ScriptedModel } from "../support/scripted-model.js";
import { type Replica, startReplica, supportModelScript } from "./harness.js";

const SUMMARY = [
  "Ana wants:",
  "",
  "- a refund for order A-1002",
  "- to talk to a person",
  "",
  '<img src="x" onerror="window.pwned = 1">',
].join("\n");

let store: Store | undefined;
let replica: Replica | undefined;
let browser: Browser | undefined;
afterEach(async () => {
  await browser?.close();
  replica?.http.server.closeAllConnections();
  await replica?.close();
  await store?.close();
});

describe("the team page in a browser", requires("chromium"), () => {
  it("shows the summary's list as a list, without markers or unsafe markup, in dark mode when the system is dark", async () => {
    store = createMemoryStore({ log: silentLogger() });
    replica = await startReplica({
      store,
      model: new ScriptedModel((req) => {
        const system = req.messages[0];
        if (system?.role === "system" && system.content.startsWith("You summarize")) return reply(SUMMARY);
        return supportModelScript(req);
      }),
      env: { WEB_CHAT: "on" },
      extra: (deps) => [createWebChatAdapter(deps)],
    });
    const base = `http://127.0.0.1:${replica.port}`;
    const post = async (path: string, body: unknown) =>
      (await (
        await fetch(base + path, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify(body),
        })
      ).json()) as Record<string, unknown>;
    const { sessionId } = (await post("/api/sessions", {})) as { sessionId: string };
    // A summary needs a conversation: one message through the chat, then the button.
    const sse = await SseClient.connect(`${base}/api/events?session=${encodeURIComponent(sessionId)}`);
    try {
      await sse.until((events) => events.some((e) => e.event === "sync"));
      const turn = await post("/api/messages", { sessionId, text: "My order A-1002 never came" });
      await sse.until(ended(turn.turnId));
    } finally {
      sse.close();
    }
    await post("/api/handoff", { sessionId });
    await replica.service.idle();

    browser = await chromium.launch({ executablePath: chromiumPath(), args: CHROMIUM_ARGS });
    const team = await browser.newPage({ colorScheme: "dark" });
    const errors: string[] = [];
    team.on("pageerror", (e) => errors.push(e.message));
    await team.goto(`${base}/team`);
    const summary = team.locator(".handoff .summary").first();
    await summary.waitFor({ timeout: 20_000 });
    await expect.poll(() => summary.locator("li").count(), { timeout: 20_000 }).toBe(2);
    expect(await summary.locator("li").allTextContents()).toEqual([
      "a refund for order A-1002",
      "to talk to a person",
    ]);
    expect(await summary.textContent()).not.toMatch(/(^|\n)- /);
    expect(await summary.locator("img").count()).toBe(0);
    expect(await team.evaluate(() => (window as unknown as { pwned?: number }).pwned)).toBeUndefined();
    expect(await team.evaluate(() => getComputedStyle(document.body).backgroundColor)).toBe(
      "rgb(21, 24, 30)",
    );
    expect(errors).toEqual([]);
  });
});
