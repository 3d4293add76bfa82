import { describe, expect, it } from "vitest";
import { sniff } from "../../../src/core/attachments/sniff.js";
import { pdfWithText, pngImage, textBytes, zipBytes } from "../../support/files.js";

describe("what a file really is", () => {
  it("goes by the bytes, not the name", async () => {
    expect(sniff(await pngImage(4, 4), "notes.txt")).toEqual({ kind: "image", mime: "image/png" });
    expect(sniff(zipBytes(), "photo.png")).toMatchObject({ kind: "other", label: "ZIP archive" });
    expect(sniff(pdfWithText("hi"), "x.bin")).toEqual({ kind: "pdf", mime: "application/pdf" });
  });

  it("reads text files in UTF-8 and labels them by their extension", () => {
    expect(sniff(textBytes("a,b\n1,2\n"), "data.csv")).toMatchObject({ kind: "text", mime: "text/csv" });
    expect(sniff(textBytes('{"a": "é"}'), "x.json")).toMatchObject({ kind: "text", text: '{"a": "é"}' });
    expect(sniff(textBytes("fn main() {}"), "main.rs")).toMatchObject({ kind: "text", mime: "text/plain" });
  });

  it("does not take binary data for text", () => {
    expect(sniff(new Uint8Array([0x00, 0x01, 0x02, 0x03, 0xff]), "dump.log")).toMatchObject({
      kind: "other",
    });
  });
});
