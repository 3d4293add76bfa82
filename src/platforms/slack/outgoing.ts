/**
 * The one door every string leaves through on its way to Slack: SlackApi.call (every Web API
 * method), SlackApi.respond (response_url) and the slash command's ack all pass their payload
 * through `outgoing`, so no rendering path can forget it.
 *
 * Rule: text the model (or anyone else) wrote never pings. Slack turns `<!here>`, `<!channel>`,
 * `<!everyone>`, `<!subteam^ID>` and `<@U123>` into notifications in mrkdwn, and the markdown
 * block and native streams may do the same, also for a markdown link whose target is such a
 * token (`[everyone](!channel)`). We cannot see how Slack decodes, so a string is judged by its
 * "skeleton": HTML entities and %-escapes decoded, zero-width and other invisible characters
 * dropped, NFKC applied (fullwidth `＜` is `<`). Where the skeleton holds a ping, the original
 * is patched at that spot: the opening `<` becomes `‹` (readable, and no decoding turns it back
 * into `<`), and a link bracket `](`/`]:` before a ping target gets a space, so it is no link.
 *
 * The bot's own mentions (the person who shared a summary) are written with `trustedMention`:
 * a token with a per-process secret that only this module expands, after defusing.
 */
import { randomBytes } from "node:crypto";

/** `‹` SINGLE LEFT-POINTING ANGLE QUOTATION MARK: no normalization maps it to `<`. */
const DEFUSED_LT = "\u2039";

/**
 * Characters Slack's clients do not show and a decoder might drop: format characters (zero-width
 * space/joiners, bidi marks, soft hyphen, word joiner, BOM, tags) plus the filler and variation
 * characters that are not in that category.
 */
const INVISIBLE = /\p{Cf}|\u034F|[\u115F\u1160\u17B4\u17B5\u3164\uFFA0]|[\u180B-\u180F]|[\uFE00-\uFE0F]/u;

/**
 * Entities a markdown or HTML decoder resolves (CommonMark: numeric ones have at most 7 decimal
 * or 6 hex digits; HTML5 also has `&LT;`/`&GT;`/`&AMP;`), and the %-escapes of the characters a
 * ping is made of.
 */
const ENCODED =
  /^(?:&(?:(lt|gt|amp|LT|GT|AMP|excl|commat|lsqb|rsqb|lbrack|rbrack|lpar|rpar|colon|bsol);|(lt|LT)(?![a-zA-Z;])|#([0-9]{1,7});|#[xX]([0-9a-fA-F]{1,6});)|%(3[cC]|21|40|5[dD]|28|3[aA]|5[cC]))/;
const NAMED: Record<string, string> = {
  lt: "<",
  gt: ">",
  amp: "&",
  excl: "!",
  commat: "@",
  lsqb: "[",
  rsqb: "]",
  lbrack: "[",
  rbrack: "]",
  lpar: "(",
  rpar: ")",
  colon: ":",
  bsol: "\\",
};

/** `<` opening a user mention or a broadcast / group ping (Slack matches these case-insensitively). */
const PING_OPEN = /<(?=\\?(?:@|!(?:here|channel|everyone|subteam|group|usergroup)))/giu;
/** A markdown link or reference definition whose target is a ping: `](!channel)`, `]: <@U1>`. */
const PING_LINK = /\](?=[(:]\s*<?\\?[!@])/gu;

/**
 * How many non-space skeleton characters after a `<`, `]`, `&` or `%` settle whether it starts
 * a ping: the longest pattern (`](` + `<` + `\` + `!`) needs 4, an entity 10 raw characters.
 */
const SETTLE_CHARS = 16;
const TRIGGERS = new Set(["<", "]", "&", "%"]);
/** Raw characters looked at from the end first (entities can make SETTLE_CHARS 10x longer). */
const SETTLE_TAIL_CHARS = 512;

interface Skeleton {
  text: string;
  /** Original [start, end) of each skeleton character. */
  from: number[];
  to: number[];
}

function skeleton(s: string): Skeleton {
  let text = "";
  const from: number[] = [];
  const to: number[] = [];
  const push = (chars: string, start: number, end: number) => {
    for (const c of chars) {
      text += c;
      from.push(start);
      to.push(end);
    }
  };
  let i = 0;
  while (i < s.length) {
    const c = s[i] ?? "";
    if (c === "&" || c === "%") {
      const m = ENCODED.exec(s.slice(i, i + 12));
      if (m) {
        push(decoded(m), i, i + m[0].length);
        i += m[0].length;
        continue;
      }
    }
    const cp = s.codePointAt(i) ?? 0;
    if (cp < 0x80) {
      // ASCII (most text): never invisible, and NFKC leaves it as it is.
      push(c, i, i + 1);
      i++;
      continue;
    }
    const ch = String.fromCodePoint(cp);
    if (!INVISIBLE.test(ch)) push(ch.normalize("NFKC"), i, i + ch.length);
    i += ch.length;
  }
  return { text, from, to };
}

function decoded(m: RegExpExecArray): string {
  const [, named, bareLt, dec, hex, pct] = m;
  // HTML also spells the first three in capitals (`&LT;`, and `&LT` without the semicolon).
  if (named) return NAMED[named.toLowerCase()] ?? "";
  if (bareLt) return "<";
  const cp = dec ? Number(dec) : hex ? Number.parseInt(hex, 16) : Number.parseInt(pct ?? "0", 16);
  return cp > 0 && cp <= 0x10ffff ? String.fromCodePoint(cp).normalize("NFKC") : "";
}

/** The text with every ping made inert (idempotent; text without pings comes back unchanged). */
export function defuseMentions(text: string): string {
  if (text === "") return text;
  const sk = skeleton(text);
  // Patches in the original: [start, end, replacement]. A span may be found twice (NFKC can
  // expand one character into several); the first wins.
  const patches = new Map<number, [number, string]>();
  for (const m of sk.text.matchAll(PING_OPEN)) {
    const k = m.index;
    const start = sk.from[k] ?? 0;
    if (!patches.has(start)) patches.set(start, [sk.to[k] ?? start + 1, DEFUSED_LT]);
  }
  for (const m of sk.text.matchAll(PING_LINK)) {
    const k = m.index;
    const start = sk.from[k] ?? 0;
    const end = sk.to[k] ?? start + 1;
    if (!patches.has(start)) patches.set(start, [end, `${text.slice(start, end)} `]);
  }
  if (patches.size === 0) return text;
  let out = "";
  let at = 0;
  for (const start of [...patches.keys()].sort((a, b) => a - b)) {
    const [end, replacement] = patches.get(start) ?? [start, ""];
    if (start < at) continue;
    out += text.slice(at, start) + replacement;
    at = end;
  }
  return out + text.slice(at);
}

/**
 * The length of the prefix of (already defused) `text` that no later text can turn into a ping:
 * a native stream appends only this much, so a `<` at the end of one delta and `!here>` at the
 * start of the next never meet in what Slack shows. The rest waits for more text or the end.
 */
export function settledLength(text: string): number {
  // Only the end matters; a tail this long holds SETTLE_CHARS visible characters unless it is
  // mostly spaces or invisible characters, and then the whole text is looked at.
  for (const from of [Math.max(0, text.length - SETTLE_TAIL_CHARS), 0]) {
    const sk = skeleton(text.slice(from));
    let seen = 0;
    let cut = text.length;
    for (let k = sk.text.length - 1; k >= 0 && seen < SETTLE_CHARS; k--) {
      const c = sk.text[k] ?? "";
      // An entity already decoded to `<`/`]` counts; a raw `&`/`%` may still become one.
      if (TRIGGERS.has(c)) cut = from + (sk.from[k] ?? 0);
      if (!/\s/u.test(c)) seen++;
    }
    if (seen >= SETTLE_CHARS || from === 0) return cut;
  }
  return 0;
}

// --- the bot's own mentions ---------------------------------------------------------------------

/** Private-use brackets around a trusted mention; stray ones are removed on the way out. */
const TRUSTED_OPEN = "\uE010";
const TRUSTED_CLOSE = "\uE011";
/** Never leaves the process: model text cannot forge a trusted mention without knowing it. */
const TRUSTED_SECRET = randomBytes(8).toString("hex");
const TRUSTED = new RegExp(`${TRUSTED_OPEN}${TRUSTED_SECRET}([UW][A-Z0-9]+)${TRUSTED_CLOSE}`, "g");
const STRAY = new RegExp(`[${TRUSTED_OPEN}${TRUSTED_CLOSE}]`, "g");

/** A real `<@U…>` mention, written by the bot itself (not by the model). */
export function trustedMention(userId: string): string {
  return /^[UW][A-Z0-9]+$/.test(userId)
    ? `${TRUSTED_OPEN}${TRUSTED_SECRET}${userId}${TRUSTED_CLOSE}`
    : "someone";
}

function finalString(s: string): string {
  if (!s.includes(TRUSTED_OPEN) && !s.includes(TRUSTED_CLOSE)) return defuseMentions(s);
  // Stray brackets go before defusing: removed after it, `<\uE010@U1>` would close up into a
  // live `<@U1>`. split() with the capture group alternates text and trusted user ids.
  return s
    .split(TRUSTED)
    .map((part, i) => (i % 2 === 1 ? `<@${part}>` : defuseMentions(part.replace(STRAY, ""))))
    .join("");
}

/**
 * A Slack payload (Web API arguments, response_url body, ack) with every string in it, at any
 * depth (text, blocks, markdown_text, chunks, status...), made safe. Ids and timestamps have no
 * `<`, so they pass unchanged. `parse`/`link_names` are dropped: with them Slack would turn plain
 * `@here` words into pings.
 */
export function outgoing<T extends Record<string, unknown>>(payload: T): T {
  const { parse: _parse, link_names: _linkNames, ...rest } = payload;
  return walk(rest) as T;
}

function walk(value: unknown): unknown {
  if (typeof value === "string") return finalString(value);
  if (Array.isArray(value)) return value.map(walk);
  if (isPlainObject(value)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = walk(v);
    return out;
  }
  return value;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== "object") return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}
