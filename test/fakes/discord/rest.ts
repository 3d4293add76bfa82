/**
 * The fake's REST API (v10): the routes the adapter, discord.js and the register script use,
 * each behind a Discord-style rate-limit bucket. Every request is logged with its route,
 * status and time for tests and the benchmark.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { BucketRule, Buckets } from "./buckets.js";
import { type FakeGateway, INTENT } from "./gateway.js";
import {
  ApiError,
  invalidForm,
  isRecord,
  missingAccess,
  missingPermissions,
  readJson,
  sendJson,
  unknownChannel,
} from "./http.js";
import type { Interactions } from "./interactions.js";
import { type BotMessages, parseMessageBody } from "./messages.js";
import type { FakeChannel, World } from "./model.js";

export interface RestLogEntry {
  /** performance.now() when the request arrived. */
  at: number;
  method: string;
  /** The route template, e.g. "PATCH /channels/:id/messages/:id". */
  route: string;
  path: string;
  status: number;
  body: unknown;
}

interface Ctx {
  params: string[];
  body: unknown;
  query: URLSearchParams;
}

interface Route {
  method: string;
  pattern: RegExp;
  name: string;
  /** Which bucket rule applies (by name), and the major parameter of the bucket. */
  bucket?: string;
  major?: (params: string[]) => string;
  auth: boolean;
  handle: (ctx: Ctx) => { status: number; body: unknown };
}

export interface RestOptions {
  token: string;
  applicationId: string;
  rules: Record<string, BucketRule>;
  /** Added before every response (a network round trip). */
  latencyMs: number;
  shards: number;
}

const ID = "(\\d{17,20})";

export class FakeRest {
  readonly log: RestLogEntry[] = [];
  readonly commands = new Map<string, Record<string, unknown>[]>();
  /**
   * Delays (ms) for the next requests, one each, before Discord counts them: a request held up
   * on its way (a cold connection, a starved client) arrives that much later than it was sent.
   */
  readonly arrivalDelays: number[] = [];
  private readonly routes: Route[];

  constructor(
    private readonly world: World,
    private readonly gateway: FakeGateway,
    private readonly buckets: Buckets,
    private readonly messages: BotMessages,
    private readonly interactions: Interactions,
    private readonly opts: RestOptions,
  ) {
    this.routes = this.table();
  }

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const delay = this.arrivalDelays.shift();
    if (delay) await new Promise((r) => setTimeout(r, delay));
    const at = performance.now();
    const url = new URL(req.url ?? "/", "http://fake");
    const method = req.method ?? "GET";
    const path = decodeURIComponent(url.pathname.replace(/^\/api\/v10/, ""));
    const route = this.routes.find((r) => r.method === method && r.pattern.test(path));
    const entry: RestLogEntry = {
      at,
      method,
      route: route?.name ?? `${method} ${path}`,
      path,
      status: 0,
      body: undefined,
    };
    this.log.push(entry);
    let status = 500;
    let body: unknown;
    let headers: Record<string, string> = {};
    try {
      entry.body = await readJson(req);
      if (!route) throw new ApiError(404, 0, "404: Not Found");
      if (route.auth && req.headers.authorization !== `Bot ${this.opts.token}`) {
        throw new ApiError(401, 0, "401: Unauthorized");
      }
      const params = (route.pattern.exec(path) ?? []).slice(1);
      const rule = route.bucket ? this.opts.rules[route.bucket] : undefined;
      const global = !/\/(interactions|webhooks)\//.test(route.name);
      const verdict = this.buckets.take(
        route.name,
        route.major ? route.major(params) : "global",
        rule,
        global,
      );
      headers = verdict.headers;
      if (!verdict.ok) {
        status = 429;
        body = {
          message: "You are being rate limited.",
          retry_after: verdict.retryAfterMs / 1000,
          global: verdict.global,
        };
      } else {
        ({ status, body } = route.handle({ params, body: entry.body, query: url.searchParams }));
      }
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      status = err.status;
      body = { message: err.message, code: err.code, ...(err.errors ? { errors: err.errors } : {}) };
    }
    entry.status = status;
    if (this.opts.latencyMs > 0) await new Promise((r) => setTimeout(r, this.opts.latencyMs));
    sendJson(res, status, body, headers);
  }

  private channel(id: string | undefined): FakeChannel {
    const channel = this.world.channels.get(id ?? "");
    if (!channel) throw unknownChannel();
    return channel;
  }

  private table(): Route[] {
    const w = this.world;
    const byChannel = (p: string[]) => p[0]!;
    const byWebhook = (p: string[]) => `${p[0]}/${p[1]}`;
    const ok = (body: unknown, status = 200) => ({ status, body });
    return [
      {
        method: "GET",
        pattern: /^\/gateway\/bot$/,
        name: "GET /gateway/bot",
        auth: true,
        handle: () =>
          ok({
            url: this.gateway.url,
            shards: this.opts.shards,
            session_start_limit: { total: 1000, remaining: 999, reset_after: 14_400_000, max_concurrency: 1 },
          }),
      },
      {
        method: "GET",
        pattern: /^\/users\/@me$/,
        name: "GET /users/@me",
        auth: true,
        handle: () => ok(w.userJson(w.bot)),
      },
      {
        // Create DM: opens (or returns) the bot's DM channel with `recipient_id`.
        method: "POST",
        pattern: /^\/users\/@me\/channels$/,
        name: "POST /users/@me/channels",
        auth: true,
        handle: ({ body }) => {
          const recipient = isRecord(body) ? body.recipient_id : undefined;
          if (typeof recipient !== "string" || !w.users.has(recipient)) {
            throw invalidForm("recipient_id", "NUMBER_TYPE_COERCE", "Value is not snowflake.");
          }
          return ok(w.channelJson(w.dmChannelWith(recipient)));
        },
      },
      {
        method: "GET",
        pattern: new RegExp(`^/channels/${ID}$`),
        name: "GET /channels/:id",
        bucket: "channel",
        major: byChannel,
        auth: true,
        handle: ({ params }) => ok(w.channelJson(this.channel(params[0]))),
      },
      {
        method: "GET",
        pattern: new RegExp(`^/channels/${ID}/messages$`),
        name: "GET /channels/:id/messages",
        bucket: "readMessages",
        major: byChannel,
        auth: true,
        handle: ({ params, query }) => ok(this.listMessages(this.channel(params[0]), query)),
      },
      {
        method: "GET",
        pattern: new RegExp(`^/channels/${ID}/messages/${ID}$`),
        name: "GET /channels/:id/messages/:id",
        bucket: "readMessages",
        major: byChannel,
        auth: true,
        handle: ({ params }) =>
          ok(w.messageJson(this.messages.get(params[0]!, params[1]!), { withReferenced: true })),
      },
      {
        method: "POST",
        pattern: new RegExp(`^/channels/${ID}/messages$`),
        name: "POST /channels/:id/messages",
        bucket: "createMessage",
        major: byChannel,
        auth: true,
        handle: ({ params, body }) => {
          const channel = this.channel(params[0]);
          if (channel.type === 1 && w.users.get(channel.recipientId ?? "")?.dmsClosed) {
            throw new ApiError(403, 50007, "Cannot send messages to this user");
          }
          const message = this.messages.create(channel.id, parseMessageBody(body, { allowEphemeral: false }));
          return ok(w.messageJson(message, { withReferenced: true }));
        },
      },
      {
        method: "PATCH",
        pattern: new RegExp(`^/channels/${ID}/messages/${ID}$`),
        name: "PATCH /channels/:id/messages/:id",
        bucket: "editMessage",
        major: byChannel,
        auth: true,
        handle: ({ params, body }) => {
          const message = this.messages.get(params[0]!, params[1]!);
          this.messages.edit(message, parseMessageBody(body, { allowEphemeral: false }));
          return ok(w.messageJson(message));
        },
      },
      {
        method: "POST",
        pattern: new RegExp(`^/channels/${ID}/messages/${ID}/threads$`),
        name: "POST /channels/:id/messages/:id/threads",
        bucket: "createThread",
        major: byChannel,
        auth: true,
        handle: ({ params, body }) => ok(this.startThread(this.channel(params[0]), params[1]!, body), 201),
      },
      {
        method: "POST",
        pattern: new RegExp(`^/channels/${ID}/typing$`),
        name: "POST /channels/:id/typing",
        bucket: "typing",
        major: byChannel,
        auth: true,
        handle: ({ params }) => {
          this.channel(params[0]);
          return ok(undefined, 204);
        },
      },
      {
        method: "POST",
        pattern: new RegExp(`^/interactions/${ID}/([^/]+)/callback$`),
        name: "POST /interactions/:id/:token/callback",
        auth: false,
        handle: ({ params, body }) => {
          this.interactions.callback(params[0]!, params[1]!, body);
          return ok(undefined, 204);
        },
      },
      {
        method: "POST",
        pattern: new RegExp(`^/webhooks/${ID}/([^/]+)$`),
        name: "POST /webhooks/:id/:token",
        bucket: "webhook",
        major: byWebhook,
        auth: false,
        handle: ({ params, body }) => {
          const interaction = this.interactions.byToken(params[0]!, params[1]!);
          return ok(w.messageJson(this.interactions.followup(interaction, body)));
        },
      },
      {
        method: "GET",
        pattern: new RegExp(`^/webhooks/${ID}/([^/]+)/messages/(@original|\\d{17,20})$`),
        name: "GET /webhooks/:id/:token/messages/:id",
        bucket: "webhook",
        major: byWebhook,
        auth: false,
        handle: ({ params }) => {
          const interaction = this.interactions.byToken(params[0]!, params[1]!);
          return ok(w.messageJson(this.interactions.webhookMessage(interaction, params[2]!)));
        },
      },
      {
        method: "PATCH",
        pattern: new RegExp(`^/webhooks/${ID}/([^/]+)/messages/(@original|\\d{17,20})$`),
        name: "PATCH /webhooks/:id/:token/messages/:id",
        bucket: "webhook",
        major: byWebhook,
        auth: false,
        handle: ({ params, body }) => {
          const interaction = this.interactions.byToken(params[0]!, params[1]!);
          const message = this.interactions.webhookMessage(interaction, params[2]!);
          const parsed = parseMessageBody(body, { allowEphemeral: false });
          return ok(w.messageJson(this.messages.edit(message, parsed)));
        },
      },
      ...(["PUT", "GET"] as const).flatMap((method) => [
        {
          method,
          pattern: new RegExp(`^/applications/${ID}/commands$`),
          name: `${method} /applications/:id/commands`,
          auth: true,
          handle: ({ params, body }: Ctx) => ok(this.commandsRoute(method, params[0]!, "global", body)),
        },
        {
          method,
          pattern: new RegExp(`^/applications/${ID}/guilds/${ID}/commands$`),
          name: `${method} /applications/:id/guilds/:id/commands`,
          auth: true,
          handle: ({ params, body }: Ctx) => ok(this.commandsRoute(method, params[0]!, params[1]!, body)),
        },
      ]),
    ];
  }

  private listMessages(channel: FakeChannel, query: URLSearchParams): unknown[] {
    if (channel.deny.readHistory) throw missingAccess();
    const limit = Number(query.get("limit") ?? 50);
    if (!Number.isInteger(limit) || limit < 1 || limit > 100) {
      throw invalidForm("limit", "NUMBER_TYPE_MAX", "int value should be less than or equal to 100.");
    }
    let all = this.world.channelMessages(channel.id);
    const before = query.get("before");
    const after = query.get("after");
    if (before) all = all.filter((m) => BigInt(m.id) < BigInt(before));
    if (after) all = all.filter((m) => BigInt(m.id) > BigInt(after));
    // Newest first, as Discord returns them (with `after`, the oldest after it come first... reversed).
    const page = after ? all.slice(0, limit) : all.slice(-limit);
    return page.reverse().map((m) => this.world.messageJson(m));
  }

  private startThread(channel: FakeChannel, messageId: string, body: unknown): unknown {
    if (channel.type !== 0) throw new ApiError(400, 50024, "Cannot execute action on this channel type");
    if (channel.deny.createThreads) throw missingPermissions();
    const message = this.messages.get(channel.id, messageId);
    if (message.threadId)
      throw new ApiError(400, 160004, "A thread has already been created for this message");
    const name = isRecord(body) ? body.name : undefined;
    if (typeof name !== "string" || name.trim().length < 1 || name.length > 100) {
      throw invalidForm("name", "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length.");
    }
    const thread = this.world.addThreadFromMessage(message, name, this.world.bot.id);
    const json = this.world.channelJson(thread);
    this.gateway.dispatch(
      "THREAD_CREATE",
      { ...json, newly_created: true },
      { guildId: thread.guildId, intent: INTENT.guilds },
    );
    return json;
  }

  private commandsRoute(method: "PUT" | "GET", appId: string, scope: string, body: unknown): unknown {
    if (appId !== this.opts.applicationId) throw new ApiError(403, 50001, "Missing Access");
    if (scope !== "global" && !this.world.guilds.has(scope)) throw new ApiError(404, 10004, "Unknown Guild");
    if (method === "GET") return this.commands.get(scope) ?? [];
    if (!Array.isArray(body)) throw invalidForm("_root", "BASE_TYPE_LIST", "Must be an array.");
    const stored = body.map((cmd, i) => {
      if (!isRecord(cmd)) throw invalidForm(`${i}`, "DICT_TYPE_CONVERT", "Bad command.");
      checkCommand(cmd, `${i}`);
      return {
        ...cmd,
        id: this.world.ids.next(),
        application_id: appId,
        version: this.world.ids.next(),
        type: cmd.type ?? 1,
        ...(scope === "global" ? {} : { guild_id: scope }),
      };
    });
    this.commands.set(scope, stored);
    return stored;
  }
}

/** Discord's naming rules for chat-input commands and options (docs, "Application Commands"). */
function checkCommand(cmd: Record<string, unknown>, path: string): void {
  const name = cmd.name;
  if (typeof name !== "string" || !/^[-_\p{Ll}\p{N}]{1,32}$/u.test(name)) {
    throw invalidForm(`${path}.name`, "APPLICATION_COMMAND_INVALID_NAME", "Command name is invalid");
  }
  const description = cmd.description;
  if (typeof description !== "string" || description.length < 1 || description.length > 100) {
    throw invalidForm(`${path}.description`, "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length.");
  }
  const options = cmd.options;
  if (options === undefined) return;
  if (!Array.isArray(options) || options.length > 25)
    throw invalidForm(`${path}.options`, "BASE_TYPE_MAX_LENGTH", "Bad.");
  options.forEach((o, i) => {
    if (!isRecord(o) || typeof o.type !== "number" || o.type < 1 || o.type > 11) {
      throw invalidForm(`${path}.options.${i}.type`, "BASE_TYPE_CHOICES", "Bad option type.");
    }
    checkCommand(o, `${path}.options.${i}`);
  });
}
