/**
 * The web chat's "Forget me" button: `POST /api/forget` deletes everything the assistant keeps
 * about the person (the remote address, see routes.ts: every session they opened here) and the
 * current session's replay log, and answers with what was deleted. The page asks for confirmation
 * before it calls this, then starts a new chat.
 */
import type { IncomingMessage as HttpRequest, ServerResponse } from "node:http";
import { z } from "zod";
import { forgetReport, type PersonalData } from "../../core/forget.js";
import { userKeyOf } from "../../core/types.js";
import { HttpError, sendJson } from "../../http/server.js";
import type { Logger } from "../../log.js";
import { readJson, remoteUserOf, verifiedSession } from "./routes.js";
import { SESSION_TOKEN_PATTERN, type SessionTokens } from "./session-tokens.js";
import type { SessionHub } from "./sessions.js";

export const forgetSchema = z.object({
  sessionId: z.string().regex(SESSION_TOKEN_PATTERN, "expected a session from POST /api/sessions"),
});

export interface ForgetRouteContext {
  hub: SessionHub;
  tokens: SessionTokens;
  personalData: PersonalData;
  log: Logger;
  maxBodyBytes: number;
}

export function createForgetRoute(ctx: ForgetRouteContext) {
  return async (req: HttpRequest, res: ServerResponse): Promise<void> => {
    const body = await readJson(req, forgetSchema, ctx.maxBodyBytes);
    const id = verifiedSession(ctx.tokens, body.sessionId);
    // An answer still running would save its turn after the deletion.
    if ((ctx.hub.get(id)?.turns.size ?? 0) > 0) {
      throw new HttpError(409, "an answer is still running; stop it or wait for it, then try again");
    }
    const userKey = userKeyOf({ platform: "web", userId: remoteUserOf(req) });
    const result = await ctx.personalData.forget(userKey, { by: userKey, as: "self" });
    ctx.hub.drop(id);
    sendJson(res, result.failed.length > 0 ? 500 : 200, { ...result, text: forgetReport(result) });
  };
}
