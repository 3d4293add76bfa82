/**
 * The conversation engine's public face for adapters. (Skeleton: signatures are the contract;
 * bodies are being written.)
 */
import type { Logger } from "../log.js";
import type { Metrics } from "../metrics.js";
import type { ChatModel, MessageSink, Store, ThrottlePolicy, TokenCounter, ToolRunner } from "./ports.js";
import type { IncomingMessage, Platform, TranscriptLine } from "./types.js";

export interface ConversationSettings {
  botName: string;
  /** Replaces the built-in support-assistant prompt when set. */
  systemPrompt?: string | undefined;
  throttle: ThrottlePolicy;
  dedupTtlMs: number;
  lockTtlMs: number;
  /** How long a message waits for an earlier turn in the same thread before it gives up. */
  lockWaitMs: number;
  historyMaxTurns: number;
  historyTtlMs: number;
  /** Tokens of system prompt + history + new message sent to the model. */
  contextTokenBudget: number;
  maxOutputTokens: number;
  /** Longer messages are refused with a notice (not truncated: half a question gets a wrong answer). */
  maxInputChars: number;
  maxToolRounds: number;
}

export interface ConversationDeps {
  store: Store;
  model: ChatModel;
  tokens: TokenCounter;
  tools: ToolRunner;
  log: Logger;
  metrics: Metrics;
  settings: ConversationSettings;
}

export type TurnOutcome =
  | "answered"
  | "stopped"
  | "error"
  | "throttled"
  | "duplicate"
  | "busy"
  | "rejected"
  | "unavailable";

export interface TurnResult {
  turnId: string;
  outcome: TurnOutcome;
  /** The final text shown to the user (answer, or answer + notice). */
  text: string;
  usage: { inputTokens: number; outputTokens: number };
  /** Error code when the outcome is not `answered`. */
  code?: string;
}

export interface SummarizeRequest {
  platform: Platform;
  workspaceId: string;
  channelId: string;
  userId: string;
  /** Unique id of the request (slash command trigger id, interaction id): dedup key and turn id. */
  requestId: string;
  /** Oldest first. Adapters drop bot messages and joins before handing lines over. */
  lines: TranscriptLine[];
  sink: MessageSink;
  /** What is summarized, for the model and the heading ("#general, last 300 messages"). */
  subject: string;
  signal?: AbortSignal;
}

/** The id under which a running turn can be cancelled (e.g. by a Stop button). */
export function turnIdOf(platform: Platform, messageId: string): string {
  return `${platform}:${messageId}`;
}

export class Conversation {
  constructor(readonly deps: ConversationDeps) {}

  /** Answer one incoming chat message into `sink`. Never throws: every failure ends as a notice. */
  async handle(
    _msg: IncomingMessage,
    _sink: MessageSink,
    _opts: { signal?: AbortSignal } = {},
  ): Promise<TurnResult> {
    throw new Error("not yet");
  }

  /** Stream a summary of `lines` into the sink; long inputs are summarized in chunks and combined. */
  async summarize(_req: SummarizeRequest): Promise<TurnResult> {
    throw new Error("not yet");
  }

  /** Stop a running turn (Stop button). True if it was running in this process. */
  cancel(_turnId: string): boolean {
    return false;
  }

  /** Turns running in this process now. */
  get activeTurns(): number {
    return 0;
  }

  /**
   * Shutdown: refuse new turns, let running ones finish until `deadlineMs`, then stop the rest
   * (their messages are finalized with a notice and their locks released).
   */
  async drain(_deadlineMs: number): Promise<void> {}
}
