/**
 * The web chat's HTTP handlers: the page, a session, posting a message, the SSE event stream, Stop.
 * Handlers stay thin: validate, translate into an IncomingMessage, hand the turn to the core.
 *
 * Who is who: the session (a server-issued token, see session-tokens.ts) is the conversation;
 * the person is the remote address. Per-user limits (throttle, token budget, order-lookup
 * failures) key on the address, so opening new sessions does not reset them. Behind a reverse
 * proxy every user shares the proxy's address, and with it one allowance: the chat is for local use.
 */
import { randomUUID } from "node:crypto";
import type { IncomingMessage as HttpRequest, ServerResponse } from "node:http";
import { z } from "zod";
import { type Conversation, turnIdOf } from "../../core/conversation.js";
import type { IncomingMessage } from "../../core/types.js";
import { clientKeyOf } from "../../http/client-address.js";
import { HttpError, readBody, sendJson } from "../../http/server.js";
import type { Logger } from "../../log.js";
import { renderChatPage } from "./page.js";
import { pageNonce, sendPage } from "./page-response.js";
import { SESSION_TOKEN_PATTERN, type SessionTokens } from "./session-tokens.js";
import type { SessionHub, WebSession } from "./sessions.js";
import {
  textWithFiles,
  toAttachments,
  type UploadLimits,
  UploadsInFlight,
  uploadsSchema,
} from "./uploads.js";

/** A session token as `POST /api/sessions` issues it. */
export const sessionIdSchema = z
  .string()
  .regex(SESSION_TOKEN_PATTERN, "expected a session from POST /api/sessions");

export const openSessionSchema = z.object({
  /** The page's current session: kept when it is still valid, replaced otherwise. */
  sessionId: z.string().max(200).optional(),
});

export const postMessageSchema = z
  .object({
    sessionId: sessionIdSchema,
    text: z.string(),
    /** The page's own id for the bubble it already shows, echoed in the `user` event. */
    clientId: z
      .string()
      .regex(/^[A-Za-z0-9-]{1,64}$/)
      .optional(),
    /** Attached files (uploads.ts). */
    attachments: uploadsSchema,
  })
  .refine((body) => body.text.trim() !== "" || (body.attachments?.length ?? 0) > 0, {
    message: "the message is empty",
    path: ["text"],
  });

export const stopSchema = z.object({
  sessionId: sessionIdSchema,
  turnId: z.string().min(1).max(200),
});

/** What the routes need from the adapter that owns them. */
export interface WebRouteContext {
  hub: SessionHub;
  tokens: SessionTokens;
  conversation: Conversation;
  log: Logger;
  botName: string;
  /** Library scripts the page loads first (paths relative to the page, see assets.ts). */
  scripts: readonly string[];
  maxBodyBytes: number;
  /** Larger message POSTs get 413: room for the text and `uploads` (uploads.ts). */
  maxMessageBytes: number;
  /** What the page may attach per message (its attach button's limits). */
  uploads: UploadLimits;
  /** False while stopping: new messages and streams get 503. */
  accepting(): boolean;
  /** Run a turn in the background; the adapter tracks it for shutdown. */
  startTurn(session: WebSession, msg: IncomingMessage, turnId: string): void;
}

function formatIssues(error: z.ZodError): string {
  return error.issues.map((issue) => `${issue.path.join(".") || "body"}: ${issue.message}`).join("; ");
}

/**
 * The chat has no sign-in, so at least keep other web sites out: a cross-site page cannot send
 * `application/json` without a CORS preflight (which we never answer), and a browser always sends
 * `Origin` on cross-origin POSTs.
 */
export function assertSameOriginJson(req: HttpRequest): void {
  const origin = req.headers.origin;
  if (origin !== undefined && hostOf(origin) !== req.headers.host) {
    req.resume();
    throw new HttpError(403, "cross-origin requests are not accepted");
  }
  if (!/^application\/json\b/i.test(req.headers["content-type"] ?? "")) {
    req.resume();
    throw new HttpError(415, "expected content-type application/json");
  }
}

/** The host of an Origin header; undefined for "null" (sandboxed frames, file://) and garbage. */
function hostOf(origin: string): string | undefined {
  try {
    return new URL(origin).host || undefined;
  } catch {
    return undefined;
  }
}

/** The session id inside a token, or a 401 the page answers by asking for a new session. */
export function verifiedSession(tokens: SessionTokens, token: string): string {
  const id = tokens.verify(token);
  if (id === undefined) throw new HttpError(401, "unknown session; the page asks for a new one");
  return id;
}

/** The person behind a request, as far as a chat without sign-in can tell: the remote address (see client-address.ts). */
export function remoteUserOf(req: Pick<HttpRequest, "socket">): string {
  return clientKeyOf(req.socket.remoteAddress);
}

export async function readJson<T>(req: HttpRequest, schema: z.ZodType<T>, maxBytes: number): Promise<T> {
  assertSameOriginJson(req);
  const body = await readBody(req, maxBytes);
  let value: unknown;
  try {
    value = JSON.parse(body.toString("utf8"));
  } catch {
    throw new HttpError(400, "the body is not valid JSON");
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new HttpError(400, formatIssues(parsed.error));
  return parsed.data;
}

export function createWebRoutes(ctx: WebRouteContext) {
  const page = async (_req: HttpRequest, res: ServerResponse): Promise<void> => {
    const nonce = pageNonce();
    sendPage(
      res,
      renderChatPage({ botName: ctx.botName, nonce, scripts: ctx.scripts, uploads: ctx.uploads }),
      nonce,
    );
  };

  const openSession = async (req: HttpRequest, res: ServerResponse): Promise<void> => {
    const body = await readJson(req, openSessionSchema, ctx.maxBodyBytes);
    if (body.sessionId !== undefined && ctx.tokens.verify(body.sessionId) !== undefined) {
      sendJson(res, 200, { sessionId: body.sessionId, renewed: false });
      return;
    }
    sendJson(res, 200, { sessionId: ctx.tokens.issue(), renewed: body.sessionId !== undefined });
  };

  const uploading = new UploadsInFlight();
  const postMessage = async (req: HttpRequest, res: ServerResponse): Promise<void> => {
    const body = await readMessageBody(req);
    const id = verifiedSession(ctx.tokens, body.sessionId);
    if (!ctx.accepting()) throw new HttpError(503, "the chat is shutting down");
    const session = ctx.hub.open(id, remoteUserOf(req));
    if (!session) throw new HttpError(503, "too many open chat sessions; close some tabs and try again");
    const messageId = randomUUID();
    const turnId = turnIdOf("web", messageId);
    const msg: IncomingMessage = {
      platform: "web",
      workspaceId: "local",
      channelId: "web",
      threadId: id,
      userId: remoteUserOf(req),
      messageId,
      text: body.text,
      kind: "dm",
      // One browser session's conversation: nobody else reads it.
      audience: "private",
      attachments: toAttachments(body.attachments),
    };
    ctx.log.debug(
      { sessionId: id, turnId, chars: body.text.length, files: body.attachments?.length ?? 0 },
      "web chat message",
    );
    const shown = textWithFiles(body.text, body.attachments);
    ctx.hub.publish(session, { type: "user", turnId, text: shown, clientId: body.clientId });
    ctx.startTurn(session, msg, turnId);
    sendJson(res, 202, { turnId, messageId });
  };

  /** A body larger than a text message carries files: one at a time per address (uploads.ts). */
  const readMessageBody = async (req: HttpRequest) => {
    const declared = Number(req.headers["content-length"] ?? Number.NaN);
    if (declared <= ctx.maxBodyBytes) return readJson(req, postMessageSchema, ctx.maxMessageBytes);
    const release = uploading.enter(remoteUserOf(req));
    if (!release) {
      req.resume();
      throw new HttpError(
        429,
        "another message with files is still being sent; wait a moment and send again",
      );
    }
    try {
      return await readJson(req, postMessageSchema, ctx.maxMessageBytes);
    } finally {
      release();
    }
  };

  const events = async (req: HttpRequest, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? "/", "http://localhost");
    const parsed = sessionIdSchema.safeParse(url.searchParams.get("session") ?? "");
    if (!parsed.success) throw new HttpError(400, `session: ${formatIssues(parsed.error)}`);
    const id = verifiedSession(ctx.tokens, parsed.data);
    if (!ctx.accepting()) throw new HttpError(503, "the chat is shutting down");
    const session = ctx.hub.open(id, remoteUserOf(req));
    if (!session) throw new HttpError(503, "too many open chat sessions; close some tabs and try again");
    const header = req.headers["last-event-id"];
    const lastEventId =
      (Array.isArray(header) ? header[0] : header) ?? url.searchParams.get("since") ?? undefined;

    // The stream lives as long as the tab: no socket timeout, no buffering by proxies.
    req.socket.setTimeout(0);
    req.socket.setNoDelay(true);
    req.socket.setKeepAlive(true);
    res.writeHead(200, {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-cache, no-transform",
      // The socket closes with the stream: an idle kept-alive socket would hold up server.close().
      connection: "close",
      "x-accel-buffering": "no",
    });
    // `retry`: how soon the browser reconnects after a dropped stream.
    res.write("retry: 2000\n\n");
    ctx.hub.connect(session, res, lastEventId);
    const close = (): void => ctx.hub.disconnect(session, res);
    res.on("close", close);
    res.on("error", close);
  };

  const stop = async (req: HttpRequest, res: ServerResponse): Promise<void> => {
    const body = await readJson(req, stopSchema, ctx.maxBodyBytes);
    const controller = ctx.hub.get(verifiedSession(ctx.tokens, body.sessionId))?.turns.get(body.turnId);
    if (!controller) {
      // Finished already (Stop raced the end) or not this session's turn: nothing to stop.
      sendJson(res, 200, { stopped: false });
      return;
    }
    ctx.conversation.cancel(body.turnId);
    // Also covers a turn still waiting for the thread lock, which the core may not know as running.
    controller.abort();
    sendJson(res, 200, { stopped: true });
  };

  return { page, openSession, postMessage, events, stop };
}
