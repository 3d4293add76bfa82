/**
 * What the web chat page hears over Server-Sent Events. Every answer message is upserted by its
 * `ref`, so a page that receives an event twice (or only the latest edit) still shows the right text.
 */
import type { TurnOutcome } from "../../core/conversation.js";
import type { MessageState } from "../../core/ports.js";

export type WebEvent =
  /** The user's message, so other tabs of the session (and a reloaded page) show it too. */
  | { type: "user"; turnId: string; text: string; clientId?: string | undefined }
  | { type: "post"; turnId: string; ref: string; text: string; state: MessageState }
  | { type: "edit"; turnId: string; ref: string; text: string; state: MessageState }
  /**
   * The last edit of a message: `state` is done, stopped or error. Every message gets one.
   * `rateable`: the answer's last message, finished: the page shows thumbs up / down under it.
   */
  | { type: "finalize"; turnId: string; ref: string; text: string; state: MessageState; rateable?: boolean }
  | { type: "notice"; turnId: string; text: string }
  /** "looking up the weather..."; empty text clears it. */
  | { type: "status"; turnId: string; text: string }
  /** The turn is over (whatever the outcome): the page hides Stop and the thinking indicator. */
  | { type: "end"; turnId: string; outcome: TurnOutcome | "failed" };

/** Sent to one connection right after its replay: the turns of the session still running. */
export interface SyncEvent {
  type: "sync";
  running: string[];
}

export function isFinalState(state: MessageState): boolean {
  return state !== "streaming";
}

/** One SSE frame. JSON never contains a raw newline, so `data:` fits on one line. */
export function sseFrame(event: WebEvent | SyncEvent, id?: string): string {
  const { type, ...data } = event;
  return `${id === undefined ? "" : `id: ${id}\n`}event: ${type}\ndata: ${JSON.stringify(data)}\n\n`;
}

/** A comment line: keeps proxies and the browser from timing the stream out. */
export const SSE_HEARTBEAT = ": ping\n\n";
