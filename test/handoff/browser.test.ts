/**
 * The hand-off loop in a real browser (the machine's Chromium via playwright-core): a customer
 * presses "Talk to a person" in the web chat, a team member claims, replies and returns it on the
 * local team page, and each side sees the other.
 */
import { type Browser, chromium, type Page } from "playwright-core";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Store } from "../../src/core/ports.js";
import { silentLogger } from "../../src/log.js";
import { createWebChatAdapter } from "../../src/platforms/web/index.js";
import { createMemoryStore } from "../../src/store/memory/store.js";
import { chromiumPath, requires } from "../support/binaries.js";
import { CHROMIUM_ARGS } from "../support/chromium.js";
import { ScriptedModel } from "../support/scripted-model.js";
import { type Replica, startReplica, supportModelScript } from "./harness.js";

describe("hand-off in a browser: the chat's button and the team page", requires("chromium"), () => {
  let store: Store;
  let replica: Replica;
  let browser: Browser;
  let customer: Page;
  let team: Page;
  const teamErrors: string[] = [];

  // Each test is a fresh customer: on one machine every web chat session is the same person,
  // who may open one new hand-off a minute.
  beforeEach(async () => {
    teamErrors.length = 0;
    store = createMemoryStore({ log: silentLogger() });
    replica = await startReplica({
      store,
      model: new ScriptedModel((req) => supportModelScript(req)),
      env: { WEB_CHAT: "on" },
      extra: (deps) => [createWebChatAdapter(deps)],
    });
    browser = await chromium.launch({ executablePath: chromiumPath(), args: CHROMIUM_ARGS });
    customer = await browser.newPage();
    team = await browser.newPage();
    team.on("console", (m) => {
      if (m.type() === "error") teamErrors.push(m.text());
    });
    team.on("pageerror", (e) => teamErrors.push(e.message));
    await customer.goto(`http://127.0.0.1:${replica.port}/`);
    await customer.locator("#conn.online").waitFor();
  });

  afterEach(async () => {
    await browser?.close();
    replica?.http.server.closeAllConnections();
    await replica?.close();
    await store?.close();
  });

  const customerSees = (pattern: RegExp) =>
    expect
      .poll(
        async () =>
          (await customer.locator(".msg.bot .bubble").allTextContents()).some((t) => pattern.test(t)),
        {
          timeout: 20_000,
        },
      )
      .toBe(true);

  it("connects a customer and a team member through the button and the team page", async () => {
    await customer.locator("#input").fill("My blender is broken");
    await customer.locator("#input").press("Enter");
    await customer.locator(".msg.bot[data-state=done]").first().waitFor({ timeout: 20_000 });

    await customer.locator("#handoff").click();
    await customerSees(/person from our support team/);

    await team.goto(`http://127.0.0.1:${replica.port}/team`);
    const card = team.locator(".handoff").first();
    await card.waitFor({ timeout: 20_000 });
    await expect.poll(() => card.locator("h2").textContent()).toMatch(/web chat/);
    await team.locator("#name").fill("Tom");
    await team.locator("#name").dispatchEvent("change");
    await card.locator("button.claim").click();
    await customerSees(/Tom from the support team has joined/);

    await team.locator(".handoff form.reply input").fill("Hi, I'm Tom. Which order?");
    await team.locator(".handoff form.reply input").press("Enter");
    await customerSees(/Tom \(support team\): Hi, I'm Tom\. Which order\?/);

    await customer.locator("#input").fill("Order A-1001");
    await customer.locator("#input").press("Enter");
    await expect
      .poll(async () => (await team.locator(".handoff .line.customer").allTextContents()).join("\n"), {
        timeout: 20_000,
      })
      .toMatch(/Order A-1001/);

    await team.locator(".handoff button.return").click();
    await customerSees(/handed the conversation back to me/);
    await team.locator("#none").waitFor({ state: "visible", timeout: 20_000 });
    expect(await team.locator(".handoff").count()).toBe(0);
  });

  it("shows the team a reply sent with the Send button, a summary without markdown marks, and no errors", async () => {
    await customer.locator("#input").fill("My toaster is broken too");
    await customer.locator("#input").press("Enter");
    await customer.locator(".msg.bot[data-state=done]").first().waitFor({ timeout: 20_000 });
    await customer.locator("#handoff").click();
    await team.goto(`http://127.0.0.1:${replica.port}/team`);

    const card = team.locator(".handoff").first();
    await card.waitFor({ timeout: 20_000 });
    await expect.poll(() => card.locator(".summary").textContent(), { timeout: 20_000 }).toMatch(/Ana wants/);
    const summary = (await card.locator(".summary").textContent()) ?? "";
    expect(summary).toContain("Summary of the customer's conversation with the assistant");
    expect(summary).not.toContain("**");

    // A click (not Enter) leaves the focus on the Send button: the page must still redraw.
    await card.locator("form.reply input").fill("Which toaster model is it?");
    await card.locator("form.reply button.send").click();
    await customerSees(/\(support team\): Which toaster model is it\?/);
    await expect
      .poll(async () => (await team.locator(".handoff .line.team").allTextContents()).join("\n"), {
        timeout: 20_000,
      })
      .toMatch(/Which toaster model is it\?/);
    expect(await team.locator(".handoff form.reply input").inputValue()).toBe("");

    await team.locator(".handoff button.return").click();
    await team.locator("#none").waitFor({ state: "visible", timeout: 20_000 });
    expect(teamErrors).toEqual([]);
  });
});
