/**
 * How the web chat's HTML pages (the chat at `/`, the team page at `/team`) are sent: never
 * cached, and locked down by a Content-Security-Policy that lets only the page's own nonce'd
 * scripts run, talk to this origin only, and never be framed.
 */
import { randomBytes } from "node:crypto";
import type { ServerResponse } from "node:http";

/** A fresh nonce for one page load's scripts. */
export function pageNonce(): string {
  return randomBytes(16).toString("base64");
}

/** Send `html` (rendered with `nonce`) with the pages' security headers. */
export function sendPage(res: ServerResponse, html: string, nonce: string): void {
  res.writeHead(200, {
    "content-type": "text/html; charset=utf-8",
    "content-length": Buffer.byteLength(html),
    "cache-control": "no-store",
    "content-security-policy": [
      "default-src 'none'",
      `script-src 'nonce-${nonce}'`,
      "style-src 'unsafe-inline'",
      "connect-src 'self'",
      // Pasted images' previews and the empty favicon (`data:,`) that keeps the browser from asking for one.
      "img-src 'self' data:",
      "base-uri 'none'",
      "form-action 'none'",
      "frame-ancestors 'none'",
    ].join("; "),
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
  });
  res.end(html);
}
