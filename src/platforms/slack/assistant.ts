/**
 * Slack's assistant panel (Agents & AI Apps): each conversation is a thread in the DM with the
 * app. When the user opens one, greet them and offer suggested prompts; the first question
 * becomes the thread's title; while an answer is worked on, the thread shows a status
 * ("thinking...", "looking up your order..."), set by the answer sink.
 */
import type { KeyValueStore } from "../../core/ports.js";
import type { Logger } from "../../log.js";
import type { SlackApi } from "./api.js";
import { assistantThreadKey } from "./events.js";
import type { ChannelPacer } from "./rate-gates.js";
import { renderMessage } from "./render.js";

/** Slack shows at most 4 suggested prompts. */
export const SUGGESTED_PROMPTS = [
  { title: "Track an order", message: "Where is my order? My order number is " },
  { title: "Find a product", message: "Which of your products would you recommend for " },
  { title: "Check the weather", message: "What's the weather going to be in Berlin tomorrow?" },
];
/** Thread titles are short in Slack's history list. */
const TITLE_MAX_CHARS = 60;

export class AssistantThreads {
  constructor(
    private readonly deps: {
      api: SlackApi;
      kv: KeyValueStore;
      pacer: ChannelPacer;
      log: Logger;
      botName: string;
      /** How long a thread is remembered as an assistant thread (the history's lifetime). */
      ttlMs: number;
    },
  ) {}

  /** `assistant_thread_started`: remember the thread, greet, offer prompts. */
  async started(teamId: string, channel: string, threadTs: string): Promise<void> {
    const { api, kv, log } = this.deps;
    await kv
      .set(assistantThreadKey(teamId, channel, threadTs), "new", this.deps.ttlMs)
      .catch((err: unknown) => log.warn({ err }, "could not remember the assistant thread"));
    const results = await Promise.allSettled([
      this.deps.pacer.run(channel, () =>
        api.call("chat.postMessage", {
          channel,
          thread_ts: threadTs,
          ...renderMessage(
            `Hi! I'm ${this.deps.botName}. I can look up your orders, help you pick a product, or check the weather. What can I do for you?`,
          ),
        }),
      ),
      api.call("assistant.threads.setSuggestedPrompts", {
        channel_id: channel,
        thread_ts: threadTs,
        title: "Try one of these:",
        prompts: SUGGESTED_PROMPTS,
      }),
    ]);
    for (const r of results)
      if (r.status === "rejected") log.warn({ err: r.reason }, "assistant thread greeting failed");
  }

  /** True when the DM thread is one of Slack's assistant threads (status and title apply). */
  async isAssistantThread(teamId: string, channel: string, threadTs: string | undefined): Promise<boolean> {
    if (!threadTs) return false;
    const value = await this.deps.kv.get(assistantThreadKey(teamId, channel, threadTs)).catch(() => null);
    return value !== null;
  }

  /** Name a new assistant thread after its first question (best effort, once). */
  async titleFromFirstMessage(
    teamId: string,
    channel: string,
    threadTs: string,
    text: string,
  ): Promise<void> {
    const key = assistantThreadKey(teamId, channel, threadTs);
    if ((await this.deps.kv.get(key).catch(() => null)) !== "new") return;
    await this.deps.kv.set(key, "titled", this.deps.ttlMs);
    const title = text.length > TITLE_MAX_CHARS ? `${text.slice(0, TITLE_MAX_CHARS - 1).trimEnd()}…` : text;
    await this.deps.api
      .call("assistant.threads.setTitle", { channel_id: channel, thread_ts: threadTs, title })
      .catch((err: unknown) => this.deps.log.debug({ err }, "setTitle failed"));
  }
}
