import { describe, expect, it } from "vitest";
import { MARKDOWN_SCRIPT } from "../../../src/platforms/web/markdown-script.js";

// The renderer is browser source; evaluate it here to test it without a browser.
const renderMarkdown = new Function(`${MARKDOWN_SCRIPT}; return renderMarkdown;`)() as (
  text: string,
) => string;

describe("the chat page's markdown renderer", () => {
  it("shows HTML in an answer as text, never as markup", () => {
    const html = renderMarkdown('Hi <script>alert(1)</script> <img src=x onerror="alert(2)">');
    expect(html).not.toContain("<script");
    expect(html).not.toContain("<img");
    expect(html).toContain("&lt;script&gt;alert(1)&lt;/script&gt;");
  });

  it("renders bold, italics, inline code and line breaks", () => {
    expect(renderMarkdown("**Order 1042** is *on its way*, see `track_order`\nnext line")).toBe(
      "<p><strong>Order 1042</strong> is <em>on its way</em>, see <code>track_order</code><br>next line</p>",
    );
  });

  it("keeps underscores in names and markup inside code as they are", () => {
    expect(renderMarkdown("call get_weather_now and `**not bold** <b>`")).toBe(
      "<p>call get_weather_now and <code>**not bold** &lt;b&gt;</code></p>",
    );
  });

  it("renders fenced code blocks escaped, also while the closing fence has not arrived yet", () => {
    expect(renderMarkdown("Try:\n```js\nif (a < b) x();\n```\nDone")).toBe(
      '<p>Try:</p><pre data-lang="js"><code>if (a &lt; b) x();</code></pre><p>Done</p>',
    );
    expect(renderMarkdown("```\nstill streaming <b>")).toBe(
      "<pre><code>still streaming &lt;b&gt;</code></pre>",
    );
  });

  it("renders bulleted and numbered lists", () => {
    expect(renderMarkdown("Options:\n- **Red**\n- Blue\n\n3. third\n4. fourth")).toBe(
      '<p>Options:</p><ul><li><strong>Red</strong></li><li>Blue</li></ul><ol start="3"><li>third</li><li>fourth</li></ol>',
    );
  });

  it("links only web and mail addresses, opening them in a new tab", () => {
    const html = renderMarkdown(
      "[docs](https://example.com/a?b=1&c=2) [bad](javascript:alert(1)) see https://example.org/x.",
    );
    expect(html).toContain(
      '<a href="https://example.com/a?b=1&amp;c=2" target="_blank" rel="noopener noreferrer">docs</a>',
    );
    expect(html).not.toContain('href="javascript');
    expect(html).toContain(
      '<a href="https://example.org/x" target="_blank" rel="noopener noreferrer">https://example.org/x</a>.',
    );
  });

  it("cannot be tricked into breaking out of a link attribute", () => {
    const html = renderMarkdown('[x](https://a.example/"onmouseover="alert(1))');
    expect(html).not.toMatch(/"\s*onmouseover=/);
  });

  it("renders headings, quotes and tables", () => {
    expect(renderMarkdown("## Forecast")).toBe("<h4>Forecast</h4>");
    expect(renderMarkdown("> quoted **text**")).toBe(
      "<blockquote><p>quoted <strong>text</strong></p></blockquote>",
    );
    expect(renderMarkdown("| Day | Max |\n|---|---:|\n| Mon | 21 °C |")).toBe(
      "<table><thead><tr><th>Day</th><th>Max</th></tr></thead><tbody><tr><td>Mon</td><td>21 °C</td></tr></tbody></table>",
    );
  });
});
