/**
 * /summarize [count] [share]: acknowledge at once (Discord drops a command not answered within
 * 3 seconds), read the channel's recent messages, and let the core stream the summary into the
 * deferred reply. Ephemeral unless the user asks to share it.
 *
 * The bot reads with its own permissions, so it first checks the asker's: a summary goes only to
 * a member who may read the channel's history, and is posted for everyone only by a member who
 * may send messages there.
 */
import { type ChatInputCommandInteraction, PermissionFlagsBits, Routes } from "discord.js";
import type { Conversation } from "../../core/conversation.js";
import type { ReplyPlace } from "../../core/policy/replies.js";
import type { Logger } from "../../log.js";
import { SUMMARIZE_OFF } from "../summarize-policy.js";
import { SUMMARIZE, SUMMARIZE_DEFAULT_COUNT, SUMMARIZE_MAX_COUNT } from "./commands.js";
import { InteractionSink } from "./interaction-sink.js";
import { DM_WORKSPACE } from "./receive.js";
import { type EditBudgetShape, FLAG_EPHEMERAL, NO_MENTIONS } from "./render.js";
import { call, DISCORD_CODE, discordCode } from "./rest.js";
import type { DiscordRest } from "./sink.js";
import { CALLBACK } from "./stop-button.js";
import { fetchTranscript } from "./transcript.js";

/** Interaction tokens live 15 minutes; stop a little before so the final edit still lands. */
const INTERACTION_WINDOW_MS = 14 * 60_000;

export interface SummarizeDeps {
  rest: DiscordRest;
  conversation: Conversation;
  log: Logger;
  applicationId: string;
  budget?: EditBudgetShape;
  /** The policy's say (summarize-policy.ts): may this conversation be read for a summary? */
  maySummarize?: (place: ReplyPlace) => Promise<boolean>;
}

export async function handleSummarize(
  interaction: ChatInputCommandInteraction,
  deps: SummarizeDeps,
): Promise<void> {
  const share = interaction.options.getBoolean(SUMMARIZE.share) ?? false;
  const requested = interaction.options.getInteger(SUMMARIZE.count) ?? SUMMARIZE_DEFAULT_COUNT;
  const count = Math.min(Math.max(requested, 1), SUMMARIZE_MAX_COUNT);
  const log = deps.log.child({ interactionId: interaction.id, channelId: interaction.channelId });

  const channel = interaction.channel;
  const allowed =
    !deps.maySummarize ||
    (await deps.maySummarize({
      platform: "discord",
      workspaceId: interaction.guildId ?? DM_WORKSPACE,
      channelId: interaction.channelId,
      // A thread is read under its channel's policy, as its conversations are.
      parentChannelId: channel?.isThread() ? (channel.parentId ?? undefined) : undefined,
      userId: interaction.user.id,
      kind: interaction.inGuild() ? "command" : "dm",
    }));
  const refusal = allowed ? memberRefusal(interaction, share) : { text: SUMMARIZE_OFF, missing: "policy" };
  if (refusal) {
    log.info(
      { userId: interaction.user.id, missing: refusal.missing, share },
      "/summarize refused: asker lacks a permission",
    );
    await call("refuse /summarize", () =>
      deps.rest.post(Routes.interactionCallback(interaction.id, interaction.token), {
        auth: false,
        body: {
          type: CALLBACK.channelMessage,
          data: { content: refusal.text, flags: FLAG_EPHEMERAL, allowed_mentions: NO_MENTIONS },
        },
      }),
    ).catch((err: unknown) => log.warn({ err }, "could not tell the user why /summarize was refused"));
    return;
  }

  try {
    await call("defer reply", () =>
      deps.rest.post(Routes.interactionCallback(interaction.id, interaction.token), {
        auth: false,
        body: { type: CALLBACK.deferredChannelMessage, data: { flags: share ? 0 : FLAG_EPHEMERAL } },
      }),
    );
  } catch (err) {
    const code = discordCode(err);
    // Acknowledged already: another replica got the same event and is handling it.
    if (code === DISCORD_CODE.interactionAcknowledged) return;
    log.warn({ err, code }, "could not acknowledge /summarize in time");
    return;
  }

  const sink = new InteractionSink(
    deps.rest,
    {
      id: interaction.id,
      token: interaction.token,
      applicationId: deps.applicationId,
      userId: interaction.user.id,
      ephemeral: !share,
    },
    deps.budget,
  );
  const channelId = interaction.channelId;
  let transcript: Awaited<ReturnType<typeof fetchTranscript>>;
  try {
    transcript = await fetchTranscript(deps.rest, channelId, count);
  } catch (err) {
    const code = discordCode(err);
    log.warn({ err, code }, "could not read channel history for /summarize");
    const denied = code === DISCORD_CODE.missingAccess || code === DISCORD_CODE.missingPermissions;
    await sink
      .notice(
        denied
          ? "I can't read this channel's history. Give me the **Read Message History** permission here and try again."
          : "I couldn't read this channel's messages just now. Please try again in a moment.",
      )
      .catch((e: unknown) => log.warn({ err: e }, "could not tell the user"));
    return;
  }
  const channelName = interaction.channel && "name" in interaction.channel ? interaction.channel.name : null;
  const subject = channelName
    ? `#${channelName}, last ${transcript.fetched} messages`
    : `this conversation, last ${transcript.fetched} messages`;
  const result = await deps.conversation.summarize({
    platform: "discord",
    workspaceId: interaction.guildId ?? DM_WORKSPACE,
    channelId,
    userId: interaction.user.id,
    requestId: interaction.id,
    lines: transcript.lines,
    sink,
    subject,
    signal: AbortSignal.timeout(INTERACTION_WINDOW_MS),
  });
  log.debug({ outcome: result.outcome, lines: transcript.lines.length }, "/summarize finished");
}

/**
 * Why the asker may not have this summary, or null. Discord computes `member.permissions` of an
 * interaction for the channel it was used in (roles and overwrites; a thread inherits its
 * parent's). No member (a DM with the bot): the DM is the asker's own.
 */
export function memberRefusal(
  interaction: Pick<ChatInputCommandInteraction, "memberPermissions" | "channel">,
  share: boolean,
): { missing: string; text: string } | null {
  const permissions = interaction.memberPermissions;
  if (!permissions) return null;
  if (
    !permissions.has(PermissionFlagsBits.ViewChannel) ||
    !permissions.has(PermissionFlagsBits.ReadMessageHistory)
  ) {
    return {
      missing: "ReadMessageHistory",
      text: "You can't read this channel's message history, so I can't summarize it for you.",
    };
  }
  if (!share) return null;
  const inThread = interaction.channel?.isThread() ?? false;
  const send = inThread ? PermissionFlagsBits.SendMessagesInThreads : PermissionFlagsBits.SendMessages;
  if (!permissions.has(send)) {
    return {
      missing: inThread ? "SendMessagesInThreads" : "SendMessages",
      text: `You can't send messages ${inThread ? "in this thread" : "in this channel"}, so I can't post a summary here for you. Run \`/summarize\` without \`share\` to see it yourself.`,
    };
  }
  return null;
}

/**
 * Any other command (removed from the manifest, still registered until the next
 * `npm run discord:register`): say so instead of leaving "The application did not respond".
 */
export async function handleUnknownCommand(
  interaction: ChatInputCommandInteraction,
  rest: DiscordRest,
): Promise<void> {
  await call("unknown command", () =>
    rest.post(Routes.interactionCallback(interaction.id, interaction.token), {
      auth: false,
      body: {
        type: CALLBACK.channelMessage,
        data: {
          content: `/${interaction.commandName} is not available any more.`,
          flags: FLAG_EPHEMERAL,
          allowed_mentions: NO_MENTIONS,
        },
      },
    }),
  );
}
