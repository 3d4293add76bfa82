/**
 * Redaction before the model (REDACT_BEFORE_MODEL): matched values become stable placeholders
 * ("[email 1]") in everything the model is sent, and placeholders become the values again in
 * what comes back (tool arguments before a tool runs, the answer the person reads). One
 * `RedactionSession` per turn: the same value gets the same placeholder in every message and
 * round of that turn, numbered in order of first appearance, so the next turn (which redacts the
 * stored originals again) numbers them the same way.
 */
import type { ModelMessage } from "../types.js";
import { DETECTORS, LABELS, type RedactKind, type Span } from "./detectors.js";

/** Cards first (their digits could read as a phone), then emails, then phones. */
const ORDER: readonly RedactKind[] = ["cards", "emails", "phones"];

const PLACEHOLDER = /\[(email|phone|card) (\d{1,4})\]/gi;
/** The longest placeholder ("[email 9999]"): a streamed "[" is held back at most this long. */
const PLACEHOLDER_MAX_CHARS = 12;

export class RedactionSession {
  private readonly byValue = new Map<string, string>();
  private readonly byPlaceholder = new Map<string, string>();
  private readonly counts = new Map<string, number>();

  constructor(private readonly kinds: readonly RedactKind[]) {}

  /** Values replaced so far (for logs: how many, never which). */
  get replaced(): number {
    return this.byValue.size;
  }

  redact(text: string): string {
    let out = text;
    for (const kind of ORDER) {
      if (!this.kinds.includes(kind)) continue;
      out = replaceSpans(out, nonOverlapping(DETECTORS[kind](out)), (value) => this.placeholder(kind, value));
    }
    return out;
  }

  /** Placeholders of this session back to their values; unknown ones stay as written. */
  restore(text: string): string {
    return text.replace(PLACEHOLDER, (whole) => this.byPlaceholder.get(whole.toLowerCase()) ?? whole);
  }

  /** Every message as the model should see it (the system prompt is ours and left alone). */
  redactMessages(messages: ModelMessage[]): ModelMessage[] {
    return messages.map((m): ModelMessage => {
      if (m.role === "system") return m;
      if (m.role === "user" || m.role === "tool") return { ...m, content: this.redact(m.content) };
      return {
        ...m,
        content: m.content === null ? null : this.redact(m.content),
        ...(m.toolCalls
          ? { toolCalls: m.toolCalls.map((c) => ({ ...c, arguments: this.redact(c.arguments) })) }
          : {}),
      };
    });
  }

  /** A restorer for one stream of text deltas (a placeholder may arrive split over deltas). */
  streamRestorer(): { push(delta: string): string; flush(): string } {
    let held = "";
    return {
      push: (delta: string) => {
        const text = held + delta;
        const open = text.lastIndexOf("[");
        const cut =
          open >= 0 && !text.includes("]", open) && text.length - open < PLACEHOLDER_MAX_CHARS
            ? open
            : text.length;
        held = text.slice(cut);
        return this.restore(text.slice(0, cut));
      },
      flush: () => {
        const rest = held;
        held = "";
        return this.restore(rest);
      },
    };
  }

  private placeholder(kind: RedactKind, value: string): string {
    const known = this.byValue.get(value);
    if (known) return known;
    const n = (this.counts.get(kind) ?? 0) + 1;
    this.counts.set(kind, n);
    const placeholder = `[${LABELS[kind]} ${n}]`;
    this.byValue.set(value, placeholder);
    this.byPlaceholder.set(placeholder, value);
    return placeholder;
  }
}

function nonOverlapping(spans: Span[]): Span[] {
  const sorted = [...spans].sort((a, b) => a.start - b.start || b.end - a.end);
  const out: Span[] = [];
  for (const s of sorted) {
    const last = out[out.length - 1];
    if (!last || s.start >= last.end) out.push(s);
  }
  return out;
}

function replaceSpans(text: string, spans: Span[], replace: (value: string) => string): string {
  let out = "";
  let at = 0;
  for (const s of spans) {
    out += text.slice(at, s.start) + replace(text.slice(s.start, s.end));
    at = s.end;
  }
  return out + text.slice(at);
}
