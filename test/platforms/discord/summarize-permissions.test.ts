import { type ChatInputCommandInteraction, PermissionFlagsBits, PermissionsBitField } from "discord.js";
import { describe, expect, it } from "vitest";
import { memberRefusal } from "../../../src/platforms/discord/summarize-command.js";

type Asked = Pick<ChatInputCommandInteraction, "memberPermissions" | "channel">;

function asked(permissions: bigint | null, inThread: boolean): Asked {
  return {
    memberPermissions: permissions === null ? null : new PermissionsBitField(permissions).freeze(),
    channel: { isThread: () => inThread },
  } as unknown as Asked;
}

const { ViewChannel, ReadMessageHistory, SendMessages, SendMessagesInThreads, Administrator } =
  PermissionFlagsBits;

describe("who may /summarize on Discord", () => {
  it("lets a thread member share only with Send Messages in Threads, whatever Send Messages says", () => {
    const reader = ViewChannel | ReadMessageHistory;
    expect(memberRefusal(asked(reader | SendMessages, true), true)?.missing).toBe("SendMessagesInThreads");
    expect(memberRefusal(asked(reader | SendMessagesInThreads, true), true)).toBeNull();
    expect(memberRefusal(asked(reader | SendMessagesInThreads, false), true)?.missing).toBe("SendMessages");
  });

  it("lets an administrator do anything and a DM with the bot through", () => {
    expect(memberRefusal(asked(Administrator, false), true)).toBeNull();
    expect(memberRefusal(asked(null, false), true)).toBeNull();
  });

  it("refuses a member who can view the channel but not read its history", () => {
    expect(memberRefusal(asked(ViewChannel | SendMessages, false), false)?.missing).toBe(
      "ReadMessageHistory",
    );
  });
});
