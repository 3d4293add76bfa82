/**
 * The one-line image descriptions kept in the history, asked of the real OpenAI client against
 * the fake LLM.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { describeImages } from "../../../src/core/attachments/describe.js";
import type { ReadFile } from "../../../src/core/attachments/read.js";
import { silentLogger } from "../../../src/log.js";
import { createTestModel, type DemoLlmServer, startFakeLlm } from "../../fakes/llm.js";

/** Hidden reasoning tokens a reasoning model spends before its first visible word. */
const REASONING_TOKENS = 400;

let llm: DemoLlmServer;

beforeAll(async () => {
  llm = await startFakeLlm({
    // Like gpt-5 / o-series: reasoning comes out of the same output cap as the text.
    respond: (body) => {
      const cap = body.max_completion_tokens ?? body.max_tokens ?? Number.POSITIVE_INFINITY;
      return cap <= REASONING_TOKENS
        ? { kind: "stream", parts: [], finishReason: "length" }
        : { kind: "stream", parts: [{ text: "1: A login form showing error E42" }] };
    },
  });
});
afterAll(() => llm.close());

const screenshot: ReadFile = {
  index: 1,
  name: "screen.png",
  kind: "image",
  mime: "image/png",
  bytes: 100,
  parts: [
    { type: "text", text: '[Attachment 1: "screen.png", image/png, 64x48, 100 bytes]' },
    { type: "image", mime: "image/png", base64: "AAAA", width: 64, height: 48, detail: "high" },
  ],
};

describe("image descriptions for the history", () => {
  it("leaves a reasoning model room to think before it writes the description", async () => {
    const { model } = createTestModel(llm.url, { model: "gpt-5-mini" });
    const described = await describeImages(model, [screenshot], new AbortController().signal, silentLogger());
    expect(described.byIndex.get(1)).toBe("A login form showing error E42");
  });

  it("asks for the images at low detail", async () => {
    const { model } = createTestModel(llm.url);
    llm.requests.length = 0;
    await describeImages(model, [screenshot], new AbortController().signal, silentLogger());
    const content = llm.requests[0]?.messages.at(-1)?.content;
    expect(JSON.stringify(content)).toContain('"detail":"low"');
  });
});
