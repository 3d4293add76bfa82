/**
 * Fits a conversation into the model's context budget: the system prompt and the newest turn
 * always go; older turns are added newest-first while they fit and dropped oldest-first when they
 * do not. A turn is kept or dropped whole, so an assistant tool call never loses its results.
 */
import type { TokenCounter } from "./ports.js";
import type { HistoryEntry, ModelMessage, StoredTurn } from "./types.js";

export interface FittedContext {
  messages: ModelMessage[];
  /** Turns of history that did not fit. */
  droppedTurns: number;
  /** Tokens the messages take (by the counter). */
  tokens: number;
}

/**
 * The last system message built, frozen: the prompt is the same string turn after turn (see
 * Conversation.systemPrompt), so the request JSON made from it is reused (llm/request-body.ts).
 */
let lastSystem: ModelMessage = Object.freeze({ role: "system", content: "" });

function systemMessage(content: string): ModelMessage {
  if (lastSystem.content !== content) lastSystem = Object.freeze({ role: "system", content });
  return lastSystem;
}

export function fitContext(opts: {
  system: string;
  history: StoredTurn[];
  current: HistoryEntry[];
  counter: TokenCounter;
  budgetTokens: number;
}): FittedContext {
  const system = systemMessage(opts.system);
  const fixed: ModelMessage[] = [system, ...opts.current];
  let tokens = opts.counter.countMessages(fixed);
  const kept: StoredTurn[] = [];
  for (let i = opts.history.length - 1; i >= 0; i--) {
    const turn = opts.history[i]!;
    const cost = turn.tokens ?? turnTokens(opts.counter, turn.entries);
    if (tokens + cost > opts.budgetTokens) break;
    tokens += cost;
    kept.push(turn);
  }
  kept.reverse();
  const messages: ModelMessage[] = [system];
  for (const turn of kept) messages.push(...turn.entries);
  messages.push(...opts.current);
  return { messages, droppedTurns: opts.history.length - kept.length, tokens };
}

/** Tokens a stored turn adds to a request (without the once-per-request reply priming). */
export function turnTokens(counter: TokenCounter, entries: HistoryEntry[]): number {
  return counter.countMessages(entries) - REPLY_PRIMING_TOKENS;
}

/**
 * countMessages includes the few tokens that prime the reply once per request; counting a turn
 * on its own would charge them again.
 */
const REPLY_PRIMING_TOKENS = 3;
