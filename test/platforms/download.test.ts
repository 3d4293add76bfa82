import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { gzipSync } from "node:zlib";
import { afterEach, describe, expect, it } from "vitest";
import { AttachmentError } from "../../src/core/errors.js";
import {
  type DownloadOptions,
  download,
  downloadSlots,
  hostPolicy,
  MAX_CONCURRENT_DOWNLOADS,
  MAX_REDIRECTS,
} from "../../src/platforms/download.js";
import { Slots } from "../../src/platforms/download-slots.js";

interface Seen {
  path: string;
  authorization: string | undefined;
}

/** A loopback server with a request log; `handler` answers. */
async function server(handler: (req: IncomingMessage, res: ServerResponse) => void) {
  const seen: Seen[] = [];
  const srv: Server = createServer((req, res) => {
    seen.push({ path: req.url ?? "/", authorization: req.headers.authorization });
    handler(req, res);
  });
  await new Promise<void>((resolve) => srv.listen(0, "127.0.0.1", resolve));
  const origin = `http://127.0.0.1:${(srv.address() as AddressInfo).port}`;
  const close = async () => {
    srv.closeAllConnections();
    await new Promise<void>((resolve) => srv.close(() => resolve()));
  };
  servers.push(close);
  return { origin, seen };
}

const servers: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((close) => close()));
});

const TOKEN = "Bearer secret-token";

function options(allowed: string[], extra: Partial<DownloadOptions> = {}): DownloadOptions {
  const allow = (url: URL) => allowed.includes(url.origin);
  return {
    maxBytes: 1024,
    timeoutMs: 30_000,
    signal: new AbortController().signal,
    allowUrl: allow,
    headers: { authorization: TOKEN },
    sendHeadersTo: allow,
    ...extra,
  };
}

async function failure(p: Promise<unknown>): Promise<AttachmentError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AttachmentError);
  return err as AttachmentError;
}

describe("downloading an attached file", () => {
  it("returns the bytes and sends the credentials to an allowed host", async () => {
    const s = await server((_req, res) => {
      res.writeHead(200, { "content-type": "text/plain" });
      res.end("ERROR disk full\n");
    });
    const got = await download(`${s.origin}/file.log`, options([s.origin]));
    expect(new TextDecoder().decode(got.bytes)).toBe("ERROR disk full\n");
    expect(got.contentType).toBe("text/plain");
    expect(s.seen).toEqual([{ path: "/file.log", authorization: TOKEN }]);
  });

  it("cuts off a file bigger than the cap although its Content-Length says it is small", async () => {
    // 8 MB of zeros, gzipped to a few KB: the declared length is honest about the wire bytes only.
    const body = gzipSync(Buffer.alloc(8 * 1024 * 1024));
    const s = await server((_req, res) => {
      res.writeHead(200, { "content-encoding": "gzip", "content-length": String(body.length) });
      res.end(body);
    });
    expect(body.length).toBeLessThan(64 * 1024);
    const err = await failure(download(`${s.origin}/bomb`, options([s.origin], { maxBytes: 64 * 1024 })));
    expect(err.code).toBe("too_big");
  });

  it("stops reading an endless body once it passes the cap", async () => {
    let closedEarly: () => void = () => {};
    const closed = new Promise<void>((resolve) => (closedEarly = resolve));
    const s = await server((_req, res) => {
      res.writeHead(200, { "content-type": "application/octet-stream" }); // chunked, no length
      const chunk = Buffer.alloc(16 * 1024, 1);
      const pump = () => {
        while (!res.destroyed && res.write(chunk)) {}
      };
      res.on("drain", pump);
      res.on("close", () => closedEarly());
      pump();
    });
    const err = await failure(download(`${s.origin}/endless`, options([s.origin], { maxBytes: 100_000 })));
    expect(err.code).toBe("too_big");
    await closed; // the server sees the connection go: nothing more is read
  });

  it("refuses early when the declared length is already over the cap", async () => {
    const s = await server((_req, res) => {
      res.writeHead(200, { "content-length": "5000" });
      res.end(Buffer.alloc(5000));
    });
    const err = await failure(download(`${s.origin}/big`, options([s.origin])));
    expect(err.code).toBe("too_big");
  });

  it("gives up on a body that stalls, as a timeout", async () => {
    const s = await server((_req, res) => {
      res.writeHead(200, { "content-type": "text/plain" });
      res.write("first line\n"); // and never another byte
    });
    const err = await failure(download(`${s.origin}/slow`, options([s.origin], { timeoutMs: 300 })));
    expect(err.code).toBe("timeout");
  });

  it("reports a download the caller cancelled as failed, not as a timeout", async () => {
    const s = await server((_req, res) => {
      res.writeHead(200);
      res.write("x");
    });
    const ac = new AbortController();
    const p = download(`${s.origin}/stalls`, options([s.origin], { signal: ac.signal }));
    await waitFor(() => s.seen.length > 0);
    ac.abort();
    const err = await failure(p);
    expect(err.code).toBe("download_failed");
  });

  it("follows a redirect on an allowed host, keeping the credentials", async () => {
    const s = await server((req, res) => {
      if (req.url === "/a") {
        res.writeHead(302, { location: "/b" });
        res.end();
        return;
      }
      res.end("hello");
    });
    const got = await download(`${s.origin}/a`, options([s.origin]));
    expect(new TextDecoder().decode(got.bytes)).toBe("hello");
    expect(got.url).toBe(`${s.origin}/b`);
    expect(s.seen.map((r) => r.authorization)).toEqual([TOKEN, TOKEN]);
  });

  it("stops a redirect loop after a few hops", async () => {
    const s = await server((_req, res) => {
      res.writeHead(302, { location: "/loop" });
      res.end();
    });
    const err = await failure(download(`${s.origin}/loop`, options([s.origin])));
    expect(err.code).toBe("download_failed");
    expect(err.message).toMatch(/too many redirects/);
    expect(s.seen).toHaveLength(MAX_REDIRECTS + 1);
  });

  it("never requests a foreign host a redirect points to", async () => {
    const foreign = await server((_req, res) => res.end("stolen"));
    const s = await server((_req, res) => {
      res.writeHead(302, { location: `${foreign.origin}/collect` });
      res.end();
    });
    const err = await failure(download(`${s.origin}/file`, options([s.origin])));
    expect(err.code).toBe("download_failed");
    expect(err.message).toMatch(/refused redirect/);
    expect(foreign.seen).toEqual([]);
  });

  it("sends no credentials to an allowed host that may not have them", async () => {
    const cdn = await server((_req, res) => res.end("bytes"));
    const s = await server((_req, res) => {
      res.writeHead(307, { location: `${cdn.origin}/presigned` });
      res.end();
    });
    const got = await download(
      `${s.origin}/file`,
      options([s.origin, cdn.origin], { sendHeadersTo: (url) => url.origin === s.origin }),
    );
    expect(new TextDecoder().decode(got.bytes)).toBe("bytes");
    expect(s.seen[0]?.authorization).toBe(TOKEN);
    expect(cdn.seen).toEqual([{ path: "/presigned", authorization: undefined }]);
  });

  it("refuses a first URL on a host that is not allowed, without a request", async () => {
    const other = await server((_req, res) => res.end("x"));
    const err = await failure(download(`${other.origin}/external`, options(["http://127.0.0.1:1"])));
    expect(err.code).toBe("download_failed");
    expect(other.seen).toEqual([]);
  });

  it("reports an error status as a failed download", async () => {
    const s = await server((_req, res) => {
      res.writeHead(404);
      res.end("gone");
    });
    const err = await failure(download(`${s.origin}/gone`, options([s.origin])));
    expect(err.code).toBe("download_failed");
    expect(err.message).toMatch(/404/);
  });
});

describe("the host policy", () => {
  const allow = hostPolicy(["slack.com", "slack-edge.com"], "http://127.0.0.1:4000/api/");

  it("accepts the domains and their subdomains over HTTPS, and the configured origin", () => {
    expect(allow(new URL("https://files.slack.com/files-pri/T1-F1/a.png"))).toBe(true);
    expect(allow(new URL("https://slack.com/x"))).toBe(true);
    expect(allow(new URL("https://a.slack-edge.com/x"))).toBe(true);
    expect(allow(new URL("http://127.0.0.1:4000/files-pri/x"))).toBe(true);
  });

  it("refuses look-alikes, plain HTTP and other ports", () => {
    expect(allow(new URL("https://evilslack.com/x"))).toBe(false);
    expect(allow(new URL("https://slack.com.evil.example/x"))).toBe(false);
    expect(allow(new URL("http://files.slack.com/x"))).toBe(false);
    expect(allow(new URL("http://127.0.0.1:4001/x"))).toBe(false);
  });
});

async function waitFor(check: () => boolean): Promise<void> {
  while (!check()) await new Promise((r) => setTimeout(r, 5));
}

describe("downloads at the same time", () => {
  it("runs at most MAX_CONCURRENT_DOWNLOADS at once; the rest wait their turn and then complete", async () => {
    const held: ServerResponse[] = [];
    const { origin, seen } = await server((_req, res) => {
      held.push(res);
    });
    const extra = 2;
    const all = Array.from({ length: MAX_CONCURRENT_DOWNLOADS + extra }, (_, i) =>
      download(`${origin}/file-${i}`, options([origin])),
    );
    await until(() => held.length === MAX_CONCURRENT_DOWNLOADS && downloadSlots.queued === extra);
    expect(seen).toHaveLength(MAX_CONCURRENT_DOWNLOADS);

    held.shift()?.end("done");
    await until(() => held.length === MAX_CONCURRENT_DOWNLOADS && downloadSlots.queued === extra - 1);
    for (;;) {
      const res = held.shift();
      if (res) res.end("done");
      else if (seen.length === MAX_CONCURRENT_DOWNLOADS + extra && downloadSlots.active === 0) break;
      else await new Promise((resolve) => setImmediate(resolve));
    }
    const got = await Promise.all(all);
    expect(got.map((g) => new TextDecoder().decode(g.bytes))).toEqual(all.map(() => "done"));
    expect(downloadSlots.active).toBe(0);
  });

  it("gives up waiting for a slot when the turn is stopped, and leaves the queue", async () => {
    const slots = new Slots(1);
    const release = await slots.take(new AbortController().signal);
    const stop = new AbortController();
    const waiting = slots.take(stop.signal);
    expect(slots.queued).toBe(1);
    stop.abort(new Error("stopped"));
    await expect(waiting).rejects.toThrow("stopped");
    expect(slots.queued).toBe(0);
    release();
    release(); // twice is once
    expect(slots.active).toBe(0);
  });
});

/** Wait for a condition the event loop will make true (no wall-clock deadline of our own). */
async function until(cond: () => boolean): Promise<void> {
  while (!cond()) await new Promise((resolve) => setImmediate(resolve));
}
