/**
 * The chat page's markdown rendering (marked + DOMPurify + our policy, markdown-script.ts), run in
 * the real page in Chromium: the libraries come from our asset routes under the page's CSP, and
 * DOMPurify has a real DOM to sanitize with.
 */
import { type Browser, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MARKDOWN_SCRIPT } from "../../../src/platforms/web/markdown-script.js";
import { chromiumPath, requires } from "../../support/binaries.js";
import { CHROMIUM_ARGS } from "../../support/chromium.js";
import { makeConversation } from "../../support/conversation.js";
import { reply, ScriptedModel } from "../../support/scripted-model.js";
import { startWebChat, type WebChatHarness } from "./harness.js";

describe("the chat page's markdown renderer", requires("chromium"), () => {
  let chat: WebChatHarness;
  let browser: Browser;
  let page: Page;
  const errors: string[] = [];

  beforeAll(async () => {
    const { conversation, store } = makeConversation({ model: new ScriptedModel(() => reply("unused")) });
    chat = await startWebChat({ conversation, store });
    browser = await chromium.launch({ executablePath: chromiumPath(), args: CHROMIUM_ARGS });
    page = await browser.newPage();
    page.on("pageerror", (err) => errors.push(String(err)));
    page.on("console", (msg) => {
      if (msg.type() === "error") errors.push(msg.text());
    });
    await page.goto(`${chat.baseUrl}/`);
    await page.locator("#conn.online").waitFor();
    // The renderer lives inside the page's closure; this defines the same one, with the page's
    // libraries, where the test can call it.
    await page.evaluate(`${MARKDOWN_SCRIPT}\nwindow.renderForTest = renderMarkdown;`);
  });

  afterAll(async () => {
    await browser?.close();
    await chat?.close();
  });

  /** The HTML, without the newlines marked puts between block tags. */
  const render = async (text: string): Promise<string> => {
    const html = await page.evaluate(
      (source) => (window as unknown as { renderForTest: (s: string) => string }).renderForTest(source),
      text,
    );
    return html.replace(/>\n+</g, "><").trim();
  };

  it("loads its libraries from this server under the page's CSP, without errors", () => {
    expect(errors).toEqual([]);
  });

  it("shows HTML in an answer as text, never as markup", async () => {
    const html = await render('Hi <script>alert(1)</script> <img src=x onerror="alert(2)">');
    expect(html).not.toContain("<script");
    expect(html).not.toContain("<img");
    expect(html).toContain("&lt;script&gt;alert(1)&lt;/script&gt;");
  });

  it("renders bold, italics, inline code and line breaks", async () => {
    expect(await render("**Order 1042** is *on its way*, see `track_order`\nnext line")).toBe(
      "<p><strong>Order 1042</strong> is <em>on its way</em>, see <code>track_order</code><br>next line</p>",
    );
  });

  it("keeps underscores in names and markup inside code as they are", async () => {
    expect(await render("call get_weather_now and `**not bold** <b>`")).toBe(
      "<p>call get_weather_now and <code>**not bold** &lt;b&gt;</code></p>",
    );
  });

  it("renders fenced code blocks escaped, also while the closing fence has not arrived yet", async () => {
    expect(await render("Try:\n```js\nif (a < b) x();\n```\nDone")).toBe(
      '<p>Try:</p><pre><code class="language-js">if (a &lt; b) x();\n</code></pre><p>Done</p>',
    );
    expect(await render("```\nstill streaming <b>")).toBe(
      "<pre><code>still streaming &lt;b&gt;\n</code></pre>",
    );
  });

  it("renders bulleted and numbered lists", async () => {
    expect(await render("Options:\n- **Red**\n- Blue\n\n3. third\n4. fourth")).toBe(
      '<p>Options:</p><ul><li><strong>Red</strong></li><li>Blue</li></ul><ol start="3"><li>third</li><li>fourth</li></ol>',
    );
  });

  it("links only web and mail addresses, opening them in a new tab", async () => {
    const html = await render(
      "[docs](https://example.com/a?b=1&c=2) [bad](javascript:alert(1)) see https://example.org/x. or ana@example.com",
    );
    expect(html).toContain(
      '<a href="https://example.com/a?b=1&amp;c=2" target="_blank" rel="noopener noreferrer">docs</a>',
    );
    expect(html).not.toContain('href="javascript');
    expect(html).toContain(
      '<a href="https://example.org/x" target="_blank" rel="noopener noreferrer">https://example.org/x</a>.',
    );
    expect(html).toContain('<a href="mailto:ana@example.com" target="_blank" rel="noopener noreferrer">');
  });

  it("never makes a link or image to anything but http(s) and mailto, however it is spelled", async () => {
    const tricks = [
      "[a](JavaScript:alert(1))",
      "[b](  javascript:alert(1))",
      "[c](java&#115;cript:alert(1))",
      "<javascript:alert(1)>",
      "[d](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
      "![e](javascript:alert(1))",
      "[f](vbscript:msgbox(1))",
      "[g]: javascript:alert(1)\n\n[g]",
      "![tracker](https://evil.example/pixel.png)",
    ];
    for (const trick of tricks) {
      const html = await render(trick);
      const targets = [...html.matchAll(/\s(?:href|src)="([^"]*)"/g)].map((m) => m[1] ?? "");
      for (const target of targets) expect(target, trick).toMatch(/^(https?:|mailto:)/);
      expect(html, trick).not.toContain("<img");
    }
  });

  it("cannot be tricked into breaking out of a link attribute", async () => {
    const html = await render('[x](https://a.example/"onmouseover="alert(1))');
    expect(html).not.toMatch(/"\s*onmouseover=/);
  });

  it("renders headings, quotes and tables", async () => {
    expect(await render("## Forecast")).toBe("<h4>Forecast</h4>");
    expect(await render("> quoted **text**")).toBe(
      "<blockquote><p>quoted <strong>text</strong></p></blockquote>",
    );
    expect(await render("| Day | Max |\n|---|---:|\n| Mon | 21 °C |")).toBe(
      '<table><thead><tr><th>Day</th><th align="right">Max</th></tr></thead><tbody><tr><td>Mon</td><td align="right">21 °C</td></tr></tbody></table>',
    );
  });
});
