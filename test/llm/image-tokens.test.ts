import { describe, expect, it } from "vitest";
import { imageCostFor, imageTokens } from "../../src/llm/image-tokens.js";
import { createTokenCounter } from "../../src/llm/tokens.js";
import { modelSeesImages } from "../../src/llm/vision.js";

describe("image token cost", () => {
  it("follows OpenAI's worked examples of the tile formula", () => {
    // 1024 x 1024 high: scaled to 768 x 768, 4 tiles.
    expect(imageTokens(1024, 1024, "high")).toBe(765);
    // 2048 x 4096 high: fits 1024 x 2048, then 768 x 1536, 6 tiles.
    expect(imageTokens(2048, 4096, "high")).toBe(1105);
    expect(imageTokens(4096, 8192, "low")).toBe(85);
  });

  it("counts GPT-4o mini's larger per-tile figures and the patch rule of the newer small models", () => {
    expect(imageTokens(1024, 1024, "high", imageCostFor("gpt-4o-mini"))).toBe(2833 + 4 * 5667);
    expect(imageTokens(1024, 1024, "low", imageCostFor("openai/gpt-4o-mini"))).toBe(2833);
    // 1024 x 1024: 32 x 32 patches of 32 px, times 1.62.
    expect(imageTokens(1024, 1024, "high", imageCostFor("gpt-4.1-mini"))).toBe(Math.ceil(1024 * 1.62));
    // 1800 x 2400 is over 1,536 patches: scaled to 1056 x 1408, 33 x 44 = 1,452 patches.
    expect(imageTokens(1800, 2400, "high", imageCostFor("gpt-4.1-nano"))).toBe(Math.ceil(1452 * 2.46));
    expect(imageTokens(1024, 1024, "high", imageCostFor("gpt-4.1"))).toBe(765);
  });

  it("counts GPT-5's and o1/o3's own tile figures, not GPT-4o's", () => {
    // OpenAI's table: gpt-5 70 + 140 per tile; o1, o1-pro, o3 75 + 150; computer-use 65 + 129.
    expect(imageTokens(1024, 1024, "high", imageCostFor("gpt-5"))).toBe(70 + 4 * 140);
    expect(imageTokens(1024, 1024, "low", imageCostFor("gpt-5-chat-latest"))).toBe(70);
    expect(imageTokens(1024, 1024, "high", imageCostFor("o3"))).toBe(75 + 4 * 150);
    expect(imageTokens(1024, 1024, "high", imageCostFor("o1-pro"))).toBe(75 + 4 * 150);
    expect(imageTokens(1024, 1024, "high", imageCostFor("computer-use-preview"))).toBe(65 + 4 * 129);
    // The small GPT-5 models stay on the patch rule.
    expect(imageTokens(1024, 1024, "high", imageCostFor("gpt-5-mini"))).toBe(Math.ceil(1024 * 1.62));
  });

  it("counts an image in the context budget of a message", () => {
    const counter = createTokenCounter("gpt-4o");
    const text = counter.countMessages([{ role: "user", content: "look" }]);
    const withImage = counter.countMessages([
      {
        role: "user",
        content: "look",
        parts: [
          { type: "image", mime: "image/png", base64: "AAAA", width: 1024, height: 1024, detail: "high" },
        ],
      },
    ]);
    expect(withImage - text).toBe(765);
  });
});

describe("MODEL_VISION=auto", () => {
  it("knows OpenAI's vision models and treats other names as text-only", () => {
    for (const model of [
      "gpt-4o-mini",
      "gpt-4.1-nano",
      "gpt-5",
      "o4-mini",
      "openai/gpt-4o",
      "ft:gpt-4o-mini:acme::1",
    ])
      expect(modelSeesImages("auto", model, false), model).toBe(true);
    for (const model of ["gpt-3.5-turbo", "o1-mini", "o3-mini", "llama3.1:8b", "qwen2.5"])
      expect(modelSeesImages("auto", model, false), model).toBe(false);
  });

  it("lets the operator decide with on and off", () => {
    expect(modelSeesImages("on", "llava:13b", false)).toBe(true);
    expect(modelSeesImages("off", "gpt-4o", false)).toBe(false);
  });
});
