/**
 * The local team page's routes (same Host and same-origin rules as the chat, see hosts.ts):
 * `GET /team`, `GET /team/api/handoffs`, and `POST /team/api/{claim,reply,return}`. They list
 * the hand-offs of the local desk (web chat hand-offs while no team channel is set) and hand
 * clicks and replies to the hand-off service.
 */
import { randomUUID } from "node:crypto";
import type { IncomingMessage as HttpRequest, ServerResponse } from "node:http";
import { z } from "zod";
import type { HandoffRecord } from "../../core/handoff/record.js";
import type { HandoffService } from "../../core/handoff/service.js";
import { placeOf } from "../../core/handoff/texts.js";
import { HttpError, type HttpServer, sendJson } from "../../http/server.js";
import { pageNonce, sendPage } from "./page-response.js";
import { readJson } from "./routes.js";
import { renderTeamPage } from "./team-page.js";

/** The page shows this many hand-offs at most (oldest first): more means the team needs a channel. */
const MAX_LISTED = 100;
/** A team reply is a chat message: the same order of size as a customer's. */
const MAX_REPLY_CHARS = 4000;

const nameSchema = z.string().trim().min(1).max(60);
const idBody = z.object({ id: z.string().min(1).max(100), name: nameSchema });
const replyBody = idBody.extend({ text: z.string().trim().min(1).max(MAX_REPLY_CHARS) });

/** A hand-off of the local desk: announced on the team page (or being announced there). */
function isLocal(rec: HandoffRecord): boolean {
  return rec.team ? rec.team.platform === "web" : rec.conversation.platform === "web";
}

export function registerTeamPage(
  http: HttpServer,
  ctx: {
    service: HandoffService;
    botName: string;
    maxBodyBytes: number;
    /** The chat page's library scripts (marked, DOMPurify): the summary is rendered the same way. */
    scripts: string[];
    allowHost: (host: string | undefined) => boolean;
  },
): void {
  const only = { allowHost: ctx.allowHost };
  const { service } = ctx;

  http.route(
    "GET",
    "/team",
    async (_req, res) => {
      const nonce = pageNonce();
      sendPage(res, renderTeamPage({ botName: ctx.botName, nonce, scripts: ctx.scripts }), nonce);
    },
    only,
  );

  http.route(
    "GET",
    "/team/api/handoffs",
    async (_req, res) => {
      const records = (await service.store.listActive(MAX_LISTED)).filter(isLocal);
      const handoffs = await Promise.all(
        records.map(async (r) => ({
          id: r.id,
          status: r.status,
          userName: r.userName,
          place: placeOf(r),
          reason: r.reason,
          openedAt: r.openedAt,
          claimedBy: r.claimedBy,
          summary: r.summary,
          note: r.note,
          lines: await service.store.transcript(r.id),
        })),
      );
      res.setHeader("cache-control", "no-store");
      sendJson(res, 200, { handoffs });
    },
    only,
  );

  const action =
    (
      act: (body: z.infer<typeof replyBody> | z.infer<typeof idBody>) => Promise<boolean>,
      schema: z.ZodType<z.infer<typeof idBody>>,
    ) =>
    async (req: HttpRequest, res: ServerResponse) => {
      const body = await readJson(req, schema, ctx.maxBodyBytes);
      // Only the local desk's hand-offs: one announced in a team channel is claimed and returned
      // there, by the people of that channel, not by whoever can reach this page.
      const rec = await service.store.get(body.id);
      if (!rec || !isLocal(rec)) throw new HttpError(404, "no such hand-off");
      if (!(await act(body))) throw new HttpError(409, "this hand-off is not open for that any more");
      sendJson(res, 200, { ok: true });
    };
  http.route(
    "POST",
    "/team/api/claim",
    action((b) => service.claim(b.id, b.name), idBody),
    only,
  );
  http.route(
    "POST",
    "/team/api/return",
    action((b) => service.giveBack(b.id, b.name), idBody),
    only,
  );
  http.route(
    "POST",
    "/team/api/reply",
    async (req, res) => {
      const body = await readJson(req, replyBody, ctx.maxBodyBytes);
      const rec = await service.store.get(body.id);
      if (rec && rec.status === "closed")
        throw new HttpError(
          409,
          "this hand-off was returned to the assistant: the customer would not see it",
        );
      const outcome = await service.teamReplyOutcome({
        team: { platform: "web", channelId: "team", threadId: body.id },
        messageId: randomUUID(),
        author: body.name,
        text: body.text,
      });
      if (outcome === "unknown") throw new HttpError(404, "no such hand-off");
      if (outcome === "returned")
        throw new HttpError(
          409,
          "this hand-off was returned to the assistant: the customer would not see it",
        );
      // The person typing must know the customer never saw it (the page shows this, and the note).
      if (outcome === "undelivered")
        throw new HttpError(502, "could not deliver that to the customer: their page cannot be reached");
      sendJson(res, 200, { ok: true });
    },
    only,
  );
}
