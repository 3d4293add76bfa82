/**
 * The web chat's side of hand-offs (docs/handoff.md):
 * - the poster: a message into a browser session outside a turn (the customer's page shows it
 *   through its SSE stream, or on its next connect from the replay log);
 * - the local team desk: with no team channel configured, web chat hand-offs are handled on the
 *   local team page (`GET /team`), which reads them straight from the store.
 * - `POST /api/handoff`: the page's "Talk to a person" button.
 */
import { randomUUID } from "node:crypto";
import type { IncomingMessage as HttpRequest, ServerResponse } from "node:http";
import { z } from "zod";
import type { ConversationPoster, TeamDesk } from "../../core/handoff/ports.js";
import type { HandoffRecord, TeamThreadRef } from "../../core/handoff/record.js";
import type { HandoffStore } from "../../core/handoff/store.js";
import type { HandoffRequests, MessageSink, MessageState } from "../../core/ports.js";
import type { ConversationRef } from "../../core/types.js";
import { HttpError, sendJson } from "../../http/server.js";
import { readJson, remoteUserOf, sessionIdSchema, verifiedSession } from "./routes.js";
import type { SessionTokens } from "./session-tokens.js";
import type { SessionHub } from "./sessions.js";
import { webSinkLimits } from "./sink.js";

export class WebConversationPoster implements ConversationPoster {
  readonly platform = "web" as const;

  constructor(private readonly hub: SessionHub) {}

  async post(conv: ConversationRef, text: string): Promise<void> {
    // The session lives in this process (the web chat is local): a page on it hears at once.
    const session = this.hub.open(conv.threadId);
    if (!session) throw new Error("web chat is full: the hand-off message could not be shown");
    const turnId = `handoff:${randomUUID()}`;
    const ref = `${turnId}.1`;
    this.hub.publish(session, { type: "post", turnId, ref, text, state: "done" });
    this.hub.publish(session, { type: "finalize", turnId, ref, text, state: "done" });
  }
}

/** The local team page's desk: the record in the store is the whole team thread. */
export class LocalTeamDesk implements TeamDesk {
  readonly platform = "web" as const;

  constructor(private readonly store: HandoffStore) {}

  async announce(rec: HandoffRecord): Promise<TeamThreadRef> {
    return { platform: "web", channelId: "team", threadId: rec.id, messageId: rec.id };
  }

  /** The summary is kept with the record (the service saves it) and shown on the page. */
  summarySink(rec: HandoffRecord): MessageSink {
    const store = this.store;
    let text = "";
    return {
      limits: { ...webSinkLimits(`team:${rec.id}`), scopeEdits: 10 },
      async post(t: string, state: MessageState): Promise<string> {
        text = t;
        if (state !== "streaming") await store.setSummary(rec.id, text);
        return "summary";
      },
      async edit(_ref: string, t: string, state: MessageState): Promise<void> {
        text = t;
        if (state !== "streaming") await store.setSummary(rec.id, text);
      },
      async notice(): Promise<void> {},
    };
  }

  /** The page shows the latest note beside the summary (which it keeps). */
  async note(team: TeamThreadRef, text: string): Promise<void> {
    // The page shows plain text: no Markdown emphasis around a note.
    await this.store.setNote(team.threadId, text.replace(/^_(.*)_$/s, "$1"));
  }

  /** The service keeps every relayed line with the record: the page shows them from there. */
  async relay(): Promise<void> {}

  async update(): Promise<void> {}
}

const handoffBodySchema = z.object({ sessionId: sessionIdSchema });

/** `POST /api/handoff`: the "Talk to a person" button of the chat page. */
export function createHandoffRoute(ctx: {
  tokens: SessionTokens;
  handoffs: HandoffRequests;
  maxBodyBytes: number;
}) {
  return async (req: HttpRequest, res: ServerResponse): Promise<void> => {
    const body = await readJson(req, handoffBodySchema, ctx.maxBodyBytes);
    const id = verifiedSession(ctx.tokens, body.sessionId);
    try {
      await ctx.handoffs.request({
        conversation: { platform: "web", workspaceId: "local", channelId: "web", threadId: id },
        userId: remoteUserOf(req),
        reason: "asked for a person (Talk to a person)",
        trigger: "button",
      });
    } catch (err) {
      throw new HttpError(503, `the hand-off failed: ${err instanceof Error ? err.message : String(err)}`);
    }
    sendJson(res, 202, { requested: true });
  };
}
