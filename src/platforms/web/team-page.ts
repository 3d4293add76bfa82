/**
 * The local team page (`GET /team`): open hand-offs from the web chat, each with who, why, the
 * conversation summary and what was said since; a person claims one, replies, and returns it to
 * the assistant. Plain DOM (all text through textContent; the summary, written in Markdown, goes
 * through the chat page's renderer: marked + DOMPurify, markdown-script.ts), polling the JSON API
 * every `POLL_MS`: a handful of people on one machine, so simple beats clever. Light and dark like
 * the chat page. No backticks or dollar-brace in the script.
 */
import { MARKDOWN_SCRIPT } from "./markdown-script.js";

const TEAM_SCRIPT = String.raw`
var POLL_MS = 1500;
var NAME_KEY = "chatbot.team.name";
var listEl = document.getElementById("handoffs");
var nameEl = document.getElementById("name");
var emptyEl = document.getElementById("none");
var drafts = {};
try { nameEl.value = localStorage.getItem(NAME_KEY) || ""; } catch (e) { /* private mode */ }
nameEl.addEventListener("change", function () {
  try { localStorage.setItem(NAME_KEY, nameEl.value.trim()); } catch (e) { /* private mode */ }
});

function who() { return nameEl.value.trim() || "Support"; }

function el(tag, className, text) {
  var node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

// The summary is written in Markdown (for Slack and Discord too): rendered and sanitized as the
// chat renders answers, so lists are lists and no marker shows.
function summaryOf(md) {
  var node = el("div", "summary md");
  node.innerHTML = renderMarkdown(md);
  return node;
}

function post(path, body) {
  return fetch(path, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  }).then(function (res) {
    if (!res.ok) return res.json().catch(function () { return {}; }).then(function (b) {
      alert("Not done: " + (b.error || "HTTP " + res.status));
    });
  }).then(refresh);
}

function render(items) {
  emptyEl.hidden = items.length > 0;
  listEl.textContent = "";
  items.forEach(function (h) {
    var card = el("section", "handoff");
    card.setAttribute("data-id", h.id);
    card.setAttribute("data-status", h.status);
    card.appendChild(el("h2", "", (h.userName || "A customer") + " \u2014 " + h.place));
    card.appendChild(el("div", "meta", "Reason: " + h.reason + " \u00b7 " +
      (h.status === "claimed" ? "claimed by " + h.claimedBy : "waiting for a person")));
    if (h.summary) card.appendChild(summaryOf(h.summary));
    if (h.note) card.appendChild(el("div", "note", h.note));
    var lines = el("div", "lines");
    h.lines.forEach(function (l) {
      lines.appendChild(el("div", "line " + l.from, (l.name || (l.from === "team" ? "Team" : "Customer")) + ": " + l.text));
    });
    card.appendChild(lines);
    var form = el("form", "reply");
    var input = el("input");
    input.placeholder = "Reply to the customer\u2026";
    input.value = drafts[h.id] || "";
    input.addEventListener("input", function () { drafts[h.id] = input.value; });
    form.appendChild(input);
    form.appendChild(el("button", "send", "Send"));
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var text = input.value.trim();
      if (!text) return;
      delete drafts[h.id];
      input.value = "";
      input.blur();
      post("team/api/reply", { id: h.id, name: who(), text: text });
    });
    card.appendChild(form);
    var actions = el("div", "actions");
    if (h.status === "open") {
      var claim = el("button", "claim", "Claim");
      claim.type = "button";
      claim.addEventListener("click", function () { post("team/api/claim", { id: h.id, name: who() }); });
      actions.appendChild(claim);
    }
    var ret = el("button", "return", "Return to assistant");
    ret.type = "button";
    ret.addEventListener("click", function () { post("team/api/return", { id: h.id, name: who() }); });
    actions.appendChild(ret);
    card.appendChild(actions);
    listEl.appendChild(card);
  });
}

function refresh() {
  // Do not redraw under someone typing a reply. Only the reply box counts: the Send button
  // keeps the focus after a click, and the page must still show the reply that was just sent.
  var active = document.activeElement;
  if (active && active.matches && active.matches("form.reply input")) return;
  fetch("team/api/handoffs").then(function (res) { return res.json(); }).then(function (body) {
    render(body.handoffs || []);
  }).catch(function () { /* the server restarts: the next poll catches up */ });
}

refresh();
setInterval(refresh, POLL_MS);
`;

/** The chat page's palette (page.ts), light and dark. */
const STYLE = `
:root {
  --bg: #f6f7f9; --panel: #ffffff; --text: #1d2330; --muted: #6b7384; --border: #e3e6ec;
  --accent: #3b5bdb; --code-bg: #f1f3f7; --notice-bg: #fff6e0; --notice-text: #7a5200;
  color-scheme: light dark;
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #15181e; --panel: #1d2129; --text: #e6e8ee; --muted: #9aa2b1; --border: #2c313c;
    --accent: #5c7cfa; --code-bg: #262b35; --notice-bg: #3a3020; --notice-text: #f3d28b;
  }
}
body { font: 15px/1.5 system-ui, sans-serif; margin: 0; background: var(--bg); color: var(--text); }
header { display: flex; gap: 12px; align-items: center; padding: 10px 20px; background: var(--panel); border-bottom: 1px solid var(--border); }
header h1 { font-size: 16px; margin: 0; flex: 1; }
main { max-width: 860px; margin: 0 auto; padding: 16px; }
.handoff { background: var(--panel); border: 1px solid var(--border); border-radius: 12px; padding: 12px 16px; margin-bottom: 14px; }
.handoff h2 { font-size: 15px; margin: 0 0 4px; }
.meta { color: var(--muted); font-size: 13px; }
.summary { background: var(--code-bg); border-radius: 8px; padding: 8px 12px; margin: 8px 0; }
.summary > :first-child { margin-top: 0; } .summary > :last-child { margin-bottom: 0; }
.summary ul, .summary ol { padding-left: 20px; }
.summary a { color: var(--accent); }
.note { background: var(--notice-bg); color: var(--notice-text); border-radius: 8px; padding: 6px 10px; margin: 8px 0; }
.line { margin: 2px 0; } .line.team { color: var(--accent); }
form.reply { display: flex; gap: 8px; margin: 8px 0; }
input { font: inherit; color: var(--text); background: var(--panel); border: 1px solid var(--border); border-radius: 8px; padding: 6px 8px; }
form.reply input { flex: 1; }
.actions { display: flex; gap: 8px; }
button { font: inherit; color: var(--text); border-radius: 8px; border: 1px solid var(--border); background: var(--panel); padding: 5px 12px; cursor: pointer; }
button:hover { border-color: var(--accent); }
`;

export function renderTeamPage(opts: { botName: string; nonce: string; scripts: string[] }): string {
  const esc = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  const name = esc(opts.botName);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<title>Team: hand-offs from ${name}</title>
<style>${STYLE}</style>
</head>
<body>
<header>
  <h1>Hand-offs from the ${name} web chat</h1>
  <label>Your name <input id="name" placeholder="Support" maxlength="60"></label>
</header>
<main>
  <p id="none">No open hand-offs. When a customer presses &ldquo;Talk to a person&rdquo; (or the assistant hands over), it shows up here.</p>
  <div id="handoffs"></div>
</main>
${opts.scripts.map((src) => `<script nonce="${opts.nonce}" src="${esc(src)}"></script>`).join("\n")}
<script nonce="${opts.nonce}">
(function () {
"use strict";
${MARKDOWN_SCRIPT}
${TEAM_SCRIPT}
})();
</script>
</body>
</html>
`;
}
