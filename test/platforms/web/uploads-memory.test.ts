/**
 * Memory under uploads: a web upload's bytes are handed to the core once and not kept for the
 * rest of the turn, and one address sends one message with files at a time.
 */
import { describe, expect, it } from "vitest";
import { toAttachments, UploadsInFlight } from "../../../src/platforms/web/uploads.js";

const LIMITS = { maxBytes: 1024, timeoutMs: 1000, signal: new AbortController().signal };

describe("web chat uploads in memory", () => {
  it("hands a file's bytes to the core once and then lets go of them", async () => {
    const [file] = toAttachments([{ name: "a.txt", size: 2, data: Buffer.from("ok").toString("base64") }])!;
    expect(Buffer.from(await file!.read(LIMITS)).toString()).toBe("ok");
    await expect(file!.read(LIMITS)).rejects.toMatchObject({ code: "download_failed" });
  });

  it("still calls a file sent without its bytes too big", async () => {
    const [file] = toAttachments([{ name: "huge.zip", size: 50_000_000 }])!;
    await expect(file!.read(LIMITS)).rejects.toMatchObject({ code: "too_big" });
  });

  it("lets one address send one message with files at a time, and the next once the first is in", () => {
    const gate = new UploadsInFlight(1, 2);
    const first = gate.enter("10.0.0.1");
    expect(first).toBeDefined();
    expect(gate.enter("10.0.0.1")).toBeUndefined();
    const other = gate.enter("10.0.0.2");
    expect(other).toBeDefined();
    // The process limit holds across addresses.
    expect(gate.enter("10.0.0.3")).toBeUndefined();
    first!();
    first!();
    expect(gate.enter("10.0.0.1")).toBeDefined();
    expect(gate.enter("10.0.0.3")).toBeUndefined();
    other!();
    expect(gate.enter("10.0.0.3")).toBeDefined();
  });
});
