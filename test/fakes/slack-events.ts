/**
 * What Slack sends to an app, built and delivered the way Slack does: Events API envelopes,
 * slash command forms and interactivity payloads, over HTTP signed with the signing secret
 * (v0 HMAC-SHA256 of `v0:timestamp:body`) or over the fake's Socket Mode WebSocket.
 */
import { createHmac, randomUUID } from "node:crypto";
import { FAKE_TEAM_ID, type FakeSlack } from "./slack-api.js";

export const FAKE_SIGNING_SECRET = "fake-signing-secret-0123456789";

export function signSlackRequest(secret: string, body: string, timestampSec: number): Record<string, string> {
  const signature = `v0=${createHmac("sha256", secret).update(`v0:${timestampSec}:${body}`).digest("hex")}`;
  return { "x-slack-request-timestamp": String(timestampSec), "x-slack-signature": signature };
}

export interface DeliveryResult {
  status: number;
  body: string;
}

export interface SendOptions {
  /** Slack's redelivery counter (X-Slack-Retry-Num / retry_attempt). */
  retryNum?: number;
  /** Sign with another secret, or with a timestamp this many seconds in the past. */
  secret?: string;
  ageSec?: number;
  signature?: string;
}

/** Everything an adapter receives, independent of the transport. */
export interface SlackDelivery {
  event(envelope: Record<string, unknown>, opts?: SendOptions): Promise<DeliveryResult>;
  command(form: Record<string, string>, opts?: SendOptions): Promise<DeliveryResult>;
  action(payload: Record<string, unknown>, opts?: SendOptions): Promise<DeliveryResult>;
}

/** POSTs to `POST /slack/events` of the service, signed. */
export class HttpDelivery implements SlackDelivery {
  constructor(
    readonly url: string,
    readonly secret: string = FAKE_SIGNING_SECRET,
  ) {}

  event(envelope: Record<string, unknown>, opts: SendOptions = {}): Promise<DeliveryResult> {
    return this.post(JSON.stringify(envelope), "application/json", opts);
  }

  command(form: Record<string, string>, opts: SendOptions = {}): Promise<DeliveryResult> {
    return this.post(new URLSearchParams(form).toString(), "application/x-www-form-urlencoded", opts);
  }

  action(payload: Record<string, unknown>, opts: SendOptions = {}): Promise<DeliveryResult> {
    const body = new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
    return this.post(body, "application/x-www-form-urlencoded", opts);
  }

  async post(body: string, contentType: string, opts: SendOptions = {}): Promise<DeliveryResult> {
    const ts = Math.floor(Date.now() / 1000) - (opts.ageSec ?? 0);
    const headers: Record<string, string> = {
      "content-type": contentType,
      ...signSlackRequest(opts.secret ?? this.secret, body, ts),
      ...(opts.signature ? { "x-slack-signature": opts.signature } : {}),
      ...(opts.retryNum
        ? { "x-slack-retry-num": String(opts.retryNum), "x-slack-retry-reason": "http_timeout" }
        : {}),
    };
    const res = await fetch(this.url, { method: "POST", headers, body });
    return { status: res.status, body: await res.text() };
  }
}

/** Sends the same payloads as Socket Mode envelopes; the status is 200 when acknowledged. */
export class SocketDelivery implements SlackDelivery {
  constructor(readonly fake: FakeSlack) {}

  async event(envelope: Record<string, unknown>, opts: SendOptions = {}): Promise<DeliveryResult> {
    const ack = await this.fake.socket.send("events_api", envelope, {
      ...(opts.retryNum ? { retryAttempt: opts.retryNum } : {}),
    });
    return { status: 200, body: JSON.stringify(ack.payload ?? {}) };
  }

  async command(form: Record<string, string>): Promise<DeliveryResult> {
    const ack = await this.fake.socket.send("slash_commands", form);
    return { status: 200, body: JSON.stringify(ack.payload ?? {}) };
  }

  async action(payload: Record<string, unknown>): Promise<DeliveryResult> {
    const ack = await this.fake.socket.send("interactive", payload);
    return { status: 200, body: JSON.stringify(ack.payload ?? {}) };
  }
}

// --- payload builders -----------------------------------------------------------------------

let eventCounter = 0;

/** An Events API envelope around `event`. Reuse `eventId` to model a redelivery. */
export function eventEnvelope(event: Record<string, unknown>, eventId = `Ev${++eventCounter}${Date.now()}`) {
  return {
    token: "verification-token-unused",
    team_id: FAKE_TEAM_ID,
    api_app_id: "A0FAKE",
    event,
    type: "event_callback",
    event_id: eventId,
    event_time: Math.floor(Date.now() / 1000),
    authorizations: [{ team_id: FAKE_TEAM_ID, user_id: "U0BOT", is_bot: true, is_enterprise_install: false }],
    is_ext_shared_channel: false,
  };
}

/** The `app_mention` and `message` events Slack sends for one channel post mentioning the bot. */
export function mentionEvents(opts: {
  channel: string;
  user: string;
  text: string;
  ts: string;
  threadTs?: string;
}) {
  const base = {
    user: opts.user,
    text: opts.text,
    ts: opts.ts,
    channel: opts.channel,
    event_ts: opts.ts,
    team: FAKE_TEAM_ID,
    ...(opts.threadTs ? { thread_ts: opts.threadTs } : {}),
  };
  return {
    appMention: { type: "app_mention", ...base },
    message: { type: "message", channel_type: "channel", ...base },
  };
}

export function messageEvent(opts: {
  channel: string;
  user: string;
  text: string;
  ts: string;
  threadTs?: string;
  channelType?: "channel" | "group" | "im";
  subtype?: string;
  botId?: string;
}) {
  return {
    type: "message",
    channel: opts.channel,
    channel_type: opts.channelType ?? "channel",
    user: opts.user,
    text: opts.text,
    ts: opts.ts,
    event_ts: opts.ts,
    team: FAKE_TEAM_ID,
    ...(opts.threadTs ? { thread_ts: opts.threadTs } : {}),
    ...(opts.subtype ? { subtype: opts.subtype } : {}),
    ...(opts.botId ? { bot_id: opts.botId } : {}),
  };
}

export function assistantThreadStarted(opts: { channel: string; user: string; threadTs: string }) {
  return {
    type: "assistant_thread_started",
    assistant_thread: {
      user_id: opts.user,
      channel_id: opts.channel,
      thread_ts: opts.threadTs,
      context: { channel_id: "C0CONTEXT", team_id: FAKE_TEAM_ID, enterprise_id: null },
    },
    event_ts: opts.threadTs,
  };
}

export function slashCommand(opts: {
  fake: FakeSlack;
  channel: string;
  user: string;
  text: string;
  command?: string;
}): Record<string, string> {
  return {
    token: "verification-token-unused",
    team_id: FAKE_TEAM_ID,
    team_domain: "fake",
    channel_id: opts.channel,
    channel_name: opts.fake.channels.get(opts.channel)?.name ?? opts.channel.toLowerCase(),
    user_id: opts.user,
    user_name: opts.fake.users.get(opts.user)?.name ?? opts.user,
    command: opts.command ?? "/summarize",
    text: opts.text,
    api_app_id: "A0FAKE",
    is_enterprise_install: "false",
    response_url: opts.fake.newResponseUrl(),
    trigger_id: `trigger-${randomUUID()}`,
  };
}

/** A click on a button in a message, as `block_actions`. */
export function buttonClick(opts: {
  fake: FakeSlack;
  channel: string;
  user: string;
  messageTs: string;
  actionId: string;
  value: string;
  blockId?: string;
  ephemeral?: boolean;
}): Record<string, unknown> {
  return {
    type: "block_actions",
    team: { id: FAKE_TEAM_ID, domain: "fake" },
    user: { id: opts.user, username: opts.user, team_id: FAKE_TEAM_ID },
    api_app_id: "A0FAKE",
    token: "verification-token-unused",
    container: {
      type: "message",
      message_ts: opts.messageTs,
      channel_id: opts.channel,
      is_ephemeral: !!opts.ephemeral,
    },
    trigger_id: `trigger-${randomUUID()}`,
    channel: { id: opts.channel, name: opts.channel.toLowerCase() },
    message: { type: "message", ts: opts.messageTs, text: "" },
    response_url: opts.fake.newResponseUrl(),
    actions: [
      {
        type: "button",
        action_id: opts.actionId,
        block_id: opts.blockId ?? "controls",
        value: opts.value,
        text: { type: "plain_text", text: "button" },
        action_ts: String(Date.now() / 1000),
      },
    ],
  };
}
