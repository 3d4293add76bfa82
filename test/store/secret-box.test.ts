import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { parseSecretKeys, SecretBox, SecretBoxError } from "../../src/store/secret-box.js";

const key = () => randomBytes(32).toString("base64");

describe("sealed secrets (SECRETS_KEY)", () => {
  it("opens what it sealed, and never seals the same text the same way twice", () => {
    const box = new SecretBox(parseSecretKeys(key()));
    const a = box.seal("xoxb-secret", "T:T1");
    const b = box.seal("xoxb-secret", "T:T1");
    expect(a).not.toBe(b); // a random IV per record
    expect(a).not.toContain("xoxb-secret");
    expect(box.open(a, "T:T1")).toBe("xoxb-secret");
  });

  it("refuses a record moved under another id, or tampered with", () => {
    const box = new SecretBox(parseSecretKeys(key()));
    const sealed = box.seal("xoxb-secret", "T:T1");
    expect(() => box.open(sealed, "T:T2")).toThrow(SecretBoxError);
    const parts = sealed.split(".");
    const body = Buffer.from(parts[4] ?? "", "base64url");
    body[0] = (body[0] ?? 0) ^ 1;
    parts[4] = body.toString("base64url");
    expect(() => box.open(parts.join("."), "T:T1")).toThrow(/does not open/);
  });

  it("seals with the first key, opens with any listed one, and names a key it does not have", () => {
    const [oldKey, newKey] = [key(), key()];
    const before = new SecretBox(parseSecretKeys(oldKey));
    const sealed = before.seal("xoxb-secret", "T:T1");
    const rotating = new SecretBox(parseSecretKeys(`${newKey},${oldKey}`));
    expect(rotating.open(sealed, "T:T1")).toBe("xoxb-secret");
    expect(rotating.isStale(sealed)).toBe(true);
    expect(rotating.isStale(rotating.seal("x", "T:T1"))).toBe(false);
    const after = new SecretBox(parseSecretKeys(newKey));
    expect(() => after.open(sealed, "T:T1")).toThrow(`sealed with key ${before.currentKeyId}`);
  });
});
