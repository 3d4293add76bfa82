/**
 * The web chat's MessageSink: every call becomes an SSE event for the session's open tabs (and
 * the session's replay log when none is open yet). Nothing here can be rate limited, so the
 * limits only keep the page smooth.
 */
import type { DeliveryExtras, MessageSink, MessageState, SinkLimits } from "../../core/ports.js";
import { isFinalState } from "./events.js";
import type { SessionHub, WebSession } from "./sessions.js";

/** A long answer stays one readable bubble; beyond this the core splits it into several. */
export const WEB_MAX_MESSAGE_CHARS = 20_000;
/** Local SSE has no API quota; 40 edits a second is smoother than the eye needs. */
export const WEB_EDITS_PER_SECOND = 40;
/** ~20 frames a second per message: streaming looks continuous without re-rendering per token. */
export const WEB_MIN_EDIT_INTERVAL_MS = 50;

export function webSinkLimits(sessionId: string): SinkLimits {
  return {
    maxChars: WEB_MAX_MESSAGE_CHARS,
    scope: `web:${sessionId}`,
    scopeEdits: WEB_EDITS_PER_SECOND,
    windowMs: 1000,
    minEditIntervalMs: WEB_MIN_EDIT_INTERVAL_MS,
    // The page is connected to this replica: its budget needs no store round trip per edit.
    local: true,
  };
}

/** A sink for one turn of one session. Message refs are `<messageId>.<n>`, unique in the session. */
export function createWebSink(
  hub: SessionHub,
  session: WebSession,
  turnId: string,
  messageId: string,
): MessageSink {
  let posted = 0;
  const send = (ref: string, text: string, state: MessageState, extras?: DeliveryExtras): void => {
    if (isFinalState(state)) {
      const rateable = extras?.rateable === true;
      hub.publish(session, { type: "finalize", turnId, ref, text, state, ...(rateable ? { rateable } : {}) });
    } else {
      hub.publish(session, { type: "edit", turnId, ref, text, state });
    }
  };

  return {
    limits: webSinkLimits(session.id),
    async post(text: string, state: MessageState, extras?: DeliveryExtras): Promise<string> {
      posted += 1;
      const ref = `${messageId}.${posted}`;
      hub.publish(session, { type: "post", turnId, ref, text, state });
      // Every message ends with a `finalize`, also one posted already final.
      if (isFinalState(state)) send(ref, text, state, extras);
      return ref;
    },
    async edit(ref: string, text: string, state: MessageState, extras?: DeliveryExtras): Promise<void> {
      send(ref, text, state, extras);
    },
    async notice(text: string): Promise<void> {
      hub.publish(session, { type: "notice", turnId, text });
    },
    async status(text: string): Promise<void> {
      hub.publish(session, { type: "status", turnId, text });
    },
  };
}
