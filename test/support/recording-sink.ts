import { PlatformError } from "../../src/core/errors.js";
import type { MessageSink, MessageState, SinkLimits } from "../../src/core/ports.js";

export interface SinkCall {
  op: "post" | "edit" | "notice" | "status";
  ref?: string;
  text: string;
  state?: MessageState;
  at: number;
}

/**
 * A MessageSink that records what a user would see. Optionally answers some calls with a
 * rate-limit error, like a platform's 429.
 */
export class RecordingSink implements MessageSink {
  readonly calls: SinkCall[] = [];
  readonly messages = new Map<string, { text: string; state: MessageState }>();
  readonly notices: string[] = [];
  private next = 1;
  /** Return a retry-after (ms) to make this call fail with a 429. */
  rateLimit: ((call: SinkCall) => number | undefined) | null = null;
  failPosts = false;
  readonly limits: SinkLimits;

  constructor(limits: Partial<SinkLimits> = {}) {
    this.limits = {
      maxChars: 4000,
      scope: "test-scope",
      scopeEdits: 1000,
      windowMs: 1000,
      minEditIntervalMs: 0,
      ...limits,
    };
  }

  async post(text: string, state: MessageState): Promise<string> {
    const call: SinkCall = { op: "post", text, state, at: Date.now() };
    this.check(call);
    if (this.failPosts) throw new PlatformError("test", "channel_not_found", "channel_not_found");
    const ref = `m${this.next++}`;
    call.ref = ref;
    this.calls.push(call);
    this.messages.set(ref, { text, state });
    return ref;
  }

  async edit(ref: string, text: string, state: MessageState): Promise<void> {
    const call: SinkCall = { op: "edit", ref, text, state, at: Date.now() };
    this.check(call);
    this.calls.push(call);
    this.messages.set(ref, { text, state });
  }

  async notice(text: string): Promise<void> {
    this.calls.push({ op: "notice", text, at: Date.now() });
    this.notices.push(text);
  }

  async status(text: string): Promise<void> {
    this.calls.push({ op: "status", text, at: Date.now() });
  }

  /** The messages in posting order, as the user sees them now. */
  get visible(): { text: string; state: MessageState }[] {
    return [...this.messages.values()];
  }

  /** All visible message texts joined, as one answer. */
  get answer(): string {
    return this.visible.map((m) => m.text).join("\n");
  }

  private check(call: SinkCall): void {
    const retry = this.rateLimit?.(call);
    if (retry !== undefined) {
      this.calls.push({ ...call, text: `429:${call.text}` });
      throw new PlatformError("test", "ratelimited", "rate limited", retry);
    }
  }
}
