/**
 * Plain HTML help articles (an export from another help-center tool): the title from <title>
 * (else the first <h1>), the public URL from <link rel="canonical">, and the text split into
 * sections at <h2>..<h6> like Markdown. htmlparser2 is a small, forgiving streaming parser: we
 * need text and headings only, not a DOM. Scripts, styles and page chrome (nav, header,
 * footer) are not article text.
 */
import { Parser } from "htmlparser2";
import { SectionCollector, type SplitArticle } from "./markdown.js";

export interface HtmlArticle extends SplitArticle {
  canonicalUrl?: string;
}

const SKIPPED = new Set(["script", "style", "noscript", "nav", "header", "footer", "template", "svg"]);
const BLOCKS = new Set(["p", "div", "li", "ul", "ol", "br", "tr", "table", "section", "article", "dd", "dt"]);
const HEADING = /^h([1-6])$/;

export function parseHtml(html: string): HtmlArticle {
  const out = new SectionCollector();
  let docTitle: string | undefined;
  let canonicalUrl: string | undefined;
  let skipDepth = 0;
  let inTitle = false;
  let headingLevel = 0;
  let headingText = "";
  let titleText = "";
  let text = "";

  const flush = () => {
    out.addText(
      text
        .split("\n")
        .map((line) => line.replace(/[ \t\u00a0]+/g, " ").trim())
        .filter((line, i, all) => line !== "" || (i > 0 && all[i - 1] !== ""))
        .join("\n"),
    );
    text = "";
  };

  const parser = new Parser(
    {
      onopentag(name, attrs) {
        if (SKIPPED.has(name)) {
          skipDepth++;
          return;
        }
        if (skipDepth > 0) return;
        if (name === "title") inTitle = true;
        if (name === "link" && attrs.rel?.toLowerCase() === "canonical" && attrs.href)
          canonicalUrl = attrs.href;
        const heading = HEADING.exec(name);
        if (heading) {
          headingLevel = Number(heading[1]);
          headingText = "";
        }
        if (name === "li") text += "\n- ";
        else if (BLOCKS.has(name)) text += "\n";
      },
      ontext(data) {
        if (skipDepth > 0) return;
        if (inTitle) titleText += data;
        else if (headingLevel > 0) headingText += data;
        else text += data.replace(/\s+/g, " ");
      },
      onclosetag(name) {
        if (SKIPPED.has(name)) {
          skipDepth = Math.max(0, skipDepth - 1);
          return;
        }
        if (skipDepth > 0) return;
        if (name === "title") {
          inTitle = false;
          docTitle = clean(titleText) || undefined;
        }
        const heading = HEADING.exec(name);
        if (heading && headingLevel > 0) {
          const level = headingLevel;
          const label = clean(headingText);
          headingLevel = 0;
          flush();
          if (label !== "") out.heading(level, label);
        } else if (BLOCKS.has(name) && name !== "li") {
          text += "\n";
        }
      },
    },
    { decodeEntities: true },
  );
  parser.write(html);
  parser.end();
  flush();
  const { title: firstH1, sections } = out.result();
  const title = docTitle ?? firstH1;
  return {
    ...(title !== undefined ? { title } : {}),
    ...(canonicalUrl !== undefined ? { canonicalUrl } : {}),
    sections,
  };
}

function clean(s: string): string {
  return s.replace(/\s+/g, " ").trim();
}
