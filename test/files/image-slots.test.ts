/**
 * Many images arriving at once are decoded a few at a time (each decode can hold hundreds of MB
 * of pixels); a wait for a free decoder ends with the attachment's time limit or the turn's Stop.
 */
import { describe, expect, it } from "vitest";
import { createSharpImageCodec } from "../../src/files/images.js";
import { Slots } from "../../src/platforms/download-slots.js";
import { pngImage } from "../support/files.js";

const LIMITS = { maxPixels: 2_000_000, maxBytes: 1_500_000 };

describe("image decoding slots", () => {
  it("decodes one image at a time when there is one slot, and the waiting one still gets read", async () => {
    const slots = new Slots(1);
    const codec = createSharpImageCodec({ slots });
    const png = await pngImage(64, 48);
    const first = codec.prepare(png, LIMITS);
    const second = codec.prepare(png, LIMITS);
    expect(slots.active).toBe(1);
    expect(slots.queued).toBe(1);
    const [a, b] = await Promise.all([first, second]);
    expect([a.width, b.width]).toEqual([64, 64]);
    expect(slots.active).toBe(0);
  });

  it("stops waiting for a slot when the turn is stopped", async () => {
    const slots = new Slots(1);
    const codec = createSharpImageCodec({ slots });
    const png = await pngImage(64, 48);
    const first = codec.prepare(png, LIMITS);
    const stop = new AbortController();
    const second = codec.prepare(png, { ...LIMITS, signal: stop.signal });
    stop.abort("stopped");
    await expect(second).rejects.toBe("stopped");
    await first;
    expect(slots.active).toBe(0);
  });
});
