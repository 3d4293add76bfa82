/**
 * Discord's CDN, on the fake: attachments of users' messages are served at signed URLs like
 * Discord's (`/attachments/CHANNEL/ID/NAME?ex=...&is=...&hm=...`) on the fake's own port, with
 * no credentials needed. Every download is recorded with the Authorization header it carried
 * (there should be none: the CDN needs no token, so the bot sends none).
 */
import { randomBytes } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";

export interface FakeAttachmentInit {
  name: string;
  contentType: string;
  bytes: Uint8Array;
}

export interface CdnDownload {
  path: string;
  authorization: string | undefined;
}

/** The attachment object as it appears in a message's `attachments` array. */
export type AttachmentJson = Record<string, unknown> & { id: string; url: string };

export class FakeCdn {
  readonly downloads: CdnDownload[] = [];
  private readonly files = new Map<string, FakeAttachmentInit>();

  constructor(
    private readonly origin: () => string,
    private readonly nextId: () => string,
  ) {}

  add(channelId: string, init: FakeAttachmentInit): AttachmentJson {
    const id = this.nextId();
    const path = `/attachments/${channelId}/${id}/${encodeURIComponent(init.name)}`;
    this.files.set(path, init);
    // Discord signs CDN URLs: expiry, issue time and an HMAC; the fake only imitates their shape.
    const now = Math.floor(Date.now() / 1000);
    const query = `?ex=${(now + 86_400).toString(16)}&is=${now.toString(16)}&hm=${randomBytes(32).toString("hex")}&`;
    return {
      id,
      filename: init.name,
      size: init.bytes.byteLength,
      url: `${this.origin()}${path}${query}`,
      proxy_url: `${this.origin()}${path}${query}`,
      content_type: init.contentType,
    };
  }

  /** Serve a CDN path; false when the request is for something else. */
  handle(req: IncomingMessage, res: ServerResponse): boolean {
    const path = new URL(req.url ?? "/", "http://fake").pathname;
    if (!path.startsWith("/attachments/")) return false;
    this.downloads.push({ path, authorization: req.headers.authorization });
    const file = this.files.get(path);
    if (!file || req.method !== "GET") {
      res.writeHead(404, { "content-type": "text/plain" });
      res.end("This content is no longer available.");
      return true;
    }
    res.writeHead(200, { "content-type": file.contentType, "content-length": String(file.bytes.byteLength) });
    res.end(file.bytes);
    return true;
  }
}
