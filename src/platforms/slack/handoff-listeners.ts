/**
 * Slack's part in hand-offs, wired in one call: the poster and (with HANDOFF_SLACK_CHANNEL) the
 * team desk registered with the service, and the listeners: `/handoff`, the Claim and Return
 * buttons on announcements, and people's replies in team-channel threads. Listeners translate
 * and hand over to the hand-off service.
 */
import type { App } from "@slack/bolt";
import type { HandoffService } from "../../core/handoff/service.js";
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

export interface SlackHandoffContext {
  app: App;
  api: SlackApi;
  names: UserNames;
  service: HandoffService;
  /** HANDOFF_SLACK_CHANNEL: replies in its threads are team replies. */
  teamChannel: string | undefined;
  /** A sink replying in a thread (the adapter's answer sink), for the streamed summary. */
  threadSink: (channel: string, threadTs: string, turnId: string) => MessageSink;
  /** Remembers a channel thread as the bot's, so its follow-ups reach the core (and the relay). */
  rememberThread: (threadKey: string) => Promise<void>;
  log: Logger;
  /** Runs work after the acks are out (the adapter's `track`). */
  track: (work: () => Promise<unknown>) => void;
}

async function nameOf(ctx: SlackHandoffContext, userId: string): Promise<string> {
  return (await ctx.names.resolve([userId]).catch(() => new Map<string, string>())).get(userId) ?? userId;
}

function actionValue(action: unknown): string {
  const v = (action as { value?: unknown }).value;
  return typeof v === "string" ? v : "";
}

export function registerSlackHandoffs(ctx: SlackHandoffContext): void {
  const { app, service } = ctx;
  service.registerPoster(new SlackConversationPoster(ctx.api));
  if (ctx.teamChannel) {
    service.registerDesk(
      new SlackTeamDesk({
        api: ctx.api,
        channel: ctx.teamChannel,
        threadSink: (rec, team) => ctx.threadSink(team.channelId, team.threadId, `handoff-${rec.id}`),
      }),
    );
  }

  app.event("message", async ({ event }) => {
    const parsed = messageEventSchema.safeParse(event);
    if (!parsed.success || !isTeamReply(parsed.data, ctx.teamChannel)) return;
    const ev = parsed.data;
    ctx.track(async () => {
      const author = await nameOf(ctx, ev.user ?? "");
      await service.teamReply({
        team: { platform: "slack", channelId: ev.channel, threadId: ev.thread_ts ?? ev.ts },
        messageId: ev.ts,
        author,
        text: ev.text ?? "",
      });
    });
  });

  const onButton = (act: "claim" | "return") =>
    (async ({ ack, body, action }) => {
      await ack();
      const id = actionValue(action);
      const userId = body.user.id;
      ctx.track(async () => {
        const name = await nameOf(ctx, userId);
        const changed = act === "claim" ? await service.claim(id, name) : await service.giveBack(id, name);
        if (!changed) ctx.log.info({ handoffId: id, act }, "hand-off button: nothing to change");
      });
    }) satisfies Parameters<App["action"]>[1];
  app.action(HANDOFF_CLAIM_ACTION_ID, onButton("claim"));
  app.action(HANDOFF_RETURN_ACTION_ID, onButton("return"));

  app.command("/handoff", async ({ command, ack }) => {
    await ack(
      outgoing({
        response_type: "ephemeral" as const,
        text: "Asking a person from the support team to join...",
      }),
    );
    const reason = (command.text ?? "").trim() || "asked for a person (/handoff)";
    ctx.track(async () => {
      const userName = await nameOf(ctx, command.user_id);
      let conversation: ConversationRef = {
        platform: "slack",
        workspaceId: command.team_id,
        channelId: command.channel_id,
        threadId: DM_MAIN_THREAD,
      };
      if (!command.channel_id.startsWith("D")) {
        // A channel has no conversation of its own: the hand-off gets a thread under a new post,
        // and the bot keeps following that thread (so the customer's replies are relayed).
        const res = await patiently<{ ts?: string }>(ctx.api, "chat.postMessage", {
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
        userScope: command.enterprise_id || command.team_id,
        userName,
        reason,
        trigger: "command",
      });
    });
  });
}
