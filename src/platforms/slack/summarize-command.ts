/**
 * `/summarize`: acknowledged at once (Slack wants an answer within 3 seconds), then the channel
 * or thread is read, people's messages are handed to the core, and the summary goes to the asker
 * only (response_url) or, with `share`, into the channel. Slack's refusals (not a member, private
 * channel, missing scope) become one clear sentence each.
 */
import type { Conversation } from "../../core/conversation.js";
import { PlatformError } from "../../core/errors.js";
import type { KeyValueStore, SinkLimits } from "../../core/ports.js";
import type { Logger } from "../../log.js";
import { SUMMARIZE_OFF } from "../summarize-policy.js";
import type { AnswerTarget, SlackAnswerSink } from "./answer-sink.js";
import { neededScope, type SlackApi } from "./api.js";
import { fetchChannel, fetchThread, mentionedUsers, toTranscript } from "./history.js";
import { isConversationMember } from "./membership.js";
import type { UserNames } from "./names.js";
import { trustedMention } from "./outgoing.js";
import { renderMessage, splitForMessages } from "./render.js";
import type { SummarizeArgs } from "./summarize-args.js";
import { EphemeralSummarySink } from "./summary-sink.js";

/** How long reading history may wait out Slack rate limits before summarizing what it has. */
export const HISTORY_MAX_WAIT_MS = 20_000;
/** A button's response_url answer should come back fast. */
const RESPONSE_URL_TIMEOUT_MS = 10_000;
/** A private summary can be shared for this long. */
const SHARE_TTL_MS = 3600 * 1000;

export interface SlashCommand {
  team_id: string;
  /** Enterprise Grid org the command came from (empty or absent outside Grid). */
  enterprise_id?: string | undefined;
  channel_id: string;
  channel_name?: string;
  user_id: string;
  text: string;
  response_url: string;
  trigger_id: string;
}

export interface SummarizeDeps {
  api: SlackApi;
  conversation: Conversation;
  kv: KeyValueStore;
  names: UserNames;
  log: Logger;
  botName: string;
  /** Limits of the private (buffered) summary sink: edits there cost no API calls. */
  privateLimits: (requestId: string) => SinkLimits;
  answerSink: (target: AnswerTarget, turnId: string) => SlackAnswerSink;
  historyMaxWaitMs?: number;
  /** The policy's say (summarize-policy.ts): may this conversation be read for a summary? */
  maySummarize?: (channelId: string) => Promise<boolean>;
}

interface SharedSummary {
  channel: string;
  threadTs?: string | undefined;
  subject: string;
  userId: string;
  text: string;
}

/** The immediate, ephemeral acknowledgement. */
export function ackText(cmd: SlashCommand, args: SummarizeArgs): string {
  const where = args.thread ? "the thread" : channelLabel(cmd);
  const what = args.windowMs
    ? `the last ${humanWindow(args.windowMs)} of ${where}`
    : args.thread
      ? where
      : `the last ${args.count} messages of ${where}`;
  return `Summarizing ${what}${args.share ? " for everyone here" : ""}…`;
}

export async function runSummarize(
  cmd: SlashCommand,
  args: SummarizeArgs,
  deps: SummarizeDeps,
): Promise<void> {
  const log = deps.log.child({ command: "/summarize", channel: cmd.channel_id, userId: cmd.user_id });
  const shareKey = `slack:summary:${cmd.trigger_id}`;
  // A thread link may point into another conversation; its summary is never posted here.
  const channel = args.thread?.channel ?? cmd.channel_id;
  const foreign = channel !== cmd.channel_id;
  const shared: SharedSummary = {
    channel: cmd.channel_id,
    threadTs: args.thread?.ts,
    subject: "",
    userId: cmd.user_id,
    text: "",
  };
  // The asker's private view: notices, and the summary itself unless it is shared.
  const privateSink = new EphemeralSummarySink(
    {
      channel: cmd.channel_id,
      userId: cmd.user_id,
      responseUrl: cmd.response_url,
      shareValue: args.share || foreign ? undefined : shareKey,
    },
    deps.privateLimits(cmd.trigger_id),
    {
      api: deps.api,
      log,
      onDelivered: (text) =>
        deps.kv.set(shareKey, JSON.stringify({ ...shared, text }), SHARE_TTL_MS).catch(() => {}),
    },
  );
  const maxWaitMs = deps.historyMaxWaitMs ?? HISTORY_MAX_WAIT_MS;
  // The conversation read (a linked thread's, not only this one) must be one the bot may answer in.
  if (deps.maySummarize && !(await deps.maySummarize(channel))) {
    await privateSink.notice(SUMMARIZE_OFF);
    return;
  }
  if (args.thread) {
    // The bot reads with its own access: a linked thread is summarized only for members of its
    // conversation, and shared only where it lives (sharing it here would show it to this
    // channel's members).
    const refusal = await threadLinkRefusal(cmd, args, deps, maxWaitMs);
    if (refusal) {
      log.info({ linkedChannel: channel, reason: refusal.reason }, "/summarize of a thread link refused");
      await privateSink.notice(refusal.text);
      return;
    }
  }
  let fetched: Awaited<ReturnType<typeof fetchChannel>>;
  try {
    fetched = args.thread
      ? await fetchThread(deps.api, { channel, ts: args.thread.ts, count: args.count, maxWaitMs })
      : await fetchChannel(deps.api, {
          channel,
          count: args.count,
          oldestSec: args.windowMs ? (Date.now() - args.windowMs) / 1000 : undefined,
          maxWaitMs,
        });
  } catch (err) {
    log.info(
      { code: err instanceof PlatformError ? err.code : "unknown" },
      "could not read history for a summary",
    );
    await privateSink.notice(
      historyErrorText(err, foreign ? `<#${channel}>` : channelLabel(cmd), deps.botName),
    );
    return;
  }
  const names = await deps.names.resolve(mentionedUsers(fetched.messages));
  const lines = toTranscript(fetched.messages, names);
  let subject = args.thread
    ? `a thread in ${foreign ? `<#${channel}>` : channelLabel(cmd)}`
    : args.windowMs
      ? `${channelLabel(cmd)}, last ${humanWindow(args.windowMs)}`
      : `${channelLabel(cmd)}, last ${lines.length} messages`;
  if (fetched.partial)
    subject += ` (Slack's rate limits let me read only the latest ${lines.length} messages)`;
  shared.subject = subject;

  let sink: EphemeralSummarySink | SlackAnswerSink = privateSink;
  if (args.share) {
    sink = deps.answerSink(
      { teamId: cmd.team_id, channel, threadTs: args.thread?.ts, userId: cmd.user_id },
      cmd.trigger_id,
    );
    await privateSink.notice(`Posting the summary of ${subject} in the channel.`).catch(() => {});
  }
  await deps.conversation.summarize({
    platform: "slack",
    workspaceId: cmd.team_id,
    channelId: channel,
    userId: cmd.user_id,
    userScope: cmd.enterprise_id || cmd.team_id,
    requestId: cmd.trigger_id,
    lines,
    sink,
    subject,
  });
}

/** Why the asker may not have a summary of the linked thread, or null when they may. */
async function threadLinkRefusal(
  cmd: SlashCommand,
  args: SummarizeArgs,
  deps: SummarizeDeps,
  maxWaitMs: number,
): Promise<{ reason: string; text: string } | null> {
  const channel = args.thread?.channel ?? cmd.channel_id;
  const where = `<#${channel}>`;
  if (args.share && channel !== cmd.channel_id) {
    return {
      reason: "share_elsewhere",
      text: `I can only post a summary of that thread in ${where}, where it is. Run \`/summarize\` with the link and \`share\` there, or leave out \`share\` to see it yourself.`,
    };
  }
  let member: boolean;
  try {
    member = await isConversationMember(deps.api, channel, cmd.user_id, { maxWaitMs });
  } catch (err) {
    const code = err instanceof PlatformError ? err.code : "unknown";
    return { reason: code, text: historyErrorText(err, where, deps.botName) };
  }
  if (member) return null;
  return {
    reason: "not_a_member",
    text: `You're not a member of ${where}, so I can't summarize its threads for you. Join it and try again.`,
  };
}

/** The Share button on a private summary: post it in the channel, replace the private copy. */
export async function shareSummary(
  action: { key: string; userId: string; responseUrl?: string | undefined },
  deps: Pick<SummarizeDeps, "api" | "kv" | "log">,
): Promise<void> {
  const raw = await deps.kv.get(action.key);
  const reply = async (text: string) => {
    if (!action.responseUrl) return;
    await deps.api.respond(
      action.responseUrl,
      { replace_original: true, text },
      { timeoutMs: RESPONSE_URL_TIMEOUT_MS },
    );
  };
  if (!raw) return reply("This summary is too old to share. Run `/summarize share` to post a fresh one.");
  const summary = JSON.parse(raw) as SharedSummary;
  if (summary.userId !== action.userId) return;
  // A long summary (several private parts) may need more than one message.
  for (const part of splitForMessages(`_Shared by ${trustedMention(summary.userId)}:_\n\n${summary.text}`)) {
    await deps.api.call("chat.postMessage", {
      channel: summary.channel,
      ...(summary.threadTs ? { thread_ts: summary.threadTs } : {}),
      ...renderMessage(part),
      unfurl_links: false,
    });
  }
  await reply("Shared the summary in the channel.");
}

export function historyErrorText(err: unknown, where: string, botName: string): string {
  const code = err instanceof PlatformError ? err.code : "unknown";
  switch (code) {
    case "not_in_channel":
      return `I'm not a member of ${where}, so I can't read it. Add me with \`/invite @${botName}\` and try again.`;
    case "channel_not_found":
      return `I can't see ${where}. If it's a private channel, add me first with \`/invite @${botName}\`. I can't read direct messages between other people.`;
    case "missing_scope": {
      const needed = err instanceof PlatformError ? neededScope(err) : undefined;
      return `This Slack app is missing the permission${needed ? ` \`${needed}\`` : ""} it needs to read ${where}. A workspace admin can add it (see manifests/slack-app.yaml) and reinstall the app.`;
    }
    case "thread_not_found":
      return "I couldn't find that thread. Use *Copy link* on a message in the thread and try again.";
    case "ratelimited":
      return "Slack is limiting how fast I can read messages right now. Please try again in a minute.";
    default:
      return `I couldn't read the messages of ${where} (Slack said \`${code}\`). Please try again.`;
  }
}

function channelLabel(cmd: SlashCommand): string {
  const name = cmd.channel_name;
  if (!name || name === "directmessage" || name === "privategroup") return "this conversation";
  return `#${name}`;
}

function humanWindow(ms: number): string {
  const minutes = Math.round(ms / 60_000);
  if (minutes < 120) return `${minutes} minute${minutes === 1 ? "" : "s"}`;
  const hours = Math.round(minutes / 60);
  if (hours < 48) return `${hours} hours`;
  return `${Math.round(hours / 24)} days`;
}
