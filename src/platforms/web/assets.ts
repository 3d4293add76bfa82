/**
 * The browser builds of the page's two libraries, served from node_modules through our own routes
 * (no CDN: the page loads nothing from another origin and works offline). Each path carries a hash
 * of the file, so browsers may cache it for a year and still pick up a new version at once.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

export interface WebAsset {
  /** Where the page loads it from, relative to the chat page (`assets/<name>-<hash>.js`). */
  path: string;
  body: Buffer;
}

/** A year, the longest cache lifetime browsers honour; the hash in the path makes it safe. */
const IMMUTABLE_CACHE = "public, max-age=31536000, immutable";

function load(name: string, file: string): WebAsset {
  // The maps the files point at are not served; without the comment no browser asks for them.
  const text = readFileSync(file, "utf8").replace(/\n\/\/# sourceMappingURL=\S+\s*$/, "\n");
  const body = Buffer.from(text, "utf8");
  const hash = createHash("sha256").update(body).digest("hex").slice(0, 12);
  return { path: `assets/${name}-${hash}.js`, body };
}

/** marked (markdown parser) and DOMPurify (HTML sanitizer), in the order the page loads them. */
export function loadWebAssets(): WebAsset[] {
  const require = createRequire(import.meta.url);
  const markedDir = dirname(require.resolve("marked/package.json"));
  return [
    load("marked", join(markedDir, "lib", "marked.umd.js")),
    load("purify", require.resolve("dompurify/dist/purify.min.js")),
  ];
}

export function serveAsset(asset: WebAsset) {
  return (_req: IncomingMessage, res: ServerResponse): void => {
    res.writeHead(200, {
      "content-type": "text/javascript; charset=utf-8",
      "content-length": asset.body.length,
      "cache-control": IMMUTABLE_CACHE,
      "x-content-type-options": "nosniff",
    });
    res.end(asset.body);
  };
}
