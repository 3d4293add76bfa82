/**
 * What `REDACT_BEFORE_MODEL` can keep from the model: email addresses, phone numbers and payment
 * card numbers. Each detector finds spans in a text; the redactor replaces them with placeholders.
 *
 * Cards: 13 to 19 digits, optionally in groups split by single spaces or dashes, starting with a
 * card network's first digit (2-6: Mastercard, Amex, Diners, JCB, Visa, Discover, UnionPay) and
 * passing the Luhn check. Luhn alone lets one random number in ten through; with the first digit
 * most order numbers, tracking numbers and timestamps (which start 1: epoch seconds) never qualify.
 * Phones: international numbers starting with "+" (E.164, 8 to 15 digits, separators allowed),
 * North American "(415) 555-2671" / "415-555-2671" / "415.555.2671" (area code and exchange
 * starting 2-9, as every NANP number does), and national numbers with a
 * leading 0 in groups ("020 7946 0958", "06 12 34 56 78", "030-1234567", 9 to 12 digits). A bare run
 * of digits is never a phone (it is an order id as often as not), and neither is anything with a
 * four-digit group first or last that reads as a year ("2024-01-15", "15.01.2024").
 */

export const REDACT_KINDS = ["emails", "phones", "cards"] as const;
export type RedactKind = (typeof REDACT_KINDS)[number];

/** The word in a placeholder ("[email 1]"). */
export const LABELS: Record<RedactKind, string> = { emails: "email", phones: "phone", cards: "card" };

export interface Span {
  start: number;
  end: number;
}

const EMAIL =
  /[A-Za-z0-9._%+-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*\.[A-Za-z]{2,}/g;

/** Not glued to a word, a longer number, an id prefix ("ORD-", "#") or a decimal point. */
const BEFORE = String.raw`(?<![\w#@.+/-])`;
const AFTER = String.raw`(?![\w@/]|[.-]\d)`;

const CARD = new RegExp(`${BEFORE}\\d(?:[ -]?\\d){12,18}${AFTER}`, "g");

const PHONES = [
  // International: "+" and 8-15 digits, groups split by a space, dot or dash, maybe "(0)" or "(20)".
  new RegExp(`(?<![\\w+])\\+[1-9](?:[ .-]?\\(?\\d{1,4}\\)?){2,7}${AFTER}`, "g"),
  // North American: (415) 555-2671, 415-555-2671, 415.555.2671, 415 555 2671. Area code and
  // exchange start 2-9 (NANP), which keeps ids such as 100-200-3000 out.
  new RegExp(`${BEFORE}(?:\\([2-9]\\d{2}\\) ?|[2-9]\\d{2}[ .-])[2-9]\\d{2}[ .-]\\d{4}${AFTER}`, "g"),
  // National with a trunk 0: 020 7946 0958, 06 12 34 56 78, 030-1234567, 0171 1234567.
  new RegExp(`${BEFORE}0\\d{1,4}(?:[ -]\\d{2,8}){1,4}${AFTER}`, "g"),
];

const digitsOf = (text: string) => text.replace(/\D/g, "");

/** Luhn checksum (ISO/IEC 7812): every card number passes it, few other numbers do. */
export function luhnValid(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = Number(digits[digits.length - 1 - i]);
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return digits.length > 0 && sum % 10 === 0;
}

/** A date or a year-led number is not a phone: a group of four digits starting 19 or 20 first or last. */
function looksLikeDate(text: string): boolean {
  const groups = text.split(/[^\d]+/).filter((g) => g !== "");
  const year = (g: string | undefined) => g !== undefined && /^(19|20)\d\d$/.test(g);
  return groups.length >= 3 && (year(groups[0]) || year(groups[groups.length - 1]));
}

function matches(re: RegExp, text: string, keep: (match: string) => boolean): Span[] {
  const spans: Span[] = [];
  for (const m of text.matchAll(re)) {
    if (keep(m[0])) spans.push({ start: m.index, end: m.index + m[0].length });
  }
  return spans;
}

export const DETECTORS: Record<RedactKind, (text: string) => Span[]> = {
  emails: (text) => matches(EMAIL, text, () => true),
  cards: (text) =>
    matches(CARD, text, (m) => {
      const digits = digitsOf(m);
      return digits.length >= 13 && digits.length <= 19 && /^[2-6]/.test(digits) && luhnValid(digits);
    }),
  phones: (text) =>
    PHONES.flatMap((re, i) =>
      matches(re, text, (m) => {
        const n = digitsOf(m).length;
        if (looksLikeDate(m)) return false;
        if (i === 0) return n >= 8 && n <= 15;
        if (i === 2) return n >= 9 && n <= 12;
        return true;
      }),
    ),
};
