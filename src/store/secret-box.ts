/**
 * Encryption at rest for secrets the service keeps (Slack bot tokens): AES-256-GCM with a random
 * 96-bit IV per record, the record's id as additional data (a sealed value copied under another
 * id does not open), and the id of the key that sealed it in the record.
 *
 * SECRETS_KEY is a comma-separated list of 32-byte keys (base64 or hex): the first seals, every
 * one opens. Rotation: list the new key after the old one everywhere, then put it first (start-up
 * re-seals the installations), then drop the old key (docs/slack-install.md).
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from "node:crypto";

const ALGORITHM = "aes-256-gcm";
const KEY_BYTES = 32;
/** GCM's standard nonce size; random per record (2^32 records per key stay far from collisions). */
const IV_BYTES = 12;
const TAG_BYTES = 16;
const VERSION = "v1";

export interface SecretKey {
  /** Short public fingerprint of the key (a hash prefix), stored in each record it seals. */
  id: string;
  key: Buffer;
}

/** Thrown when a record cannot be opened: unknown key id, tampered or foreign data. */
export class SecretBoxError extends Error {
  constructor(
    message: string,
    readonly keyId?: string,
  ) {
    super(message);
    this.name = "SecretBoxError";
  }
}

/** Parse SECRETS_KEY; throws with a message naming what is wrong (never the key itself). */
export function parseSecretKeys(value: string): SecretKey[] {
  const parts = value
    .split(",")
    .map((p) => p.trim())
    .filter((p) => p !== "");
  if (parts.length === 0) throw new Error("expected at least one key");
  const keys = parts.map((part, i) => {
    const key = /^[0-9a-fA-F]{64}$/.test(part) ? Buffer.from(part, "hex") : Buffer.from(part, "base64");
    if (key.length !== KEY_BYTES || (!/^[0-9a-fA-F]{64}$/.test(part) && !/^[A-Za-z0-9+/_-]+=*$/.test(part))) {
      throw new Error(
        `key ${i + 1} is not 32 bytes in base64 or hex (make one with: openssl rand -base64 32)`,
      );
    }
    return { id: keyIdOf(key), key };
  });
  if (new Set(keys.map((k) => k.id)).size !== keys.length) throw new Error("the same key is listed twice");
  return keys;
}

function keyIdOf(key: Buffer): string {
  return createHash("sha256").update("chatbot secrets key id\0").update(key).digest("hex").slice(0, 8);
}

export class SecretBox {
  private readonly byId: Map<string, Buffer>;

  constructor(private readonly keys: SecretKey[]) {
    if (keys.length === 0) throw new Error("SecretBox needs at least one key");
    this.byId = new Map(keys.map((k) => [k.id, k.key]));
  }

  /** The id of the key that seals (the first one). */
  get currentKeyId(): string {
    return this.keys[0]?.id ?? "";
  }

  /** Encrypt `plaintext` for the record `context` (its id): `v1.keyId.iv.tag.ciphertext`. */
  seal(plaintext: string, context: string): string {
    const current = this.keys[0];
    if (!current) throw new Error("no key");
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv(ALGORITHM, current.key, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(Buffer.from(context, "utf8"));
    const body = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
    return [VERSION, current.id, b64(iv), b64(cipher.getAuthTag()), b64(body)].join(".");
  }

  /** Decrypt a sealed record; throws SecretBoxError when no listed key opens it. */
  open(sealed: string, context: string): string {
    const [version, keyId, iv, tag, body, ...rest] = sealed.split(".");
    if (version !== VERSION || !keyId || !iv || !tag || body === undefined || rest.length > 0) {
      throw new SecretBoxError("not a sealed record");
    }
    const key = this.byId.get(keyId);
    if (!key) throw new SecretBoxError(`sealed with key ${keyId}, which SECRETS_KEY does not list`, keyId);
    try {
      const decipher = createDecipheriv(ALGORITHM, key, unb64(iv), { authTagLength: TAG_BYTES });
      decipher.setAAD(Buffer.from(context, "utf8"));
      decipher.setAuthTag(unb64(tag));
      return Buffer.concat([decipher.update(unb64(body)), decipher.final()]).toString("utf8");
    } catch {
      throw new SecretBoxError(`record sealed with key ${keyId} does not open: tampered or foreign`, keyId);
    }
  }

  /** The ids of every listed key, sealing key first (for messages; ids are not secret). */
  get keyIds(): string[] {
    return this.keys.map((k) => k.id);
  }

  /** Whether a sealed record was sealed with another key than the current one (rotation pending). */
  isStale(sealed: string): boolean {
    return sealed.split(".")[1] !== this.currentKeyId;
  }
}

const b64 = (buf: Buffer) => buf.toString("base64url");
const unb64 = (text: string) => Buffer.from(text, "base64url");
