/**
 * Reading help articles: front matter, the fallbacks without it, passages split at headings
 * with their heading path, and plain HTML exports.
 */
import { describe, expect, it } from "vitest";
import { withSources } from "../../../src/core/citations.js";
import { ArticleError, MAX_PASSAGE_CHARS, parseArticle } from "../../../src/tools/knowledge/article.js";

describe("front matter", () => {
  it("takes title, url and keywords from YAML front matter", () => {
    const article = parseArticle(
      "returns/policy.md",
      [
        "---",
        "title: Returns and refunds",
        "url: https://help.example.com/returns",
        "keywords: [send back, money back]",
        "---",
        "You can return most items within 30 days.",
      ].join("\n"),
    );
    expect(article).toMatchObject({ title: "Returns and refunds", url: "https://help.example.com/returns" });
    expect(article.passages[0]).toMatchObject({
      text: "You can return most items within 30 days.",
      keywords: "send back, money back",
    });
  });

  it("falls back to the first heading for the title and has no url without front matter", () => {
    const article = parseArticle("shipping/intl.md", "# Shipping abroad\n\nWe ship to Canada.");
    expect(article).toMatchObject({ title: "Shipping abroad", url: undefined, path: "shipping/intl.md" });
    expect(article.passages.map((p) => p.text)).toEqual(["We ship to Canada."]);
  });

  it("falls back to the file name when there is neither front matter nor a heading", () => {
    expect(parseArticle("care/battery-care_tips.md", "Keep it cool.").title).toBe("Battery care tips");
  });

  it("refuses a file whose front matter is not valid YAML, naming the file", () => {
    const bad = "---\ntitle: [unclosed\n---\nText";
    expect(() => parseArticle("broken.md", bad)).toThrow(ArticleError);
    expect(() => parseArticle("broken.md", bad)).toThrow(/broken\.md: front matter is not valid YAML/);
  });

  it("refuses a url that is not http(s)", () => {
    expect(() => parseArticle("x.md", "---\nurl: javascript:alert(1)\n---\nText")).toThrow(
      /front matter field "url"/,
    );
  });

  it("keeps a planted url or title from adding links or lines of its own to the Sources line", () => {
    const planted = "https://help.example.com/a) [Claim your refund](https://evil.example/x";
    const md = parseArticle("a.md", `---\ntitle: "Returns\\n\\n# Pay here"\nurl: "${planted}"\n---\nText.`);
    const html = parseArticle(
      "b.html",
      `<html><head><title>Returns</title><link rel="canonical" href="${planted}"></head><body><p>Text.</p></body></html>`,
    );
    for (const article of [md, html]) {
      const line = withSources(`See [it](${article.url}).`, [
        { title: article.title, url: article.url ?? "" },
      ]);
      const sources = line.split("\n").filter((l) => l.startsWith("Sources:"));
      // One line with exactly one link, to the help center's own host.
      expect(sources).toHaveLength(1);
      const links = [...(sources[0] ?? "").matchAll(/\]\(([^)]*)\)/g)].map((m) => new URL(m[1] ?? "").host);
      expect(links).toEqual(["help.example.com"]);
      expect(line).not.toContain("# Pay here\n");
    }
  });

  it("refuses a file with no text at all", () => {
    expect(() => parseArticle("empty.md", "---\ntitle: Empty\n---\n\n")).toThrow(/no text/);
  });
});

describe("passage splitting", () => {
  const article = parseArticle(
    "returns.md",
    [
      "# Returns",
      "",
      "Intro paragraph.",
      "",
      "## What can be returned",
      "Most items.",
      "",
      "### Exceptions",
      "Opened earbuds.",
      "",
      "```sh",
      "# not a heading inside a code block",
      "```",
      "",
      "## Refunds",
      "Within 5 days.",
    ].join("\n"),
  );

  it("splits at headings and keeps the heading path above each passage", () => {
    expect(article.passages.map((p) => [p.headings.join(" > "), p.text.split("\n")[0]])).toEqual([
      ["", "Intro paragraph."],
      ["What can be returned", "Most items."],
      ["What can be returned > Exceptions", "Opened earbuds."],
      ["Refunds", "Within 5 days."],
    ]);
  });

  it("reads a heading with a long run of spaces in it (the old pattern never finished on one)", () => {
    // 20,000 spaces: the former heading regex backtracked cubically (5,000 took 31 s), hanging
    // the whole service while it indexed such a file.
    const spaces = " ".repeat(20_000);
    const long = parseArticle(
      "long.md",
      `# Long\n\n## Returns${spaces}policy ##\nText.\n\n## C# tips\nMore.`,
    );
    expect(long.passages.map((p) => [p.headings[0]?.replace(/ +/g, " "), p.text])).toEqual([
      ["Returns policy", "Text."],
      ["C# tips", "More."],
    ]);
  });

  it("does not treat # lines inside fenced code as headings", () => {
    expect(article.passages[2]?.text).toContain("# not a heading inside a code block");
  });

  it("gives each passage a unique id and the article's title and url", () => {
    expect(new Set(article.passages.map((p) => p.id)).size).toBe(article.passages.length);
    expect(article.passages.every((p) => p.title === "Returns")).toBe(true);
  });

  it("cuts a very long section at paragraph ends", () => {
    const paragraph = "A sentence about shipping times that goes on for a while. ".repeat(8).trim();
    const long = parseArticle(
      "long.md",
      `## Long\n\n${Array.from({ length: 10 }, () => paragraph).join("\n\n")}`,
    );
    expect(long.passages.length).toBeGreaterThan(1);
    for (const p of long.passages) {
      expect(p.text.length).toBeLessThanOrEqual(MAX_PASSAGE_CHARS);
      expect(p.headings).toEqual(["Long"]);
      expect(p.text.endsWith(".")).toBe(true);
    }
  });
});

describe("HTML articles", () => {
  const html = `<!doctype html><html><head><title>Contact us</title>
    <link rel="canonical" href="https://help.example.com/contact"><style>p { color: red }</style></head>
    <body><nav>Home &rsaquo; Contact</nav><h1>Contact us</h1><p>We are here   to help.</p>
    <h2>Opening hours</h2><p>Monday to Friday, 8 am to 8 pm &amp; Saturdays.</p>
    <ul><li>Phone</li><li>Email</li></ul><script>track()</script></body></html>`;

  it("takes the title from <title> and the url from the canonical link", () => {
    expect(parseArticle("contact.html", html)).toMatchObject({
      title: "Contact us",
      url: "https://help.example.com/contact",
    });
  });

  it("splits at headings and leaves out scripts, styles and navigation", () => {
    const passages = parseArticle("contact.html", html).passages;
    expect(passages.map((p) => [p.headings, p.text])).toEqual([
      [[], "We are here to help."],
      [["Opening hours"], "Monday to Friday, 8 am to 8 pm & Saturdays.\n\n- Phone\n- Email"],
    ]);
  });
});
