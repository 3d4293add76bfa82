/**
 * `/assistant` in Slack: the command's ids -> the shared command (platforms/assistant-command.ts).
 * The answer is the command's ephemeral ack: only the person who ran it sees it.
 */
import type { SlashCommand } from "@slack/bolt";
import type { AdapterDeps } from "../adapter.js";
import { type AssistantAction, runAssistantCommand } from "../assistant-command.js";

export function assistantCommand(
  command: Pick<SlashCommand, "team_id" | "channel_id" | "channel_name" | "user_id">,
  action: AssistantAction | null,
  deps: AdapterDeps,
): Promise<string> {
  const dm = command.channel_name === "directmessage" || command.channel_id.startsWith("D");
  return runAssistantCommand(
    action,
    {
      platform: "slack",
      workspaceId: command.team_id,
      channelId: command.channel_id,
      userId: command.user_id,
      kind: dm ? "dm" : "mention",
    },
    { replies: deps.replies, admins: deps.admins, defaultModel: deps.env.OPENAI_MODEL, log: deps.log },
  );
}
