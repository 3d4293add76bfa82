/**
 * The local chat page: one HTML document (inline CSS and JS, no build step) plus the two library
 * scripts of assets.ts from this same server; nothing from another origin. Every script runs
 * under a per-response CSP nonce, so nothing injected into the page (there should be nothing:
 * all text is escaped or sanitized) could run.
 */
import { ATTACH_SCRIPT } from "./attach-script.js";
import { FEEDBACK_SCRIPT, FEEDBACK_STYLE } from "./feedback-script.js";
import { FORGET_SCRIPT } from "./forget-script.js";
import { HANDOFF_SCRIPT } from "./handoff-script.js";
import { MARKDOWN_SCRIPT } from "./markdown-script.js";
import { PAGE_SCRIPT } from "./page-script.js";
import { SESSION_SCRIPT } from "./session-script.js";

const STYLE = `
:root {
  --bg: #f6f7f9; --panel: #ffffff; --text: #1d2330; --muted: #6b7384; --border: #e3e6ec;
  --accent: #3b5bdb; --accent-text: #ffffff; --user: #3b5bdb; --user-text: #ffffff;
  --code-bg: #f1f3f7; --notice-bg: #fff6e0; --notice-text: #7a5200; --error: #c92a2a;
  color-scheme: light dark;
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #15181e; --panel: #1d2129; --text: #e6e8ee; --muted: #9aa2b1; --border: #2c313c;
    --accent: #5c7cfa; --user: #4263eb; --code-bg: #262b35; --notice-bg: #3a3020;
    --notice-text: #f3d28b; --error: #ff8787;
  }
}
* { box-sizing: border-box; }
html, body { height: 100%; margin: 0; }
body {
  display: flex; flex-direction: column; background: var(--bg); color: var(--text);
  font: 15px/1.55 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
}
header {
  display: flex; align-items: center; gap: 12px; padding: 10px 20px;
  background: var(--panel); border-bottom: 1px solid var(--border);
}
.forget-confirm {
  display: flex; align-items: center; gap: 12px; padding: 10px 20px;
  background: var(--notice-bg); color: var(--notice-text); border-bottom: 1px solid var(--border);
}
.forget-confirm[hidden] { display: none; }
.forget-confirm span { flex: 1; }
#forget-yes { border-color: var(--error); color: var(--error); }
header h1 { font-size: 16px; font-weight: 600; margin: 0; flex: 1; display: flex; align-items: center; gap: 10px; }
.logo {
  width: 28px; height: 28px; border-radius: 8px; background: var(--accent); color: var(--accent-text);
  display: inline-flex; align-items: center; justify-content: center; font-size: 15px;
}
.conn { font-size: 12px; color: var(--muted); display: inline-flex; align-items: center; gap: 6px; }
.conn::before { content: ""; width: 8px; height: 8px; border-radius: 50%; background: var(--muted); }
.conn.online::before { background: #2f9e44; }
.conn.reconnecting::before { background: #f59f00; }
.conn.offline::before { background: var(--error); }
button {
  font: inherit; border-radius: 10px; border: 1px solid var(--border); background: var(--panel);
  color: var(--text); padding: 7px 14px; cursor: pointer;
}
button:hover { border-color: var(--accent); }
/* A phone's width: the header's buttons go to a second row instead of off the screen. */
header { flex-wrap: wrap; }
header button { white-space: nowrap; }
@media (max-width: 600px) {
  header { padding: 8px 12px; gap: 8px; }
  header h1 { flex-basis: calc(100% - 120px); }
  header button { flex: 1; padding: 6px 8px; }
  #input::placeholder { white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
}
button:disabled { opacity: 0.5; cursor: default; }
main { flex: 1; overflow-y: auto; padding: 24px 16px 8px; }
.column { max-width: 800px; margin: 0 auto; }
#empty { text-align: center; color: var(--muted); margin-top: 18vh; }
#empty h2 { color: var(--text); font-size: 20px; font-weight: 600; margin: 0 0 6px; }
.msg { display: flex; flex-direction: column; margin: 0 auto 14px; max-width: 800px; }
.msg .bubble {
  padding: 10px 14px; border-radius: 14px; max-width: 85%; overflow-wrap: anywhere;
  background: var(--panel); border: 1px solid var(--border);
}
.msg.user { align-items: flex-end; }
.msg.user .bubble {
  background: var(--user); color: var(--user-text); border-color: transparent;
  white-space: pre-wrap; border-bottom-right-radius: 4px;
}
.msg.user.failed .bubble { opacity: 0.55; }
.msg.bot { align-items: flex-start; }
.msg.bot .bubble { border-bottom-left-radius: 4px; }
.msg.bot[data-state="error"] .bubble { border-color: var(--error); }
.msg.bot[data-state="streaming"] .md > :last-child::after {
  content: "\u258D"; color: var(--accent); animation: blink 1s infinite; margin-left: 1px;
}
.msg .meta { font-size: 12px; color: var(--muted); margin: 4px 6px 0; display: flex; align-items: center; gap: 6px; }
.thinking .bubble { color: var(--muted); display: inline-flex; align-items: center; gap: 10px; }
.dots { display: inline-flex; gap: 4px; vertical-align: middle; }
.dots i { width: 6px; height: 6px; border-radius: 50%; background: var(--muted); animation: blink 1.2s infinite; }
.dots i:nth-child(2) { animation-delay: 0.2s; }
.dots i:nth-child(3) { animation-delay: 0.4s; }
@keyframes blink { 0%, 80%, 100% { opacity: 0.25; } 40% { opacity: 1; } }
.spinner {
  width: 10px; height: 10px; border-radius: 50%; border: 2px solid var(--border);
  border-top-color: var(--accent); animation: spin 0.8s linear infinite;
}
@keyframes spin { to { transform: rotate(360deg); } }
.notice {
  max-width: 640px; margin: 0 auto 14px; padding: 8px 14px; border-radius: 10px; font-size: 14px;
  background: var(--notice-bg); color: var(--notice-text); text-align: center;
}
.notice.error { color: var(--error); }
.md > :first-child { margin-top: 0; }
.md > :last-child { margin-bottom: 0; }
.md p, .md ul, .md ol, .md pre, .md blockquote, .md table { margin: 0 0 10px; }
.md ul, .md ol { padding-left: 22px; }
.md h3, .md h4, .md h5, .md h6 { margin: 12px 0 6px; font-size: 15px; }
.md h3 { font-size: 17px; }
.md a { color: var(--accent); }
.md code { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 13px; }
.md :not(pre) > code { background: var(--code-bg); padding: 1px 5px; border-radius: 5px; }
.md pre { background: var(--code-bg); padding: 10px 12px; border-radius: 8px; overflow-x: auto; }
.md blockquote { border-left: 3px solid var(--border); margin-left: 0; padding-left: 12px; color: var(--muted); }
.md table { border-collapse: collapse; font-size: 14px; }
.md th, .md td { border: 1px solid var(--border); padding: 4px 10px; text-align: left; }
.md hr { border: 0; border-top: 1px solid var(--border); }
footer { padding: 10px 16px 14px; background: linear-gradient(transparent, var(--bg) 30%); }
#composer {
  max-width: 800px; margin: 0 auto; display: flex; gap: 8px; align-items: flex-end;
  background: var(--panel); border: 1px solid var(--border); border-radius: 14px; padding: 8px;
}
#composer:focus-within { border-color: var(--accent); }
#input {
  flex: 1; resize: none; border: 0; outline: 0; background: transparent; color: var(--text);
  font: inherit; padding: 6px 8px; max-height: 200px;
}
#send { background: var(--accent); color: var(--accent-text); border-color: var(--accent); }
#stop { border-color: var(--error); color: var(--error); }
#attach { padding: 7px 10px; display: inline-flex; align-items: center; }
#attach[hidden] { display: none; }
#chips { max-width: 800px; margin: 0 auto 6px; display: flex; flex-wrap: wrap; gap: 6px; }
.chip {
  display: inline-flex; align-items: center; gap: 4px; font-size: 13px; padding: 2px 4px 2px 10px;
  border: 1px solid var(--border); border-radius: 999px; background: var(--panel);
}
.chip.too-big { border-color: var(--error); color: var(--error); }
.chip-remove { border: 0; padding: 0 6px; background: transparent; font-size: 15px; line-height: 1; }
body.dragging #composer { border-color: var(--accent); box-shadow: 0 0 0 3px var(--accent); }
.hint { max-width: 800px; margin: 6px auto 0; font-size: 12px; color: var(--muted); text-align: center; }
`;

function escapeHtml(text: string): string {
  return text
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&#39;");
}

/**
 * The page for `GET /`. `nonce` must also be in the response's Content-Security-Policy; `scripts`
 * are same-origin paths relative to the page, loaded in order before the page's own script.
 */
export function renderChatPage(opts: {
  botName: string;
  nonce: string;
  scripts: readonly string[];
  /** Files per message and bytes per file the attach button takes (0 files: no button). */
  uploads?: { maxFiles: number; maxBytes: number };
}): string {
  const name = escapeHtml(opts.botName);
  const initial = escapeHtml(opts.botName.trim().charAt(0).toUpperCase() || "A");
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<link rel="icon" href="data:,">
<title>${name}</title>
<style>${STYLE}${FEEDBACK_STYLE}</style>
</head>
<body>
<header>
  <h1><span class="logo" aria-hidden="true">${initial}</span>${name}</h1>
  <span id="conn" class="conn" role="status">Connecting&hellip;</span>
  <button id="handoff" type="button" title="Hand this conversation to a person from the support team">Talk to a person</button>
  <button id="new-chat" type="button" title="Start a new conversation">New chat</button>
  <button id="forget" type="button" title="Delete everything this chat keeps about you">Forget me</button>
</header>
<div id="forget-confirm" class="forget-confirm" role="alertdialog" aria-label="Forget me" hidden>
  <span>Delete everything the assistant keeps about you in this chat (all your conversations here)? This cannot be undone.</span>
  <button id="forget-yes" type="button">Delete</button>
  <button id="forget-no" type="button">Cancel</button>
</div>
<main id="log" aria-live="polite">
  <div id="empty" class="column">
    <h2>How can I help?</h2>
    <div>Ask about products, your orders, returns and refunds, or the weather.</div>
  </div>
</main>
<footer>
  <div id="chips" hidden></div>
  <form id="composer" autocomplete="off" data-max-files="${opts.uploads?.maxFiles ?? 0}" data-max-bytes="${opts.uploads?.maxBytes ?? 0}">
    <button id="attach" type="button" title="Attach files (or drop them here)" aria-label="Attach files" hidden><svg width="16" height="16" viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round" aria-hidden="true"><path d="M21.44 11.05l-9.19 9.19a6 6 0 0 1-8.49-8.49l9.19-9.19a4 4 0 0 1 5.66 5.66l-9.2 9.19a2 2 0 0 1-2.83-2.83l8.49-8.48"/></svg></button>
    <input id="file" type="file" multiple hidden>
    <textarea id="input" rows="1" placeholder="Message ${name}&hellip;" aria-label="Message"></textarea>
    <button id="send" type="submit">Send</button>
    <button id="stop" type="button" hidden>Stop</button>
  </form>
  <div class="hint">Enter to send &middot; Shift+Enter for a new line &middot; local chat without sign-in</div>
</footer>
${opts.scripts.map((src) => `<script nonce="${opts.nonce}" src="${escapeHtml(src)}"></script>`).join("\n")}
<script nonce="${opts.nonce}">
(function () {
"use strict";
${MARKDOWN_SCRIPT}
${SESSION_SCRIPT}
${ATTACH_SCRIPT}
${FEEDBACK_SCRIPT}
${PAGE_SCRIPT}
${FORGET_SCRIPT}
${HANDOFF_SCRIPT}
})();
</script>
</body>
</html>
`;
}
