/**
 * Where a private /summarize answer goes: the asker's ephemeral view, through the command's
 * response_url. An ephemeral message can be replaced only a few times (response_url: 5 uses in
 * 30 minutes), so the summary is not streamed there: it is delivered once per part when the part
 * is final, replacing the "Summarizing..." acknowledgement. Each part carries a Share button that
 * posts the summary to the channel for everyone.
 */
import type { MessageSink, MessageState, SinkLimits } from "../../core/ports.js";
import type { Logger } from "../../log.js";
import type { SlackApi } from "./api.js";
import { renderMessage, SHARE_ACTION_ID } from "./render.js";

/** A response_url answer should come back fast; Slack's own 3-second rule is for the ack. */
const RESPONSE_URL_TIMEOUT_MS = 10_000;

export interface SummaryTarget {
  channel: string;
  userId: string;
  responseUrl: string;
  /** Value of the Share button (a key the share handler can look the text up by). */
  shareValue?: string | undefined;
}

interface Part {
  text: string;
  state: MessageState;
  delivered: boolean;
}

export class EphemeralSummarySink implements MessageSink {
  private readonly parts: Part[] = [];
  private replacedAck = false;

  constructor(
    private readonly target: SummaryTarget,
    readonly limits: SinkLimits,
    private readonly deps: {
      api: SlackApi;
      log: Logger;
      /** Called with the whole summary so far whenever a part is delivered (for Share). */
      onDelivered?: (fullText: string) => Promise<void>;
    },
  ) {}

  /** Everything delivered so far, in order. */
  get text(): string {
    return this.parts.map((p) => p.text).join("\n\n");
  }

  async post(text: string, state: MessageState): Promise<string> {
    this.parts.push({ text, state, delivered: false });
    const ref = String(this.parts.length - 1);
    if (state !== "streaming") await this.deliver(this.parts.length - 1);
    return ref;
  }

  async edit(ref: string, text: string, state: MessageState): Promise<void> {
    const part = this.parts[Number(ref)];
    if (!part) return;
    part.text = text;
    part.state = state;
    if (state !== "streaming") await this.deliver(Number(ref));
  }

  async notice(text: string): Promise<void> {
    await this.respond({
      response_type: "ephemeral",
      replace_original: !this.replacedAck,
      ...renderMessage(text),
    });
    this.replacedAck = true;
  }

  private async deliver(index: number): Promise<void> {
    const part = this.parts[index];
    if (!part || part.delivered) return;
    if (this.deps.onDelivered)
      await this.deps.onDelivered(
        this.parts
          .slice(0, index + 1)
          .map((p) => p.text)
          .join("\n\n"),
      );
    const buttons = this.target.shareValue
      ? [
          {
            actionId: SHARE_ACTION_ID,
            label: "Share in channel",
            value: this.target.shareValue,
            style: "primary" as const,
          },
        ]
      : [];
    await this.respond({
      response_type: "ephemeral",
      replace_original: !this.replacedAck,
      ...renderMessage(part.text, buttons),
    });
    this.replacedAck = true;
    part.delivered = true;
  }

  /** response_url first; if it is used up or expired, chat.postEphemeral. */
  private async respond(body: Record<string, unknown>): Promise<void> {
    const { api } = this.deps;
    if (await api.respond(this.target.responseUrl, body, { timeoutMs: RESPONSE_URL_TIMEOUT_MS })) return;
    this.deps.log.info("sending the summary as an ephemeral message instead");
    const { response_type: _t, replace_original: _r, ...message } = body;
    await this.deps.api.call("chat.postEphemeral", {
      channel: this.target.channel,
      user: this.target.userId,
      ...message,
    });
  }
}
