/**
 * The ports the core needs. `store/`, `llm/`, `tools/` and the platform adapters implement
 * them; only `main.ts` wires concrete implementations in.
 */
import type { Audience, ModelMessage, StoredTurn, ToolCall } from "./types.js";

// ---------------------------------------------------------------------------------------------
// Stores
// ---------------------------------------------------------------------------------------------

export interface ThrottlePolicy {
  /** Requests allowed per user in any sliding window of `windowMs` (all of them may come at once). */
  requests: number;
  windowMs: number;
  /** Model tokens (in + out) a user may spend per UTC day. */
  dailyTokens: number;
}

export type AdmitDecision =
  | { kind: "ok" }
  | { kind: "duplicate" }
  | { kind: "throttled"; reason: "rate" | "tokens"; retryAfterMs: number };

/** Dedup and per-user throttle, decided atomically in one step (one Redis round trip). */
export interface GateStore {
  /**
   * Remember `messageKey` for `dedupTtlMs` (set-if-absent). A message seen before is a
   * `duplicate` and consumes nothing. Otherwise check the user's request window and daily token
   * budget; an allowed request is counted. A throttled message stays remembered, so a platform
   * retry of it does not produce a second notice.
   */
  admit(req: {
    messageKey: string;
    userKey: string;
    dedupTtlMs: number;
    policy: ThrottlePolicy;
  }): Promise<AdmitDecision>;
  /** Add spent tokens to the user's budget for the current UTC day. */
  recordTokens(userKey: string, tokens: number): Promise<void>;
}

/**
 * When a lock is taken, the store also returns the marker of an earlier turn in the same thread
 * that never committed or released (its process died mid-answer): its message needs finalizing.
 */
export type AcquireResult = { acquired: true; history: StoredTurn[]; orphan?: string } | { acquired: false };

/** Per-thread lock and history. Lock and history of one thread live in one cluster slot. */
export interface ThreadStore {
  /**
   * Take the thread's lock for `owner` if free; when taken, also return its history (oldest
   * first), and leave `marker` (an opaque description of the running turn) in the thread until
   * the turn commits or releases. A marker still there when the lock is free again belongs to a
   * turn whose process died: it is handed to the next acquirer or to `claimOrphans`.
   */
  acquire(threadKey: string, owner: string, ttlMs: number, marker?: string): Promise<AcquireResult>;
  /** Extend the lock; false if `owner` no longer holds it. */
  extend(threadKey: string, owner: string, ttlMs: number): Promise<boolean>;
  /**
   * Append a finished turn, cap the history to `maxTurns`, set its expiry to `ttlMs` from now,
   * and release the lock if `owner` still holds it, all in one step. The turn is saved even if
   * the lock was lost; the return value says whether it was still held.
   */
  commit(
    threadKey: string,
    owner: string,
    turn: StoredTurn,
    opts: { maxTurns: number; ttlMs: number },
  ): Promise<boolean>;
  /** Release the lock if `owner` holds it. */
  release(threadKey: string, owner: string): Promise<boolean>;
  /** Read a thread's history without locking (oldest first). Corrupt entries are dropped and logged. */
  load(threadKey: string): Promise<StoredTurn[]>;
  /**
   * Find up to `limit` markers of turns whose lock has expired without a commit or release, and
   * take them (each marker is returned to exactly one caller, across replicas).
   */
  claimOrphans(limit: number): Promise<string[]>;
}

/** Small shared state for tools: caches with a TTL and expiring counters. */
export interface KeyValueStore {
  get(key: string): Promise<string | null>;
  set(key: string, value: string, ttlMs: number): Promise<void>;
  /**
   * Add `by` (default 1, may be negative) to a counter; its expiry is set to `ttlMs` when it is
   * created. Returns the new value.
   */
  increment(key: string, ttlMs: number, by?: number): Promise<number>;
}

export interface Store {
  readonly kind: "redis" | "memory";
  readonly gate: GateStore;
  readonly threads: ThreadStore;
  readonly kv: KeyValueStore;
  /** Resolves when the store answers; rejects with a StoreError otherwise. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

// ---------------------------------------------------------------------------------------------
// The model
// ---------------------------------------------------------------------------------------------

export interface ToolSpec {
  name: string;
  description: string;
  /** JSON schema of the arguments object. */
  parameters: Record<string, unknown>;
  /** Ask the API for strict schema adherence (OpenAI structured outputs for tools). */
  strict: boolean;
}

export interface ModelUsage {
  inputTokens: number;
  outputTokens: number;
}

export type FinishReason = "stop" | "length" | "tool_calls" | "content_filter" | "other";

export type ModelEvent =
  | { type: "text"; delta: string }
  /** All tool calls of the round, fully assembled (emitted once, before `done`). */
  | { type: "tool_calls"; calls: ToolCall[] }
  | { type: "done"; finishReason: FinishReason; usage: ModelUsage };

export interface ModelRequest {
  messages: ModelMessage[];
  tools: ToolSpec[];
  signal: AbortSignal;
  maxOutputTokens?: number;
}

/**
 * A streaming chat model. Errors are thrown as `LlmError` (from `errors.ts`); retries before the
 * first token, and the first-token and total timeouts, are the implementation's job.
 */
export interface ChatModel {
  readonly model: string;
  stream(req: ModelRequest): AsyncIterable<ModelEvent>;
}

export interface TokenCounter {
  count(text: string): number;
  /** Tokens the messages take in a chat request, including per-message overhead. */
  countMessages(messages: ModelMessage[]): number;
}

// ---------------------------------------------------------------------------------------------
// Tools
// ---------------------------------------------------------------------------------------------

export interface ToolContext {
  platform: string;
  workspaceId: string;
  /** The asking chat user, from the turn: never from the model's arguments. */
  userId: string;
  threadKey: string;
  /**
   * Who can read the conversation. In a `shared` one, tools must not act on the asker's linked
   * accounts (anyone in the thread could have planted the request), and results holding
   * personal data are delivered privately by the core.
   */
  audience: Audience;
  signal: AbortSignal;
}

export interface ToolResult {
  ok: boolean;
  /** What the model reads (JSON text). Errors are phrased so the model can correct itself. */
  content: string;
  /**
   * Set when the result holds personal data: the same details written for the asker alone.
   * In a shared conversation the core sends this privately and the model (and the stored
   * history) get a placeholder instead of `content`.
   */
  personal?: { text: string };
}

export interface ToolRunner {
  specs(): ToolSpec[];
  /** A short status for the chat while the tool runs ("looking up your order..."). */
  statusText(name: string): string | undefined;
  /** Never throws: unknown tools, bad arguments, timeouts and backend errors become `ok: false`. */
  run(call: ToolCall, ctx: ToolContext): Promise<ToolResult>;
  /** True for tools whose results may hold personal data (their stored results are redacted in shared threads). */
  holdsPersonalData?(name: string): boolean;
}

// ---------------------------------------------------------------------------------------------
// Chat messages (implemented by each platform adapter)
// ---------------------------------------------------------------------------------------------

/** `streaming`: still growing (adapters may show a Stop button); the rest are final states. */
export type MessageState = "streaming" | "done" | "stopped" | "error";

export interface SinkLimits {
  /** Longest text of one message, in characters of the markdown the core hands over. */
  maxChars: number;
  /** Edits of all messages that share a scope share one budget (a Slack workspace, a Discord channel). */
  scope: string;
  /** Edits allowed per `windowMs` across the scope. */
  scopeEdits: number;
  windowMs: number;
  /** Minimum time between two edits of one message. */
  minEditIntervalMs: number;
}

/**
 * Where an answer is shown. The core's edit scheduler decides when to call these; the adapter
 * renders markdown for its platform. A rate-limited call throws `PlatformError` with
 * `retryAfterMs`; the scheduler waits and retries.
 */
export interface MessageSink {
  readonly limits: SinkLimits;
  /** Create a message; returns the adapter's reference to it. */
  post(text: string, state: MessageState): Promise<string>;
  /** Replace a message's text. A final state (`done`, `stopped`, `error`) is its last edit. */
  edit(ref: string, text: string, state: MessageState): Promise<void>;
  /** A short notice outside the answer (throttled, busy, rejected). Slack may show it ephemerally. */
  notice(text: string): Promise<void>;
  /** Best-effort "working" signal (typing indicator, assistant status). Empty text clears it. */
  status?(text: string): Promise<void>;
  /**
   * Show `text` to the asking user alone (Slack: an ephemeral message in the thread, else a DM;
   * Discord: a DM). Called only in shared conversations. Never falls back to a public post:
   * throws (`PlatformError`) when no private way works. Sinks without it get nothing personal.
   */
  sendPrivately?(text: string): Promise<PrivateDelivery>;
}

/** How personal details reached the asker: a message only they can see, or their DM. */
export type PrivateDelivery = "ephemeral" | "dm";
