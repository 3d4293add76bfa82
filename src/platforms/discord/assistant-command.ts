/**
 * `/assistant [action]` in Discord: the interaction's ids -> the shared command
 * (platforms/assistant-command.ts), answered with an ephemeral message (only the person who ran
 * it sees it). In a thread the switch and the policy are the parent channel's, as for the
 * conversations the bot holds in threads it opened (receive.ts).
 */
import { type ChatInputCommandInteraction, Routes } from "discord.js";
import type { AdapterDeps } from "../adapter.js";
import { parseAssistantAction, runAssistantCommand } from "../assistant-command.js";
import { ASSISTANT } from "./commands.js";
import { DM_WORKSPACE } from "./receive.js";
import { FLAG_EPHEMERAL, NO_MENTIONS } from "./render.js";
import { call } from "./rest.js";
import type { DiscordRest } from "./sink.js";
import { CALLBACK } from "./stop-button.js";

export async function handleAssistant(
  interaction: ChatInputCommandInteraction,
  ctx: { rest: DiscordRest; deps: AdapterDeps },
): Promise<void> {
  const { deps } = ctx;
  const channel = interaction.channel;
  const channelId = channel?.isThread() ? (channel.parentId ?? interaction.channelId) : interaction.channelId;
  const text = await runAssistantCommand(
    parseAssistantAction(interaction.options.getString(ASSISTANT.action) ?? ""),
    {
      platform: "discord",
      workspaceId: interaction.guildId ?? DM_WORKSPACE,
      channelId,
      userId: interaction.user.id,
      kind: interaction.inGuild() ? "mention" : "dm",
    },
    { replies: deps.replies, admins: deps.admins, defaultModel: deps.env.OPENAI_MODEL, log: deps.log },
  );
  await call("answer /assistant", () =>
    ctx.rest.post(Routes.interactionCallback(interaction.id, interaction.token), {
      auth: false,
      body: {
        type: CALLBACK.channelMessage,
        data: { content: text, flags: FLAG_EPHEMERAL, allowed_mentions: NO_MENTIONS },
      },
    }),
  );
}
