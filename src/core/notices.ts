/**
 * Every sentence a user sees when something is not a normal answer, in one place. Each error
 * of `errors.ts` maps to one short, friendly line that says what happened and what to do.
 */
import {
  BusyError,
  InputError,
  LlmError,
  PlatformError,
  ShuttingDownError,
  StoreError,
  ThrottledError,
  ToolError,
} from "./errors.js";

/** "in 42 seconds", "in 3 minutes", "in about 5 hours". */
export function humanDelay(ms: number): string {
  const s = Math.max(1, Math.ceil(ms / 1000));
  if (s < 90) return `in ${s} second${s === 1 ? "" : "s"}`;
  const m = Math.ceil(s / 60);
  if (m < 90) return `in ${m} minutes`;
  const h = Math.round(m / 60);
  return `in about ${h} hour${h === 1 ? "" : "s"}`;
}

export function noticeFor(err: unknown): string {
  if (err instanceof ThrottledError) {
    return err.reason === "rate"
      ? `You're sending messages faster than I can answer. Please try again ${humanDelay(err.retryAfterMs)}.`
      : `You've used today's answer budget. Please try again ${humanDelay(err.retryAfterMs)} (it resets at midnight UTC).`;
  }
  if (err instanceof ShuttingDownError) {
    return "I'm restarting right now. Please send that again in a moment.";
  }
  if (err instanceof BusyError) {
    return "I'm still working on an earlier message in this conversation. Please send yours again in a moment.";
  }
  if (err instanceof InputError) {
    if (err.code === "empty_message") return "I didn't get any text. What can I help you with?";
    return `That message is too long for me (${(err.detail.length ?? 0).toLocaleString("en-US")} characters; the limit is ${(err.detail.limit ?? 0).toLocaleString("en-US")}). Please shorten it or send the key part.`;
  }
  if (err instanceof LlmError) {
    switch (err.code) {
      case "rate_limited":
        return "The AI service is busy right now. Please try again in a minute.";
      case "timeout":
        return "The AI service took too long to answer. Please try again.";
      case "context_length":
        return "This conversation got too long for me to follow. Please start a new thread.";
      case "auth":
        return "I can't reach the AI service because of a configuration problem. An administrator has been notified in the logs.";
      case "bad_request":
        return "The AI service refused this request. Please rephrase and try again.";
      case "interrupted":
        return "The connection to the AI service broke off, so this answer is incomplete. Please ask again.";
      case "cancelled":
        return "Stopped.";
      default:
        return "The AI service is unavailable right now. Please try again in a few minutes.";
    }
  }
  if (err instanceof StoreError) {
    return "I can't reach my conversation store right now, so I can't answer safely. Please try again in a minute.";
  }
  if (err instanceof ToolError || err instanceof PlatformError) {
    return "Something went wrong while I was working on that. Please try again.";
  }
  return "Something went wrong on my side. Please try again.";
}

/** Appended to an answer that stopped early, in italics under the text. */
export const SUFFIX = {
  stopped: "_(stopped)_",
  shutdown: "_(stopped: the assistant is restarting; please ask again in a moment)_",
  length: "_(This answer was cut short because it reached the length limit. Ask me to continue.)_",
  interrupted:
    "_(The connection to the AI service broke off, so this answer is incomplete. Please ask again.)_",
  timeout: "_(The AI service took too long, so this answer is incomplete. Please ask again.)_",
  storeLost: "_(I couldn't save this exchange, so I may not remember it in the next message.)_",
  /** Personal details were delivered privately (the answer itself is in a shared conversation). */
  sentEphemeral:
    "_(I sent the details only to you, in a message nobody else here can see: personal data is never shown in a shared conversation.)_",
  sentByDm:
    "_(I sent the details to you in a direct message: personal data is never shown in a shared conversation.)_",
  privateFailed:
    "_(I couldn't send you the details privately (are your direct messages closed?), and personal data is never shown in a shared conversation. Please ask me in a direct message.)_",
  toolRounds:
    "_(I stopped looking things up after several tries. Please rephrase if this didn't answer your question.)_",
} as const;

export function withSuffix(text: string, suffix: string): string {
  return text.trim() === "" ? suffix : `${text.trimEnd()}\n\n${suffix}`;
}
