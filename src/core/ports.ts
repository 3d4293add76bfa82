/**
 * The ports the core needs. `store/`, `llm/`, `tools/` and the platform adapters implement
 * them; only `main.ts` wires concrete implementations in.
 */
import type { FeedbackStore } from "./feedback/store.js";
import type { HandoffStore } from "./handoff/store.js";
import type { Audience, ConversationRef, ModelMessage, StoredTurn, ToolCall } from "./types.js";

/**
 * The people whose turns a thread's history holds after a commit, and who can read the thread.
 * Each person's conversation index (user key -> threads, for `/forget`) gets the thread with the
 * history's new expiry, so the index never forgets a thread that still holds their turns.
 */
export interface ThreadPeople {
  userKeys: string[];
  /** `private`: the whole history is the person's; `shared`: only their own turns are. */
  audience: Audience;
  /**
   * The thread's `workspaceKeyOf`: the people are also noted in that workspace's index (same
   * round trip), so an uninstall finds their index entries for its threads (workspace-records.ts).
   */
  workspace?: string | undefined;
}

/** Tokens a person's turn spent, counted against their daily budget with the turn's save. */
export interface SpentTokens {
  userKey: string;
  tokens: number;
}

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
  /**
   * Take `tokens` from the user's budget for the current UTC day if they fit (what is spent and
   * reserved, plus `tokens`, stays within `dailyTokens`); null when they do not. Atomic across
   * replicas, so concurrent runs of one user cannot together pass the budget.
   */
  reserveTokens(
    userKey: string,
    tokens: number,
    dailyTokens: number,
    /** How long the reservation may count unsettled (default TOKEN_RESERVATION_TTL_MS, 15 min). */
    ttlMs?: number,
  ): Promise<TokenReservation | null>;
  /**
   * Replace a reservation by what was really spent: gives back the rest, or adds the excess.
   * Applies once: settling again, or after the reservation expired and was given back, changes nothing.
   */
  settleTokens(reservation: TokenReservation, spent: number): Promise<void>;
}

/**
 * Tokens taken from one user's budget of one UTC day before a model call. The store keeps it for
 * a bounded time (TOKEN_RESERVATION_TTL_MS): one never settled is given back after that.
 */
export interface TokenReservation {
  /** Tells this reservation apart from the user's others (a settle applies once). */
  id: string;
  userKey: string;
  /** Epoch ms inside the UTC day the tokens were taken from: the settlement goes to that day. */
  dayMs: number;
  tokens: number;
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
   * the lock was lost; the return value says whether it was still held. With `people`, their
   * conversation indexes are updated in the same round trip (sent together with the commit).
   * With `spent`, the turn's tokens are added to that person's budget for the current UTC day,
   * as `GateStore.recordTokens` would, in the same round trip (on Redis, in the same script as
   * the person's index entry when they are one of `people`: one command less per turn).
   */
  commit(
    threadKey: string,
    owner: string,
    turn: StoredTurn,
    opts: { maxTurns: number; ttlMs: number; people?: ThreadPeople; spent?: SpentTokens },
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
  /**
   * Delete a person's conversation history through their index (no scan): private threads
   * whole, their own turns (`StoredTurn.author`) from shared ones. Returns how many
   * conversations lost something.
   */
  forgetUser(userKey: string): Promise<number>;
  /**
   * The workspace leaves: remove its threads from the per-person index of everyone noted in the
   * workspace's people index (not the histories: `WorkspaceThreads.forgetAll` deletes those), and
   * that people index. Returns how many person-index entries were removed.
   */
  forgetWorkspace(workspaceKey: string): Promise<number>;
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
  /** Delete these keys (an uninstall's channel switches and thread marks); returns how many existed. */
  delete?(keys: readonly string[]): Promise<number>;
}

/**
 * Embedding vectors by content hash (the help-center index), shared by replicas and kept across
 * restarts so the same text is never paid for twice. Keys are opaque hex digests.
 */
export interface VectorCache {
  /** The cached vector of each key, or null; same order as `keys`. One round trip. */
  getMany(keys: string[]): Promise<(Float32Array | null)[]>;
  /** Cache vectors, each expiring `ttlMs` from now. One round trip. */
  setMany(entries: { key: string; vector: Float32Array }[], ttlMs: number): Promise<void>;
}

/** One platform budget: at most `limit` calls in any sliding `windowMs`, e.g. chat.update per workspace. */
export interface RateWindow {
  /** What shares the budget (a Slack workspace, a Discord channel, a bot): the key's hash tag. */
  scope: string;
  /** The method or route inside the scope ("chat.update"). */
  name: string;
  limit: number;
  windowMs: number;
  /**
   * Slots only final texts may use. Default: a tenth of budgets of 10 or more. 0 where final texts
   * never draw on this budget (a Slack stream's final text is its booked chat.stopStream).
   */
  reserve?: number;
  /**
   * The budget is this process's alone (a web chat session: its page is connected to this
   * replica and no platform quota stands behind it): granted in-process, never in the store.
   */
  local?: boolean;
}

/**
 * Platform rate budgets shared by every replica (Redis), or by this process (memory). Each call
 * is one atomic step (one Lua script, one round trip). Time is the store's own clock.
 */
export interface RateBudgetStore {
  /**
   * Grant up to `finals` final-text calls and `frames` intermediate ones now, per the rules in
   * core/rate-window.ts (finals may use the `reserve`; frames are spread over `horizonMs`).
   */
  grant(req: {
    window: RateWindow;
    reserve: number;
    horizonMs: number;
    finals: number;
    frames: number;
  }): Promise<{ finals: number; frames: number; retryAfterMs: number }>;
  /**
   * Book a slot in each window (all in one scope) for a call to be made later, under `id`:
   * all or none. A booking counts until settled, or for `holdMs` + the window if never settled.
   */
  book(req: {
    scope: string;
    id: string;
    slots: { name: string; limit: number; windowMs: number; holdMs: number }[];
  }): Promise<{ booked: boolean; retryAfterMs: number }>;
  /**
   * Book one slot in one window for each of `ids`, in their order, as many as the window has room
   * for: calls waiting together cost one round trip. The first `booked` ids are booked; each is
   * counted as `book` counts it (from now until settled, or `holdMs` + the window if never settled).
   */
  bookEach(req: {
    scope: string;
    name: string;
    ids: string[];
    limit: number;
    windowMs: number;
    holdMs: number;
  }): Promise<{ booked: number; retryAfterMs: number }>;
  /** The booked call is made now (`used`), or will not be made (the slot is freed). */
  settle(req: { scope: string; name: string; id: string; used: boolean }): Promise<boolean>;
}

/**
 * Records about one person that `/forget` erases (docs/privacy.md): conversation histories,
 * feedback, hand-offs. Each part keeps an index per user key (`userKeyOf`), so forgetting a person
 * never scans the store.
 */
export interface PersonalRecords {
  /** What these records are, for the confirmation the person gets ("conversations", "ratings"). */
  readonly kind: string;
  /** Delete every record of the person with this user key; returns how many were deleted. */
  forgetUser(userKey: string): Promise<number>;
}

/** Why and by whom a conversation is handed to a person. */
export interface HandoffRequest {
  conversation: ConversationRef;
  /** The customer: the person who asked in `conversation`. */
  userId: string;
  /** See `IncomingMessage.userScope`. */
  userScope?: string | undefined;
  userName?: string | undefined;
  /** In the customer's or the model's words ("asked for a person", "answer was not helpful"). */
  reason: string;
  trigger: "tool" | "button" | "command";
  /**
   * The customer's message the model handed off on: its turn is saved after the hand-off starts,
   * so the team's summary would miss it (often the whole request).
   */
  question?: string | undefined;
  /**
   * The adapter took the person's new-hand-off allowance already (`HandoffService.allowNew`),
   * before posting anything to open a conversation for it (`/handoff` in a channel).
   */
  allowanceTaken?: boolean | undefined;
}

/**
 * Hands conversations to the support team (docs/handoff.md). `request` tells the customer what
 * happens (a person will take over, or how to reach support when no team channel is set) and is a
 * no-op while the conversation is already handed off.
 */
export interface HandoffRequests {
  request(req: HandoffRequest): Promise<void>;
}

/**
 * Platform installations (one per Slack workspace or Enterprise Grid org), kept until deleted and
 * shared by replicas. Values arrive sealed (encrypted by the caller); ids are opaque.
 */
export interface InstallationRecords {
  get(id: string): Promise<string | null>;
  put(id: string, sealed: string): Promise<void>;
  /**
   * Overwrite a record only while it still holds `expected`: re-encryption must neither bring
   * back a deleted record nor undo a reinstall written since it was read.
   */
  replace(id: string, expected: string, sealed: string): Promise<boolean>;
  /** True when there was a record to delete. */
  delete(id: string): Promise<boolean>;
  /** Every record id, from an index kept beside the records (no scan). */
  ids(): Promise<string[]>;
}

/**
 * The conversation threads of one installation (a Slack workspace or org), so uninstalling can
 * delete their histories without a scan. Separate from the per-person index `/forget` uses.
 */
export interface WorkspaceThreads {
  /** Note a thread of `scope`; the index then lives at least `ttlMs` more (never less than before). */
  remember(scope: string, threadKey: string, ttlMs: number): Promise<void>;
  /** Every thread noted for `scope` (an uninstall learns an org's workspaces from it). */
  list(scope: string): Promise<string[]>;
  /** Delete the history of every thread noted for `scope`, and the index; returns how many threads. */
  forgetAll(scope: string): Promise<number>;
  /** Delete the index of `scope` alone (one whose members are not threads: channel switches). */
  drop(scope: string): Promise<void>;
}

export interface Store {
  readonly kind: "redis" | "memory";
  readonly gate: GateStore;
  readonly threads: ThreadStore;
  readonly kv: KeyValueStore;
  readonly vectors: VectorCache;
  readonly budgets: RateBudgetStore;
  /** Answers waiting to be rated, and ratings (core/feedback/). */
  readonly feedback: FeedbackStore;
  readonly installations: InstallationRecords;
  readonly workspaceThreads: WorkspaceThreads;
  /** Hand-offs to the support team (core/handoff/store.ts). */
  readonly handoffs: HandoffStore;
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
  | {
      type: "done";
      finishReason: FinishReason;
      usage: ModelUsage;
      /**
       * Tokens of the round's visible text by the server's own count (its usage, without
       * reasoning tokens), when the server reported usage; the core then need not count them.
       */
      textTokens?: number;
    };

export interface ModelRequest {
  messages: ModelMessage[];
  tools: ToolSpec[];
  signal: AbortSignal;
  maxOutputTokens?: number;
  /**
   * Where a model may hand the answer's text as it comes, piece by piece, instead of yielding
   * `text` events; its stream then yields only tool calls and `done`. Optional on both sides: a
   * model that ignores it yields text events as before, and a wrapper that changes the text
   * (redaction) must not pass it on. It spares an async iteration per piece of text (a promise,
   * an iterator result and two microtask hops each, 60 pieces in a paced answer).
   */
  onText?: (delta: string) => void;
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
  /**
   * What `count(text)` is, when something else already counted it (the model server's usage of
   * an answer): kept so that counting the text later costs nothing.
   */
  remember?(text: string, tokens: number): void;
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
  /** Key of the asker's per-user limits (see `userKeyOf`): the same across their workspaces. */
  limitKey: string;
  /**
   * What the asker wrote themselves in this conversation (see `askerWords`): in a shared one,
   * a tool spending the asker's allowance acts only on details found here.
   */
  askerText: string;
  /** The message this turn answers (not in the history yet while the turn runs). */
  question?: string | undefined;
  threadKey: string;
  /**
   * Who can read the conversation. In a `shared` one, tools must not act on the asker's linked
   * accounts (anyone in the thread could have planted the request), and results holding
   * personal data are delivered privately by the core.
   */
  audience: Audience;
  /** The conversation the tool runs in (hand-offs need it); set by the core for every turn. */
  conversation?: ConversationRef | undefined;
  /** See `IncomingMessage.userScope`. */
  userScope?: string | undefined;
  /** The asker's display name, when the adapter knows it. */
  userName?: string | undefined;
  signal: AbortSignal;
}

/** An article a tool result came from, which an answer may cite. */
export interface Source {
  title: string;
  url: string;
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
  /** Citable articles in the result (help-center passages); the core lists the cited ones. */
  sources?: Source[];
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
  /** The scope's budget is this process's alone (see `RateWindow.local`). */
  local?: boolean;
}

export interface EditBudgetChoice {
  window: RateWindow;
  minEditIntervalMs: number;
}

/**
 * Where an answer is shown. The core's edit scheduler decides when to call these; the adapter
 * renders markdown for its platform. A rate-limited call throws `PlatformError` with
 * `retryAfterMs`; the scheduler waits and retries.
 */
export interface MessageSink {
  readonly limits: SinkLimits;
  /**
   * Create a message; returns the adapter's reference to it. Null (only for a `streaming` text)
   * means "not now": the platform has no budget to show this answer piecemeal, so nothing is
   * shown until the final text, which is then posted whole.
   */
  post(text: string, state: MessageState, extras?: DeliveryExtras): Promise<string | null>;
  /** Replace a message's text. A final state (`done`, `stopped`, `error`) is its last edit. */
  edit(ref: string, text: string, state: MessageState, extras?: DeliveryExtras): Promise<void>;
  /**
   * The budget an edit of message `ref` draws on, and that message's own minimum interval; null
   * when the call needs no grant (its slot was booked when the message was created). Default: the
   * scope budget of `limits`.
   */
  editBudget?(ref: string, final: boolean): EditBudgetChoice | null;
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

/**
 * Given only with the final `done` text of an answer's last message, when the answer can be
 * rated: the sink shows thumbs up / down with it (in the same call, so buttons never interrupt
 * a stream). Never given for stopped or failed answers, nor for the earlier parts of a long one.
 */
export interface DeliveryExtras {
  rateable?: boolean;
}

/** How personal details reached the asker: a message only they can see, or their DM. */
export type PrivateDelivery = "ephemeral" | "dm";
