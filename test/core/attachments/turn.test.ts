/**
 * Attachments through the real core, the real OpenAI client, sharp and PDF.js, against the fake
 * OpenAI server: what the model receives, what the answer says about files it could not read,
 * and what the history keeps.
 */
import sharp from "sharp";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  type AttachmentSettings,
  DEFAULT_ATTACHMENT_SETTINGS,
} from "../../../src/core/attachments/settings.js";
import { Conversation, type ConversationSettings } from "../../../src/core/conversation.js";
import { AttachmentError } from "../../../src/core/errors.js";
import { type IncomingAttachment, threadKeyOf } from "../../../src/core/types.js";
import { createFileReaders } from "../../../src/files/index.js";
import type { ChatRequestBody, ChatRequestMessage } from "../../../src/llm/demo/types.js";
import { createTokenCounter } from "../../../src/llm/tokens.js";
import { silentLogger } from "../../../src/log.js";
import { Metrics } from "../../../src/metrics.js";
import { createMemoryStore, type MemoryStore } from "../../../src/store/memory/store.js";
import { createTestModel, type DemoLlmServer, startFakeLlm } from "../../fakes/llm.js";
import { message, testSettings } from "../../support/conversation.js";
import { memoryFile, pdfWithText, pngDeclaring, pngImage, textBytes, zipBytes } from "../../support/files.js";
import { RecordingSink } from "../../support/recording-sink.js";
import { FactTools } from "../../support/test-tools.js";

type Part = Exclude<ChatRequestMessage["content"], string | null | undefined>[number];

const DESCRIPTION = "A red error dialog that says E42 payment declined";

let llm: DemoLlmServer;
let store: MemoryStore;
let metrics: Metrics;

beforeAll(async () => {
  llm = await startFakeLlm({
    // The description request gets a scripted line; every answer is the demo model's.
    respond: (body) =>
      isDescribeRequest(body) ? { kind: "stream", parts: [{ text: `1: ${DESCRIPTION}` }] } : undefined,
  });
});
afterAll(() => llm.close());
beforeEach(() => {
  llm.requests.length = 0;
  store = createMemoryStore({ log: silentLogger() });
});

function isDescribeRequest(body: ChatRequestBody): boolean {
  const system = body.messages[0]?.content;
  return typeof system === "string" && system.includes("descriptions of images");
}

function conversationWith(
  settings: Partial<AttachmentSettings> = {},
  more: Partial<ConversationSettings> = {},
) {
  const { model } = createTestModel(llm.url);
  metrics = new Metrics();
  return new Conversation({
    store,
    model,
    tokens: createTokenCounter("gpt-4o-mini"),
    tools: new FactTools(),
    log: silentLogger(),
    metrics,
    files: createFileReaders(),
    settings: { ...testSettings, ...more, attachments: { ...DEFAULT_ATTACHMENT_SETTINGS, ...settings } },
  });
}

/** The user message of the answer request (not the description request). */
function answerParts(): Part[] {
  const answers = llm.requests.filter((r) => !isDescribeRequest(r));
  const last = answers[answers.length - 1]?.messages.at(-1);
  expect(last?.role).toBe("user");
  expect(Array.isArray(last?.content)).toBe(true);
  return last?.content as Part[];
}

async function ask(conversation: Conversation, attachments: IncomingAttachment[], text = "What is wrong?") {
  const sink = new RecordingSink();
  const msg = message({ text, attachments });
  const result = await conversation.handle(msg, sink);
  return { result, sink, msg };
}

describe("attachments", () => {
  it("sends an image and a log file to the model as an image part and a text part", async () => {
    const log = "2026-12-01 10:00:01 ERROR payment E42 declined\n2026-12-01 10:00:02 INFO retry\n";
    // Room for gpt-4o-mini's high-detail image (8,500 tokens for one tile).
    const { result } = await ask(conversationWith({}, { contextTokenBudget: 60_000 }), [
      memoryFile("screen.png", await pngImage(64, 48), "image/png"),
      memoryFile("app.log", textBytes(log), "text/plain"),
    ]);
    expect(result.outcome).toBe("answered");
    const parts = answerParts();
    expect(parts[0]).toEqual({ type: "text", text: "What is wrong?" });
    const image = parts.find((p) => p.type === "image_url");
    expect(image?.image_url?.url).toMatch(/^data:image\/png;base64,/);
    expect(image?.image_url?.detail).toBe("high");
    const logPart = parts.find((p) => p.type === "text" && p.text?.includes("payment E42 declined"));
    expect(logPart?.text).toMatch(/^\[Attachment 2: "app\.log", text\/plain, 2 lines, \d+ bytes\]\n/);
  });

  it("has the offline demo model say which files reached it, with type, size and text length", async () => {
    const { result } = await ask(conversationWith(), [
      memoryFile("screen.png", await pngImage(64, 48), "image/png"),
      memoryFile("notes.txt", textBytes("hello world"), "text/plain"),
    ]);
    expect(result.text).toContain("here is what reached me with your message (2 files)");
    expect(result.text).toMatch(
      /`screen\.png` \(image\/png, 64x48, [\d.]+ (bytes|KB)\): came as an image of/,
    );
    expect(result.text).toContain(
      "`notes.txt` (text/plain, 1 line, 11 bytes): came as 11 characters of text",
    );
  });

  it("adds one line for a file that is too big and one for a type it cannot read", async () => {
    const { result } = await ask(conversationWith({ maxBytes: 2048 }), [
      memoryFile("huge.log", textBytes("x".repeat(5000)), "text/plain"),
      // Declared as a PNG; the bytes are a ZIP archive, and the bytes decide.
      memoryFile("photo.png", zipBytes(), "image/png"),
    ]);
    expect(result.outcome).toBe("answered");
    expect(result.text).toContain("_Couldn't read `huge.log`: it is larger than the 2 KB limit._");
    expect(result.text).toContain(
      "_Couldn't read `photo.png`: I can't read this type of file (ZIP archive)._",
    );
    const counted = await metrics.registry.getSingleMetricAsString("chatbot_attachments_total");
    expect(counted).toContain('chatbot_attachments_total{platform="web",kind="unknown",outcome="too_big"} 1');
    expect(counted).toContain(
      'chatbot_attachments_total{platform="web",kind="other",outcome="unsupported"} 1',
    );
    // The model is told too, so it does not pretend to have read them.
    const headers = answerParts().map((p) => p.text);
    expect(headers).toContain(
      '[Attachment 1: "huge.log", text/plain: not read, it is larger than the 2 KB limit]',
    );
    expect(headers).toContain(
      '[Attachment 2: "photo.png", application/zip, 74 bytes: not read, I can\'t read this type of file (ZIP archive)]',
    );
  });

  it("says when a download failed or took too long, and reads only MAX_ATTACHMENTS files", async () => {
    const files = [
      memoryFile("slow.txt", textBytes("a"), undefined, { fail: new AttachmentError("timeout", "slow") }),
      memoryFile("gone.txt", textBytes("b"), undefined, {
        fail: new AttachmentError("download_failed", "404"),
      }),
      memoryFile("third.txt", textBytes("c")),
    ];
    const { result } = await ask(conversationWith({ maxFiles: 2 }), files);
    expect(result.text).toContain("_Couldn't read `slow.txt`: the download took too long._");
    expect(result.text).toContain("_Couldn't read `gone.txt`: it could not be downloaded._");
    expect(result.text).toContain("_Couldn't read `third.txt`: I read at most 2 files per message._");
    expect(files[2]!.reads).toBe(0);
  });

  it("gives a model without vision a notice instead of the image", async () => {
    const { result } = await ask(conversationWith({ vision: false }), [
      memoryFile("screen.png", await pngImage(64, 48), "image/png"),
    ]);
    expect(result.text).toContain("_Couldn't read `screen.png`: the AI model I use cannot see images._");
    expect(llm.requests).toHaveLength(1);
    expect(JSON.stringify(llm.requests[0])).not.toContain("image_url");
  });

  it("keeps a description of each file in the history, never its bytes, and later turns see it", async () => {
    const conversation = conversationWith();
    const png = await pngImage(64, 48);
    const { msg } = await ask(conversation, [
      memoryFile("screen.png", png, "image/png"),
      memoryFile("app.log", textBytes("ERROR E42\n"), "text/plain"),
    ]);
    const history = await store.threads.load(threadKeyOf(msg));
    const stored = JSON.stringify(history);
    expect(stored).not.toContain("base64");
    expect(stored).not.toContain("parts");
    const user = history[0]!.entries[0]!;
    expect((user.content ?? "").split("\n")).toEqual([
      "What is wrong?",
      expect.stringMatching(
        /^\[Attachment 1: "screen\.png", image\/png, 64x48, [\d.]+ (bytes|KB): A red error dialog that says E42 payment declined\]$/,
      ),
      '[Attachment 2: "app.log", text/plain, 1 line, 10 bytes: read]',
    ]);

    llm.requests.length = 0;
    await conversation.handle(message({ text: "And now?" }), new RecordingSink());
    const earlier = llm.requests[0]!.messages.find(
      (m) => m.role === "user" && typeof m.content === "string" && m.content.includes(DESCRIPTION),
    );
    expect(earlier).toBeDefined();
  });

  it("redacts an attached log's emails before the model sees it (REDACT_BEFORE_MODEL)", async () => {
    await ask(conversationWith({}, { redact: ["emails"] }), [
      memoryFile("app.log", textBytes("login failed for ana@example.com\n")),
    ]);
    const log = answerParts().find((p) => p.text?.startsWith('[Attachment 1: "app.log"'));
    expect(log?.text).toContain("login failed for [email 1]");
    expect(JSON.stringify(llm.requests)).not.toContain("ana@example.com");
  });

  it("reads the text of a PDF", async () => {
    await ask(conversationWith(), [memoryFile("invoice.pdf", pdfWithText("Invoice 1234 total 99 EUR"))]);
    const pdf = answerParts().find((p) => p.text?.startsWith('[Attachment 1: "invoice.pdf"'));
    expect(pdf?.text).toMatch(
      /^\[Attachment 1: "invoice\.pdf", application\/pdf, 1 page, [\d.]+ (bytes|KB)\]\n/,
    );
    expect(pdf?.text).toContain("Invoice 1234 total 99 EUR");
  });

  it("cuts a long text file to the per-file token limit and says so", async () => {
    const lines = Array.from({ length: 2000 }, (_, i) => `line ${i} request handled in ${i % 97} ms`);
    const { result } = await ask(conversationWith({ textTokens: 200 }), [
      memoryFile("big.log", textBytes(lines.join("\n"))),
    ]);
    const part = answerParts().find((p) => p.text?.startsWith('[Attachment 1: "big.log"'));
    expect(part?.text).toContain("line 0 request");
    expect(part?.text).not.toContain("line 1999 request");
    expect(part?.text).toMatch(/\[cut here: only the first ~\d+ of ~\d+ tokens of this file are included\]$/);
    expect(createTokenCounter("gpt-4o-mini").count(part?.text ?? "")).toBeLessThan(300);
    expect(result.text).toMatch(/_Read only the first part of `big\.log` \(about \d+ of [\d,]+ tokens\)\._/);
  });

  it("scales a large image down to MAX_IMAGE_PIXELS before the model sees it", async () => {
    await ask(conversationWith({ maxImagePixels: 200_000 }), [
      memoryFile("wide.png", await pngImage(1600, 1000), "image/png"),
    ]);
    const url = answerParts().find((p) => p.type === "image_url")?.image_url?.url ?? "";
    const meta = await sharp(Buffer.from(url.split(",")[1]!, "base64")).metadata();
    expect(meta.width * meta.height).toBeLessThanOrEqual(200_000);
    expect(meta.width / meta.height).toBeCloseTo(1.6, 1);
  });

  it("answers a message that is only a file, with no text", async () => {
    const { result } = await ask(conversationWith(), [memoryFile("notes.txt", textBytes("hi"))], "");
    expect(result.outcome).toBe("answered");
    expect(answerParts()[0]?.text).toMatch(/^\[Attachment 1: "notes\.txt"/);
  });

  it("refuses an image that declares too many pixels to decode", async () => {
    const { result } = await ask(conversationWith(), [
      memoryFile("bomb.png", await pngDeclaring(20_000, 20_000), "image/png"),
    ]);
    expect(result.text).toContain("_Couldn't read `bomb.png`: the image has too many pixels to process._");
  });

  it("tells a damaged image apart from a real one", async () => {
    const png = await pngImage(64, 48);
    const { result } = await ask(conversationWith(), [
      memoryFile("broken.png", png.slice(0, 40), "image/png"),
    ]);
    expect(result.text).toContain(
      "_Couldn't read `broken.png`: the file seems damaged or is not what its name says._",
    );
  });

  it("sends a screenshot at low detail, and says so, when high detail would not fit the files' allowance", async () => {
    // gpt-4o-mini: 2,833 + 5,667 per tile at high detail, over an ATTACHMENT_TOKEN_BUDGET of 4,000.
    const { result } = await ask(conversationWith({}, { attachmentTokenBudget: 4_000 }), [
      memoryFile("screen.png", await pngImage(64, 48), "image/png"),
    ]);
    const image = answerParts().find((p) => p.type === "image_url");
    expect(image?.image_url?.detail).toBe("low");
    // The offline demo model's report shows it too.
    expect(result.text).toMatch(
      /`screen\.png` \(image\/png, 64x48, [^)]*\): came as an image of [\d.]+ (bytes|KB), at low detail/,
    );
    expect(result.text).toContain(
      "_Looked at `screen.png` at low resolution only, to stay within my limit for one message: small text in it may be unreadable._",
    );
  });

  it("keeps earlier turns in the request when the files are large, leaving out what does not fit by name", async () => {
    const conversation = conversationWith({}, { attachmentTokenBudget: 4_000 });
    await conversation.handle(message({ text: "My order number is 7781" }), new RecordingSink());
    const log = (tag: string) =>
      textBytes(
        Array.from({ length: 2000 }, (_, i) => `${tag} ${i} request handled in ${i % 97} ms`).join("\n"),
      );
    llm.requests.length = 0;
    const { result } = await ask(conversation, [
      memoryFile("a.log", log("alpha")),
      memoryFile("b.log", log("beta")),
    ]);
    const request = llm.requests.find((r) => !isDescribeRequest(r))!;
    expect(JSON.stringify(request.messages)).toContain("My order number is 7781");
    const parts = answerParts();
    expect(parts.some((p) => p.text?.includes("alpha 0 request"))).toBe(true);
    expect(parts.some((p) => p.text?.includes("beta 0 request"))).toBe(false);
    expect(result.text).toContain(
      "_Couldn't read `b.log`: this message's files are more than I can read at once (send it on its own?)._",
    );
    expect(result.text).toMatch(/_Read only the first part of `a\.log`/);
  });

  it("says a file is empty instead of reading nothing", async () => {
    const { result } = await ask(conversationWith(), [
      memoryFile("empty.log", new Uint8Array(0), "text/plain"),
    ]);
    expect(result.text).toContain("_Couldn't read `empty.log`: the file is empty._");
  });
});
