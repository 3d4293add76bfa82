/**
 * The chat page's markdown renderer, as browser JavaScript source (the page has no build step).
 * Safety rule: every piece of model text is HTML-escaped before any tag is added, and links only
 * get http(s) and mailto targets. Covers what answers use: paragraphs, headings, bold, italics,
 * inline code, fenced code blocks (an unclosed fence while streaming shows as code), lists,
 * quotes, simple tables and links. Defines `escapeHtml(text)` and `renderMarkdown(text)`.
 *
 * Written without backticks or dollar-brace so it can live in a template string: a backtick in a
 * regular expression is spelled \x60.
 */
export const MARKDOWN_SCRIPT = String.raw`
function escapeHtml(text) {
  return String(text)
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&#39;");
}

function renderInline(raw) {
  var slots = [];
  function keep(html) {
    slots.push(html);
    return "\u0000" + (slots.length - 1) + "\u0000";
  }
  function link(url, label) {
    return keep('<a href="' + url + '" target="_blank" rel="noopener noreferrer">' + label + "</a>");
  }
  var text = escapeHtml(raw);
  text = text.replace(/\x60([^\x60\n]+)\x60/g, function (_, code) {
    return keep("<code>" + code + "</code>");
  });
  text = text.replace(/\[([^\]\n]+)\]\(((?:https?:\/\/|mailto:)[^\s)]+)\)/g, function (_, label, url) {
    return link(url, label);
  });
  text = text.replace(/(^|[\s(;])(https?:\/\/[^\s<\u0000]+)/g, function (_, before, url) {
    var tail = "";
    var m = /((?:[.,;:!?)\]]|&quot;|&#39;)+)$/.exec(url);
    if (m) {
      tail = m[1];
      url = url.slice(0, url.length - tail.length);
    }
    return before + link(url, url) + tail;
  });
  text = text
    .replace(/\*\*(?=\S)([^*\n]*?\S)\*\*/g, "<strong>$1</strong>")
    .replace(/__(?=\S)([^_\n]*?\S)__/g, "<strong>$1</strong>")
    .replace(/(^|[^*\w])\*(?=\S)([^*\n]*?\S)\*(?![*\w])/g, "$1<em>$2</em>")
    .replace(/(^|[^_\w])_(?=\S)([^_\n]*?\S)_(?![_\w])/g, "$1<em>$2</em>")
    .replace(/~~(?=\S)([^~\n]*?\S)~~/g, "<del>$1</del>");
  return text.replace(/\u0000(\d+)\u0000/g, function (_, i) {
    return slots[Number(i)];
  });
}

function splitRow(line) {
  var cells = line.trim().replace(/^\|/, "").replace(/\|$/, "").split("|");
  return cells.map(function (cell) {
    return cell.trim();
  });
}

function renderMarkdown(source) {
  var lines = String(source).replace(/\u0000/g, "").replace(/\r\n?/g, "\n").split("\n");
  var out = [];
  var para = [];
  var list = null;

  function flushPara() {
    if (para.length) out.push("<p>" + para.map(renderInline).join("<br>") + "</p>");
    para = [];
  }
  function flushList() {
    if (!list) return;
    var items = list.items.map(function (item) {
      return "<li>" + item.split("\n").map(renderInline).join("<br>") + "</li>";
    });
    var start = list.tag === "ol" && list.start !== 1 ? ' start="' + list.start + '"' : "";
    out.push("<" + list.tag + start + ">" + items.join("") + "</" + list.tag + ">");
    list = null;
  }
  function flush() {
    flushPara();
    flushList();
  }

  for (var i = 0; i < lines.length; i++) {
    var line = lines[i];
    var m;
    if ((m = /^\s*\x60\x60\x60+\s*([\w+#.-]*)\s*$/.exec(line))) {
      flush();
      var code = [];
      for (i++; i < lines.length && !/^\s*\x60\x60\x60+\s*$/.test(lines[i]); i++) code.push(lines[i]);
      var lang = m[1] ? ' data-lang="' + escapeHtml(m[1]) + '"' : "";
      out.push("<pre" + lang + "><code>" + escapeHtml(code.join("\n")) + "</code></pre>");
      continue;
    }
    if (/^\s*$/.test(line)) {
      flush();
      continue;
    }
    if ((m = /^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$/.exec(line))) {
      flush();
      var level = Math.min(6, m[1].length + 2);
      out.push("<h" + level + ">" + renderInline(m[2]) + "</h" + level + ">");
      continue;
    }
    if (/^\s{0,3}([-*_])(\s*\1){2,}\s*$/.test(line)) {
      flush();
      out.push("<hr>");
      continue;
    }
    if (/^\s{0,3}>/.test(line)) {
      flush();
      var quoted = [];
      for (; i < lines.length && /^\s{0,3}>/.test(lines[i]); i++) quoted.push(lines[i].replace(/^\s{0,3}>\s?/, ""));
      i--;
      out.push("<blockquote>" + renderMarkdown(quoted.join("\n")) + "</blockquote>");
      continue;
    }
    if (line.indexOf("|") !== -1 && i + 1 < lines.length && /^\s*\|?\s*:?-+:?\s*(\|\s*:?-+:?\s*)*\|?\s*$/.test(lines[i + 1])) {
      flush();
      var head = splitRow(line);
      var rows = [];
      for (i += 2; i < lines.length && lines[i].indexOf("|") !== -1 && !/^\s*$/.test(lines[i]); i++) rows.push(splitRow(lines[i]));
      i--;
      var html = "<table><thead><tr>" + head.map(function (c) { return "<th>" + renderInline(c) + "</th>"; }).join("") + "</tr></thead><tbody>";
      rows.forEach(function (row) {
        html += "<tr>" + head.map(function (_, k) { return "<td>" + renderInline(row[k] || "") + "</td>"; }).join("") + "</tr>";
      });
      out.push(html + "</tbody></table>");
      continue;
    }
    var bullet = /^\s*[-*+]\s+(.*)$/.exec(line);
    var numbered = /^\s*(\d{1,9})[.)]\s+(.*)$/.exec(line);
    if (bullet || numbered) {
      flushPara();
      var tag = bullet ? "ul" : "ol";
      if (list && list.tag !== tag) flushList();
      if (!list) list = { tag: tag, items: [], start: numbered ? Number(numbered[1]) : 1 };
      list.items.push(bullet ? bullet[1] : numbered[2]);
      continue;
    }
    if (list && /^\s{2,}\S/.test(line)) {
      list.items[list.items.length - 1] += "\n" + line.trim();
      continue;
    }
    flushList();
    para.push(line);
  }
  flush();
  return out.join("");
}
`;
