/**
 * Slack's part in hand-offs, wired in one call: the poster and (with HANDOFF_SLACK_CHANNEL) the
 * team desk registered with the service, and the listeners: `/handoff`, the Claim and Return
 * buttons on announcements, and people's replies in team-channel threads. Listeners translate
 * and hand over to the hand-off service.
 */
import type { App, Context } from "@slack/bolt";
import type { HandoffService } from "../../core/handoff/service.js";
import { HANDOFF_TEXT } from "../../core/handoff/texts.js";
import type { MessageSink } from "../../core/ports.js";
import type { ConversationRef } from "../../core/types.js";
import type { Logger } from "../../log.js";
import type { SlackApi } from "./api.js";
import { botThreadKey, DM_MAIN_THREAD, messageEventSchema } from "./events.js";
import {
  HANDOFF_CLAIM_ACTION_ID,
  HANDOFF_RETURN_ACTION_ID,
  isTeamReply,
  patiently,
  SlackConversationPoster,
  SlackTeamDesk,
} from "./handoff.js";
import type { UserNames } from "./names.js";
import { outgoing } from "./outgoing.js";
import { renderMessage } from "./render.js";

/** What the listeners need of a workspace: its Web API and its people's names. */
export interface HandoffWorkspace {
  api: SlackApi;
  names: UserNames;
}

export interface SlackHandoffContext<W extends HandoffWorkspace> {
  app: App;
  /** The workspace Bolt authorized an event for (null: not installed there). */
  workspaceOf: (context: Context) => Promise<W | null>;
  /** A conversation's workspace by team id, for posting into it outside an event. */
  workspace: (teamId: string) => Promise<W | null>;
  /** The workspace of HANDOFF_SLACK_CHANNEL. */
  teamWorkspace: () => Promise<W | null>;
  service: HandoffService;
  /** HANDOFF_SLACK_CHANNEL: replies in its threads are team replies. */
  teamChannel: string | undefined;
  /** A sink replying in a thread (the adapter's answer sink), for the streamed summary. */
  threadSink: (ws: W, channel: string, threadTs: string, turnId: string) => MessageSink;
  /** Remembers a channel thread as the bot's, so its follow-ups reach the core (and the relay). */
  rememberThread: (threadKey: string) => Promise<void>;
  log: Logger;
  /** Runs work after the acks are out (the adapter's `track`). */
  track: (ws: W, work: () => Promise<unknown>) => void;
}

async function nameOf(ws: HandoffWorkspace, userId: string): Promise<string> {
  return (await ws.names.resolve([userId]).catch(() => new Map<string, string>())).get(userId) ?? userId;
}

/** A workspace that must be there (posting into a conversation it served moments ago). */
async function required<W>(ws: Promise<W | null>, what: string): Promise<W> {
  const found = await ws;
  if (!found) throw new Error(`slack: no installation for ${what}`);
  return found;
}

function actionValue(action: unknown): string {
  const v = (action as { value?: unknown }).value;
  return typeof v === "string" ? v : "";
}

/** The message a button was clicked on: its channel and ts. */
function clickedMessage(body: unknown): { channelId: string; messageId: string } | undefined {
  const c = (body as { container?: { channel_id?: unknown; message_ts?: unknown } }).container;
  return typeof c?.channel_id === "string" && typeof c.message_ts === "string"
    ? { channelId: c.channel_id, messageId: c.message_ts }
    : undefined;
}

export function registerSlackHandoffs<W extends HandoffWorkspace>(ctx: SlackHandoffContext<W>): void {
  const { app, service } = ctx;
  service.registerPoster(
    new SlackConversationPoster(async (teamId) => (await required(ctx.workspace(teamId), teamId)).api),
  );
  if (ctx.teamChannel) {
    service.registerDesk(
      new SlackTeamDesk({
        api: async () => (await required(ctx.teamWorkspace(), "the hand-off team channel")).api,
        channel: ctx.teamChannel,
        threadSink: async (rec, team) =>
          ctx.threadSink(
            await required(ctx.teamWorkspace(), "the hand-off team channel"),
            team.channelId,
            team.threadId,
            `handoff-${rec.id}`,
          ),
      }),
    );
  }

  app.event("message", async ({ event, context }) => {
    const parsed = messageEventSchema.safeParse(event);
    if (!parsed.success || !isTeamReply(parsed.data, ctx.teamChannel)) return;
    const ev = parsed.data;
    const ws = await ctx.workspaceOf(context);
    if (!ws) return;
    ctx.track(ws, async () => {
      const author = await nameOf(ws, ev.user ?? "");
      await service.teamReply({
        team: { platform: "slack", channelId: ev.channel, threadId: ev.thread_ts ?? ev.ts },
        messageId: ev.ts,
        author,
        text: ev.text ?? "",
      });
    });
  });

  const onButton = (act: "claim" | "return") =>
    (async ({ ack, body, action, context }) => {
      await ack();
      const id = actionValue(action);
      const userId = body.user.id;
      const where = clickedMessage(body);
      const ws = await ctx.workspaceOf(context);
      if (!ws) return;
      ctx.track(ws, async () => {
        if (!where || !(await service.clickedOnAnnouncement(id, { platform: "slack", ...where }))) {
          ctx.log.warn({ handoffId: id, act, userId }, "hand-off button not on its announcement: ignored");
          return;
        }
        const name = await nameOf(ws, userId);
        const changed = act === "claim" ? await service.claim(id, name) : await service.giveBack(id, name);
        if (!changed) ctx.log.info({ handoffId: id, act }, "hand-off button: nothing to change");
      });
    }) satisfies Parameters<App["action"]>[1];
  app.action(HANDOFF_CLAIM_ACTION_ID, onButton("claim"));
  app.action(HANDOFF_RETURN_ACTION_ID, onButton("return"));

  app.command("/handoff", async ({ command, ack, context, respond }) => {
    await ack(
      outgoing({
        response_type: "ephemeral" as const,
        text: "Asking a person from the support team to join...",
      }),
    );
    const reason = (command.text ?? "").trim() || "asked for a person (/handoff)";
    const ws = await ctx.workspaceOf(context);
    if (!ws) return;
    ctx.track(ws, async () => {
      const userName = await nameOf(ws, command.user_id);
      let conversation: ConversationRef = {
        platform: "slack",
        workspaceId: command.team_id,
        channelId: command.channel_id,
        threadId: DM_MAIN_THREAD,
      };
      const userScope = command.enterprise_id || command.team_id;
      const allowanceTaken = !command.channel_id.startsWith("D");
      if (allowanceTaken && !(await service.allowNew({ conversation, userScope, userId: command.user_id }))) {
        // Checked before the post below: a refused request leaves nothing in the channel.
        await respond(outgoing({ response_type: "ephemeral" as const, text: HANDOFF_TEXT.tooSoon })).catch(
          (err: unknown) => ctx.log.warn({ err }, "could not tell the person to wait before asking again"),
        );
        return;
      }
      if (!command.channel_id.startsWith("D")) {
        // A channel has no conversation of its own: the hand-off gets a thread under a new post,
        // and the bot keeps following that thread (so the customer's replies are relayed).
        const res = await patiently<{ ts?: string }>(ws.api, "chat.postMessage", {
          channel: command.channel_id,
          ...renderMessage(
            `**${userName}** asked for a person from the support team. Please continue in this thread.`,
          ),
        });
        if (!res.ts) return;
        conversation = { ...conversation, threadId: res.ts };
        await ctx.rememberThread(botThreadKey(command.team_id, command.channel_id, res.ts));
      }
      await service.request({
        conversation,
        userId: command.user_id,
        userScope,
        userName,
        reason,
        trigger: "command",
        allowanceTaken,
      });
    });
  });
}
