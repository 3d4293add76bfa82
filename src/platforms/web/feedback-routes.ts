/**
 * The web chat's feedback API: `POST /api/feedback` rates an answer (thumbs up / down, and the
 * optional reason of a thumbs-down), `POST /api/feedback/handoff` is its "Talk to a person".
 * As everywhere in the web chat, the person is the remote address (routes.ts): the rating is
 * stored under their user key, so only the person who asked finds the answer to rate.
 */
import type { IncomingMessage as HttpRequest, ServerResponse } from "node:http";
import { z } from "zod";
import type { Feedback } from "../../core/feedback/feedback.js";
import { MAX_REASON_CHARS } from "../../core/feedback/types.js";
import type { HandoffRequests } from "../../core/ports.js";
import { userKeyOf } from "../../core/types.js";
import { HttpError, sendJson } from "../../http/server.js";
import type { Logger } from "../../log.js";
import { readJson, remoteUserOf, verifiedSession } from "./routes.js";
import { SESSION_TOKEN_PATTERN, type SessionTokens } from "./session-tokens.js";

const target = {
  sessionId: z.string().regex(SESSION_TOKEN_PATTERN, "expected a session from POST /api/sessions"),
  turnId: z.string().min(1).max(200),
};

export const feedbackSchema = z.object({
  ...target,
  rating: z.enum(["up", "down"]),
  reason: z.string().max(MAX_REASON_CHARS).optional(),
});

export const feedbackHandoffSchema = z.object(target);

export const TOO_OLD_TEXT = "This answer is too old to rate.";

export interface FeedbackRouteContext {
  tokens: SessionTokens;
  feedback: Feedback;
  handoffs?: HandoffRequests | undefined;
  log: Logger;
  maxBodyBytes: number;
}

export function createFeedbackRoutes(ctx: FeedbackRouteContext) {
  const rate = async (req: HttpRequest, res: ServerResponse): Promise<void> => {
    const body = await readJson(req, feedbackSchema, ctx.maxBodyBytes);
    const sessionId = verifiedSession(ctx.tokens, body.sessionId);
    const person = userKeyOf({ platform: "web", userId: remoteUserOf(req) });
    const outcome = await ctx.feedback.rate({
      platform: "web",
      turnId: body.turnId,
      // Every session from one address is the same person key: only this session's answers.
      threadId: sessionId,
      askerKey: person,
      clickerKey: person,
      rating: body.rating,
      ...(body.reason !== undefined ? { reason: body.reason } : {}),
    });
    if (outcome.kind !== "rated") throw new HttpError(404, TOO_OLD_TEXT);
    sendJson(res, 200, { rating: outcome.rating, handoff: ctx.handoffs !== undefined });
  };

  const handoff = async (req: HttpRequest, res: ServerResponse): Promise<void> => {
    const body = await readJson(req, feedbackHandoffSchema, ctx.maxBodyBytes);
    const sessionId = verifiedSession(ctx.tokens, body.sessionId);
    if (!ctx.handoffs) throw new HttpError(404, "hand-offs are not set up");
    const userId = remoteUserOf(req);
    const record = await ctx.feedback.find(userKeyOf({ platform: "web", userId }), body.turnId);
    if (!record || record.conversation.threadId !== sessionId) throw new HttpError(404, TOO_OLD_TEXT);
    await ctx.handoffs.request({
      conversation: record.conversation,
      userId,
      reason: record.reason ? `answer was not helpful: ${record.reason}` : "answer was not helpful",
      trigger: "button",
    });
    sendJson(res, 202, { requested: true });
  };

  return { rate, handoff };
}
