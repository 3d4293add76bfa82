/**
 * The test's own judge of "would this ping someone in Slack?", written apart from the adapter's
 * defusing so the two cannot share a blind spot. It decodes a string the way a lenient reader
 * might (HTML entities as CommonMark resolves them, %-escapes, NFKC, invisible characters
 * dropped) and then looks for `<!here>`-style broadcasts, group pings and `<@U…>` mentions, in
 * mrkdwn form or as the target of a markdown link.
 */

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

/** Model text that would ping people if it reached Slack as written. */
export const HOSTILE = [
  "[everyone](!channel)",
  "[team](!subteam^S0123ABC)",
  "[x](@U123)",
  "[x](<!here>)",
  "[x]( \\!everyone )",
  "[[nested]](!here)",
  "![logo](!channel)",
  "[x](%21channel)",
  "[x](&#33;here)",
  "[ref][r]\n\n[r]: !everyone",
  "<!here>",
  "<!HERE>",
  "<!channel|channel>",
  "<!everyone>",
  "<!subteam^S0123ABC|@support-team>",
  "<@U123>",
  "<@W0456|bob>",
  "<\\!here>",
  "&lt;!channel&gt;",
  "&lt!here&gt",
  "&#60;!here&#62;",
  "&LT;!here&GT;",
  "&LT!channel&GT",
  "&#x3C;@U123&#x3E;",
  "%3C!everyone%3E",
  "<\u200b!here>",
  "<\u2060!\u200bch\u200dannel>",
  "<\u00ad@U123>",
  "\ufeff<\ufeff!everyone>",
  "＜!here＞",
  "﹤!channel﹥",
  "<！everyone>",
  "<＠U123>",
  "`<!here>` in code",
  "```\n<!channel>\n```",
];

const PING = /<\\?(?:@|!(?:here|channel|everyone|subteam|group|usergroup))/i;
const PING_LINK = /\][(:]\s*<?\\?[!@]/;

/** One decoding pass, as a reader decodes once: `&amp;#33;` shows as `&#33;`, not `!`. */
export function decodeLikeAReader(text: string): string {
  return text
    .replace(
      /&([a-z]+);|&(lt)(?![a-z;])|&#([0-9]{1,7});|&#x([0-9a-f]{1,6});|%([0-9a-f]{2})/gi,
      (m, name?: string, lt?: string, dec?: string, hex?: string, pct?: string) => {
        if (name || lt) return NAMED[(name ?? lt ?? "").toLowerCase()] ?? m;
        const n = dec ? Number(dec) : Number.parseInt(hex ?? pct ?? "", 16);
        return codePoint(n) ?? m;
      },
    )
    .normalize("NFKC")
    .replace(/\p{Cf}|\u034F|[\u115F\u1160\u17B4\u17B5\u3164\uFFA0]|[\u180B-\u180F]|[\uFE00-\uFE0F]/gu, "")
    .normalize("NFKC");
}

/** The pings in `text` (empty when it is safe). */
export function livePings(text: string): string[] {
  const s = decodeLikeAReader(text);
  const found: string[] = [];
  for (const re of [PING, PING_LINK]) {
    const g = new RegExp(re.source, `${re.flags}g`);
    for (const m of s.matchAll(g)) found.push(s.slice(Math.max(0, m.index - 10), m.index + 20));
  }
  return found;
}

/** Every string anywhere in `value`. */
export function stringsIn(value: unknown): string[] {
  if (typeof value === "string") return [value];
  if (Array.isArray(value)) return value.flatMap(stringsIn);
  if (value !== null && typeof value === "object") return Object.values(value).flatMap(stringsIn);
  return [];
}

function codePoint(n: number): string | undefined {
  return n > 0 && n <= 0x10ffff ? String.fromCodePoint(n) : undefined;
}
