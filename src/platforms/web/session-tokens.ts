/**
 * Web chat sessions are issued by the server, never chosen by the page: a session token is a
 * random id plus an HMAC of it under a key this process made at start. Only tokens this process
 * issued verify, so a page cannot pick (or guess) another tab's conversation. Issuing is free and
 * unlimited on purpose: a session is only a conversation, and nothing that limits a person (the
 * throttle, the token budget, the order-lookup failure limit) is keyed on it (see routes.ts).
 *
 * The key lives only in memory: after a restart old tokens no longer verify and the page starts a
 * new conversation (it is told so). The chat is for local use; one process serves it.
 */
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";

/** 16 random bytes: unguessable; base64url keeps the token URL- and header-safe. */
const ID_BYTES = 16;
/** 128 bits of HMAC-SHA256 are far beyond what online guessing can reach. */
const MAC_BYTES = 16;

/** `<id>.<mac>`, both base64url without padding (22 characters each). */
export const SESSION_TOKEN_PATTERN = /^[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{22}$/;

export class SessionTokens {
  constructor(private readonly key: Buffer = randomBytes(32)) {}

  /** A new session token. */
  issue(): string {
    const id = randomBytes(ID_BYTES).toString("base64url");
    return `${id}.${this.mac(id).toString("base64url")}`;
  }

  /** The session id inside a token this process issued; undefined for anything else. */
  verify(token: string): string | undefined {
    if (!SESSION_TOKEN_PATTERN.test(token)) return undefined;
    const [id = "", mac = ""] = token.split(".");
    const given = Buffer.from(mac, "base64url");
    const expected = this.mac(id);
    return given.length === expected.length && timingSafeEqual(given, expected) ? id : undefined;
  }

  private mac(id: string): Buffer {
    return createHmac("sha256", this.key).update(id).digest().subarray(0, MAC_BYTES);
  }
}
