/**
 * The chat page's markdown rendering, as browser JavaScript source (the page has no build step).
 * Parsing is marked's (GFM, single newlines as line breaks) and sanitizing DOMPurify's, both
 * served from node_modules by assets.ts and loaded before this runs (globals `marked` and
 * `DOMPurify`). What this adds is our policy:
 * - HTML in an answer is shown as text, never as markup (the model may quote HTML);
 * - links and images only with http(s) and mailto targets, opening in a new tab with
 *   rel="noopener noreferrer"; an image becomes a link to it (the page loads nothing remote);
 * - headings are two levels smaller (a `#` in an answer is a heading inside a chat bubble).
 * DOMPurify then removes anything that still slipped through (defence in depth).
 * Defines `escapeHtml(text)` and `renderMarkdown(text)`.
 *
 * Written without backticks or dollar-brace so it can live in a template string.
 */
export const MARKDOWN_SCRIPT = String.raw`
var SAFE_URL = /^(?:https?:|mailto:)/i;

function escapeHtml(text) {
  return String(text)
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&#39;");
}

function linkHtml(href, labelHtml) {
  return '<a href="' + escapeHtml(href) + '" target="_blank" rel="noopener noreferrer">' + labelHtml + "</a>";
}

var markdown = new marked.Marked({ gfm: true, breaks: true });
markdown.use({
  renderer: {
    html: function (token) {
      return escapeHtml(token.text);
    },
    heading: function (token) {
      var level = Math.min(6, token.depth + 2);
      return "<h" + level + ">" + this.parser.parseInline(token.tokens) + "</h" + level + ">\n";
    },
    link: function (token) {
      if (!SAFE_URL.test(token.href)) return escapeHtml(token.raw);
      return linkHtml(token.href, this.parser.parseInline(token.tokens));
    },
    image: function (token) {
      if (!SAFE_URL.test(token.href)) return escapeHtml(token.raw);
      return linkHtml(token.href, escapeHtml(token.text || token.href));
    },
  },
});

var PURIFY_OPTIONS = {
  // DOMPurify checks every attribute value against this, not only URLs: values without a
  // scheme (start="3", align="right") pass, of the schemes only http(s) and mailto do.
  ALLOWED_URI_REGEXP: /^(?:(?:https?|mailto):|[^a-z]|[a-z+.\-]+(?:[^a-z+.\-:]|$))/i,
  ADD_ATTR: ["target"],
  FORBID_TAGS: ["img", "style", "form", "button", "textarea", "select", "iframe", "svg", "math"],
};
DOMPurify.addHook("afterSanitizeAttributes", function (node) {
  if (node.tagName !== "A") return;
  if (node.hasAttribute("href")) {
    node.setAttribute("target", "_blank");
    node.setAttribute("rel", "noopener noreferrer");
  } else {
    node.removeAttribute("target");
  }
});

// Sanitized HTML of top-level blocks by their markdown source. While an answer streams, every
// edit re-renders the growing text; the blocks before the last one are unchanged, so only the
// last one is parsed and sanitized again (DOMPurify is by far the slowest step: ~50x marked's
// lexing for a long answer). Each cached block is a balanced fragment, so joining them is as safe
// as sanitizing the whole.
var BLOCK_CACHE_MAX = 2000;
var blockCache = new Map();

function renderBlock(tokens) {
  return DOMPurify.sanitize(markdown.parser(tokens), PURIFY_OPTIONS);
}

function renderMarkdown(source) {
  var tokens = markdown.lexer(String(source).replace(/\u0000/g, ""));
  // Reference-style links make a block's HTML depend on definitions elsewhere: render whole.
  if (Object.keys(tokens.links || {}).length > 0) return renderBlock(tokens).trim();
  var html = "";
  for (var i = 0; i < tokens.length; i++) {
    var key = tokens[i].raw;
    var block = blockCache.get(key);
    if (block === undefined) {
      var one = [tokens[i]];
      one.links = tokens.links;
      block = renderBlock(one);
      if (blockCache.size >= BLOCK_CACHE_MAX) blockCache.clear();
      blockCache.set(key, block);
    }
    html += block;
  }
  // marked ends every block with a newline; the last one would be a stray text node.
  return html.trim();
}
`;
