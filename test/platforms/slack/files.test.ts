import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it, vi } from "vitest";
import { AttachmentError } from "../../../src/core/errors.js";
import type { IncomingAttachment, IncomingMessage } from "../../../src/core/types.js";
import { messageEventSchema } from "../../../src/platforms/slack/events.js";
import { ALL_SCOPES, FAKE_BOT_TOKEN, FAKE_BOT_USER_ID } from "../../fakes/slack-api.js";
import {
  assistantThreadStarted,
  eventEnvelope,
  mentionEvents,
  messageEvent,
} from "../../fakes/slack-events.js";
import type { SlackFileJson } from "../../fakes/slack-files.js";
import { reply, ScriptedModel } from "../../support/scripted-model.js";
import { eventually, type Harness, startHarness } from "./harness.js";

let h: Harness | undefined;
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  await h?.close();
  h = undefined;
  await Promise.all(cleanups.splice(0).map((c) => c()));
});

/** A 1x1 PNG. */
const PNG = Buffer.from(
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==",
  "base64",
);
const LOG = Buffer.from("2026-12-01 10:00:01 ERROR payment gateway timeout (order A-1001)\n");

const LIMITS = () => ({ maxBytes: 1024 * 1024, timeoutMs: 30_000, signal: new AbortController().signal });

/** Start with a DM channel and a spy on what the core's turn receives. */
async function start(opts: { scopes?: string[] } = {}) {
  const model = new ScriptedModel(() => reply("Thanks, I see the error in your log."));
  h = await startHarness({
    model,
    ...(opts.scopes ? { fake: { scopes: opts.scopes } } : {}),
    setup: (f) => f.addChannel({ id: "D1", name: "dm", type: "im" }),
  });
  const handled = vi.spyOn(h.conversation, "handle");
  const received = async (): Promise<IncomingMessage> => {
    const call = await eventually(() => handled.mock.calls[0]);
    return call[0];
  };
  /** The first turn's end (the core has read the files and answered). */
  const answered = async () => (await eventually(() => handled.mock.results[0])).value;
  return { harness: h, model, received, answered };
}

/** The user message the core sent the model, with the files' parts (not the image-description request). */
function userWithParts(model: ScriptedModel) {
  const user = model.requests
    .filter((r) => !String(r.messages[0]?.content).includes("descriptions of images"))
    .map((r) => r.messages.at(-1))
    .find((m) => m?.role === "user" && m.parts?.length);
  expect(user?.role).toBe("user");
  return user?.role === "user" ? (user.parts ?? []) : [];
}

/** A DM with files, as Slack sends it (`subtype: "file_share"`). */
function dmWithFiles(harness: Harness, text: string, files: SlackFileJson[]) {
  return eventEnvelope({
    ...messageEvent({
      channel: "D1",
      channelType: "im",
      user: "U1",
      text,
      ts: harness.fake.nextTs(),
      subtype: "file_share",
    }),
    files,
  });
}

function only(msg: IncomingMessage): IncomingAttachment {
  expect(msg.attachments).toHaveLength(1);
  return msg.attachments?.[0] as IncomingAttachment;
}

async function rejection(p: Promise<unknown>): Promise<AttachmentError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AttachmentError);
  return err as AttachmentError;
}

describe("files shared with the Slack bot", () => {
  it("hands the core a screenshot and a log file, each read with the workspace's token", async () => {
    const { harness, model, received, answered } = await start();
    const files = [
      harness.fake.files.add({ name: "screenshot.png", mimetype: "image/png", bytes: PNG }),
      harness.fake.files.add({ name: "server.log", mimetype: "text/plain", bytes: LOG }),
    ];
    await harness.delivery.event(dmWithFiles(harness, "why does checkout fail?", files));
    const msg = await received();
    expect(msg.text).toBe("why does checkout fail?");
    expect(msg.attachments?.map((a) => [a.name, a.declaredType, a.declaredBytes])).toEqual([
      ["screenshot.png", "image/png", PNG.byteLength],
      ["server.log", "text/plain", LOG.byteLength],
    ]);
    await answered();
    // The core read both (in parallel), each with the workspace's token, and the model got them.
    const downloads = harness.fake.files.downloads.map((d) => [d.path.split("/").pop(), d.authorization]);
    expect(downloads.sort()).toEqual([
      ["screenshot.png", `Bearer ${FAKE_BOT_TOKEN}`],
      ["server.log", `Bearer ${FAKE_BOT_TOKEN}`],
    ]);
    const parts = userWithParts(model);
    expect(parts.some((p) => p.type === "image")).toBe(true);
    expect(parts.some((p) => p.type === "text" && p.text.includes("payment gateway timeout"))).toBe(true);
    const [image, log] = msg.attachments ?? [];
    expect(Buffer.from((await image?.read(LIMITS())) ?? [])).toEqual(PNG);
    expect(Buffer.from((await log?.read(LIMITS())) ?? [])).toEqual(LOG);
  });

  it("answers a file shared with a mention and no words: the file is the question", async () => {
    const { harness, received } = await start();
    const file = harness.fake.files.add({ name: "error.png", mimetype: "image/png", bytes: PNG });
    const ts = harness.fake.nextTs();
    const events = mentionEvents({ channel: "C1", user: "U1", text: `<@${FAKE_BOT_USER_ID}>`, ts });
    await harness.delivery.event(eventEnvelope({ ...events.appMention, files: [file] }));
    await harness.delivery.event(eventEnvelope({ ...events.message, subtype: "file_share", files: [file] }));
    const msg = await received();
    expect(msg.text).toBe("");
    expect(only(msg).name).toBe("error.png");
    const answer = await eventually(() => harness.fake.botMessages("C1", ts)[0]);
    await harness.adapter.idle();
    // The harness's gpt-4o-mini at the default budget looks at the image at low detail, and says so.
    expect(harness.fake.visibleText(answer)).toMatch(/^Thanks, I see the error in your log\./);
    expect(harness.fake.botMessages("C1")).toHaveLength(1); // one answer for the two events
  });

  it("follows Slack's hop to another of its file hosts and keeps the token on it", async () => {
    const { harness, received, answered } = await start();
    const file = harness.fake.files.add({
      name: "report.txt",
      mimetype: "text/plain",
      bytes: LOG,
      redirect: "origin",
    });
    await harness.delivery.event(dmWithFiles(harness, "see attached", [file]));
    const attachment = only(await received());
    await answered();
    // The core's download: the hop to Slack's other file host keeps the token.
    expect(harness.fake.files.downloads.map((d) => [d.path.split("/")[1], d.authorization])).toEqual([
      ["files-pri", `Bearer ${FAKE_BOT_TOKEN}`],
      ["files-origin", `Bearer ${FAKE_BOT_TOKEN}`],
    ]);
    expect(Buffer.from(await attachment.read(LIMITS()))).toEqual(LOG);
  });

  it("never sends the token to a foreign host a file download is redirected to", async () => {
    const foreign = await foreignServer();
    const { harness, received } = await start();
    const file = harness.fake.files.add({
      name: "invoice.pdf",
      mimetype: "application/pdf",
      bytes: LOG,
      redirect: `${foreign.origin}/collect`,
    });
    await harness.delivery.event(dmWithFiles(harness, "my invoice", [file]));
    const err = await rejection(only(await received()).read(LIMITS()));
    expect(err.code).toBe("download_failed");
    expect(foreign.requests).toEqual([]); // not asked at all, so no token either
  });

  it("cuts a file off while it streams once it passes the cap, whatever size Slack declared", async () => {
    const { harness, received } = await start();
    const big = Buffer.alloc(32 * 1024 * 1024, 0x41);
    const file = harness.fake.files.add({
      name: "huge.log",
      mimetype: "text/plain",
      bytes: big,
      declaredSize: 2048,
      chunked: true,
    });
    await harness.delivery.event(dmWithFiles(harness, "all my logs", [file]));
    const attachment = only(await received());
    expect(attachment.declaredBytes).toBe(2048);
    const err = await rejection(attachment.read({ ...LIMITS(), maxBytes: 1024 * 1024 }));
    expect(err.code).toBe("too_big");
    const download = await eventually(() => harness.fake.files.downloads[0]);
    await eventually(() => download.bytesSent > 0);
    expect(download.completed).toBe(false);
    expect(download.bytesSent).toBeLessThan(big.byteLength);
  });

  it("does not take Slack's sign-in page for the file when the app lacks files:read", async () => {
    const { harness, received } = await start({ scopes: ALL_SCOPES.filter((s) => s !== "files:read") });
    const file = harness.fake.files.add({ name: "notes.txt", mimetype: "text/plain", bytes: LOG });
    await harness.delivery.event(dmWithFiles(harness, "read this", [file]));
    const err = await rejection(only(await received()).read(LIMITS()));
    expect(err.code).toBe("download_failed");
    expect(err.message).toMatch(/files:read/);
  });

  it("completes a file shared from another organization (Slack Connect) with files.info", async () => {
    const { harness, received } = await start();
    const file = harness.fake.files.add({ name: "their-error.log", mimetype: "text/plain", bytes: LOG });
    const stub = harness.fake.files.connectStub(file) as SlackFileJson;
    await harness.delivery.event(dmWithFiles(harness, "from our partner", [stub]));
    const attachment = only(await received());
    expect([attachment.name, attachment.declaredType, attachment.declaredBytes]).toEqual([
      "their-error.log",
      "text/plain",
      LOG.byteLength,
    ]);
    expect(Buffer.from(await attachment.read(LIMITS()))).toEqual(LOG);
    expect(harness.fake.callsOf("files.info").map((c) => c.args.file)).toEqual([file.id]);
  });

  it("titles an assistant thread that starts with only a file after the file", async () => {
    const { harness, received } = await start();
    const thread = harness.fake.nextTs();
    await harness.delivery.event(
      eventEnvelope(assistantThreadStarted({ channel: "D1", user: "U1", threadTs: thread })),
    );
    await eventually(() => harness.fake.botMessages("D1", thread)[0]); // the greeting
    const file = harness.fake.files.add({ name: "error.png", mimetype: "image/png", bytes: PNG });
    await harness.delivery.event(
      eventEnvelope({
        ...messageEvent({
          channel: "D1",
          channelType: "im",
          user: "U1",
          text: "",
          ts: harness.fake.nextTs(),
          threadTs: thread,
          subtype: "file_share",
        }),
        files: [file],
      }),
    );
    expect(only(await received()).name).toBe("error.png");
    const title = await eventually(() =>
      harness.fake.assistantCalls.find((c) => c.method === "assistant.threads.setTitle"),
    );
    expect(title.args.title).toBe("error.png");
  });

  it("reports a deleted file as unreadable without downloading anything", async () => {
    const { harness, received } = await start();
    const tombstone = { id: "F0GONE", mode: "tombstone", name: "gone.png" } as unknown as SlackFileJson;
    await harness.delivery.event(dmWithFiles(harness, "this one", [tombstone]));
    const err = await rejection(only(await received()).read(LIMITS()));
    expect(err.code).toBe("download_failed");
    expect(harness.fake.files.downloads).toEqual([]);
  });
});

/** A server on another origin that records whatever reaches it. */
async function foreignServer() {
  const requests: { path: string; authorization: string | undefined }[] = [];
  const srv: Server = createServer((req, res) => {
    requests.push({ path: req.url ?? "/", authorization: req.headers.authorization });
    res.end("thanks");
  });
  await new Promise<void>((resolve) => srv.listen(0, "127.0.0.1", resolve));
  cleanups.push(async () => {
    srv.closeAllConnections();
    await new Promise<void>((resolve) => srv.close(() => resolve()));
  });
  return { origin: `http://127.0.0.1:${(srv.address() as AddressInfo).port}`, requests };
}

describe("the Slack file schema", () => {
  it("keeps a message whose files Slack describes oddly, dropping only the odd fields", () => {
    const parsed = messageEventSchema.safeParse({
      type: "message",
      channel: "D1",
      ts: "1700000000.000100",
      user: "U1",
      files: [null, { id: 5, name: "a.png", size: "big" }, { id: "F1", name: "b.log", size: 3 }],
    });
    expect(parsed.success).toBe(true);
    expect(parsed.data?.files).toEqual([{}, { name: "a.png" }, { id: "F1", name: "b.log", size: 3 }]);
  });
});
