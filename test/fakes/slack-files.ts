/**
 * Slack's file servers, on the fake: files shared in messages are served at their `url_private`
 * and `url_private_download` URLs (`/files-pri/TEAM-FILEID/...`) to the bot token with the
 * `files:read` scope. Anyone else gets what Slack gives them: its sign-in page, as HTML with
 * status 200. A file can also answer with Slack's hop to another of its hosts (here: `/files-origin/`
 * on the same fake, which checks the token again) or with a redirect anywhere the test says.
 * Every download is recorded: the token it carried, the bytes sent, and whether it ran to the end.
 */
import type { IncomingMessage, ServerResponse } from "node:http";

/** Written in pieces, respecting backpressure, so a client that stops reading stops the transfer. */
const CHUNK_BYTES = 64 * 1024;

export interface FakeFileInit {
  name: string;
  mimetype: string;
  bytes: Uint8Array;
  /** The size the event declares (default: the real one). Slack's number is not a promise. */
  declaredSize?: number;
  /** "origin": hop to /files-origin/ on the fake first (like Enterprise Grid). A URL: redirect there. */
  redirect?: "origin" | string;
  /** Send no Content-Length (a chunked body). */
  chunked?: boolean;
}

export interface FileDownload {
  path: string;
  authorization: string | undefined;
  bytesSent: number;
  completed: boolean;
}

/** The file object as it appears in a message event's `files` array. */
export type SlackFileJson = Record<string, unknown> & { id: string; url_private: string };

interface StoredFile extends FakeFileInit {
  id: string;
}

export class FakeSlackFiles {
  readonly downloads: FileDownload[] = [];
  private readonly files = new Map<string, StoredFile>();
  private readonly json = new Map<string, SlackFileJson>();
  private count = 0;

  constructor(
    private readonly host: { readonly url: string; readonly scopes: Set<string> },
    private readonly teamId: string,
    private readonly botToken: string,
  ) {}

  /** A file someone uploaded; returns the object Slack puts in the message event. */
  add(init: FakeFileInit): SlackFileJson {
    this.count++;
    const id = `F0FILE${this.count}`;
    this.files.set(id, { ...init, id });
    const base = `${this.host.url}/files-pri/${this.teamId}-${id}`;
    const name = encodeURIComponent(init.name);
    const json: SlackFileJson = {
      id,
      created: Math.floor(Date.now() / 1000),
      name: init.name,
      title: init.name,
      mimetype: init.mimetype,
      filetype: init.name.split(".").pop() ?? "binary",
      pretty_type: init.mimetype,
      user: "U1",
      mode: "hosted",
      editable: false,
      is_external: false,
      external_type: "",
      size: init.declaredSize ?? init.bytes.byteLength,
      url_private: `${base}/${name}`,
      url_private_download: `${base}/download/${name}`,
      permalink: `https://fake.slack.com/files/U1/${id}/${name}`,
    };
    this.json.set(id, json);
    return json;
  }

  /** The file object `files.info` returns, or null for an unknown id. */
  info(id: string): SlackFileJson | null {
    return this.json.get(id) ?? null;
  }

  /**
   * How a file shared from another organization (Slack Connect) appears in a message event: an
   * id and no details; the app must ask `files.info`.
   */
  connectStub(file: SlackFileJson): Record<string, unknown> {
    return {
      id: file.id,
      mode: "file_access",
      file_access: "check_file_info",
      created: 0,
      timestamp: 0,
      user: "",
    };
  }

  /** Serve `path` if it is a file URL; false when it is not one. */
  handle(path: string, req: IncomingMessage, res: ServerResponse): boolean {
    const match = /^\/(files-pri|files-origin)\/([A-Z0-9]+)-([A-Z0-9]+)\/(?:download\/)?[^/]+$/.exec(path);
    if (!match) return false;
    const [, kind, team, id] = match;
    const file = team === this.teamId && id ? this.files.get(id) : undefined;
    const download: FileDownload = {
      path,
      authorization: req.headers.authorization,
      bytesSent: 0,
      completed: false,
    };
    this.downloads.push(download);
    if (!file) {
      res.writeHead(404, { "content-type": "text/plain" });
      res.end("file_not_found");
      return true;
    }
    const authorized =
      req.headers.authorization === `Bearer ${this.botToken}` && this.host.scopes.has("files:read");
    if (!authorized) {
      res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
      res.end("<!DOCTYPE html><html><body>Sign in to your workspace</body></html>");
      return true;
    }
    if (kind === "files-pri" && file.redirect) {
      const to =
        file.redirect === "origin"
          ? `${this.host.url}${path.replace("/files-pri/", "/files-origin/")}`
          : file.redirect;
      res.writeHead(302, { location: to });
      res.end();
      return true;
    }
    this.send(file, download, res);
    return true;
  }

  private send(file: StoredFile, download: FileDownload, res: ServerResponse): void {
    res.writeHead(200, {
      "content-type": file.mimetype,
      ...(file.chunked ? {} : { "content-length": String(file.bytes.byteLength) }),
    });
    res.on("finish", () => (download.completed = true));
    let offset = 0;
    const pump = () => {
      while (offset < file.bytes.byteLength && !res.destroyed) {
        const chunk = file.bytes.subarray(offset, offset + CHUNK_BYTES);
        offset += chunk.byteLength;
        download.bytesSent += chunk.byteLength;
        if (!res.write(chunk)) return; // wait for "drain"
      }
      if (offset >= file.bytes.byteLength) res.end();
    };
    res.on("drain", pump);
    pump();
  }
}
