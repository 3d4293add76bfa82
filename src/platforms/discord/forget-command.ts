/**
 * `/forget` in Discord (docs/privacy.md). `/forget` answers the asker alone (ephemeral) with a
 * Delete button; pressing it deletes everything the assistant keeps about them on Discord and
 * turns the prompt into what was deleted. `/forget user:<id>` does the same for another person,
 * for admins only (the policy file's admin list), for requests that come by email. The button's
 * custom id names whose data it deletes; the clicker is checked again on click.
 *
 * A Discord user id is global, and so is a person's data here: their DMs and every guild's
 * threads sit under one user key. Deleting it is therefore for the platform's admins
 * (`platforms.discord.admins`) only; an admin of one guild (`workspaces.<guild>.admins`) runs that
 * guild's switches but cannot erase what a person said in other guilds.
 */
import { type ChatInputCommandInteraction, Routes } from "discord.js";
import { forgetPrompt, forgetReport, type PersonalData } from "../../core/forget.js";
import { userKeyOf } from "../../core/types.js";
import type { Logger } from "../../log.js";
import type { AdminCheck } from "../adapter.js";
import { FORGET } from "./commands.js";
import { FLAG_EPHEMERAL, NO_MENTIONS } from "./render.js";
import { call } from "./rest.js";
import type { DiscordRest } from "./sink.js";
import { type ButtonClick, CALLBACK } from "./stop-button.js";

const PREFIX = "chatbot:forget:";
const CANCEL = `${PREFIX}cancel`;
/** Message component types and button styles (docs, "Component Reference"). */
const ACTION_ROW = 1;
const BUTTON = 2;
const STYLE = { secondary: 2, danger: 4 } as const;

const NOT_ADMIN =
  "Only the assistant's admins can delete another person's data (on Discord, the admins for every " +
  "server: a person's data spans them all). To delete your own, use `/forget`.";
const BAD_USER = "Give the person's Discord user id (or mention), e.g. `/forget user:123456789012345678`.";

export interface ForgetDeps {
  rest: DiscordRest;
  personalData: PersonalData;
  admins?: AdminCheck | undefined;
  log: Logger;
}

type Target = { kind: "self" } | { kind: "user"; userId: string };

/** A user id as typed or mentioned ("<@123>", "<@!123>", "123"). */
export function parseUserId(text: string): string | null {
  const m = /^(?:<@!?)?(\d{5,20})>?$/.exec(text.trim());
  return m ? m[1]! : null;
}

const customIdOf = (target: Target) =>
  target.kind === "self" ? `${PREFIX}self` : `${PREFIX}user:${target.userId}`;

function targetOf(customId: string): Target | "cancel" | null {
  if (customId === CANCEL) return "cancel";
  if (customId === `${PREFIX}self`) return { kind: "self" };
  if (customId.startsWith(`${PREFIX}user:`)) {
    const userId = parseUserId(customId.slice(`${PREFIX}user:`.length));
    return userId ? { kind: "user", userId } : null;
  }
  return null;
}

/** May delete another person's data: a platform-wide admin (see the header), wherever they ask. */
const isAdmin = (deps: ForgetDeps, userId: string) =>
  deps.admins?.isAdmin({ platform: "discord", userId }) ?? false;

export async function handleForget(
  interaction: ChatInputCommandInteraction,
  deps: ForgetDeps,
): Promise<void> {
  const asker = interaction.user.id;
  const named = interaction.options.getString(FORGET.user);
  let content: string;
  let components: unknown[] = [];
  const target: Target | null =
    named === null
      ? { kind: "self" }
      : ((id) => (id ? { kind: "user", userId: id } : null))(parseUserId(named));
  if (!target) {
    content = BAD_USER;
  } else if (target.kind === "user" && !isAdmin(deps, asker)) {
    deps.log.warn(
      { userId: asker, guildId: interaction.guildId, target: target.userId },
      "/forget user refused: not an admin",
    );
    content = NOT_ADMIN;
  } else {
    content =
      target.kind === "self"
        ? forgetPrompt(deps.personalData.kinds, "Discord")
        : forgetPrompt(deps.personalData.kinds, "Discord", `user ${target.userId}`);
    components = [
      {
        type: ACTION_ROW,
        components: [
          {
            type: BUTTON,
            style: STYLE.danger,
            label: target.kind === "self" ? "Delete my data" : "Delete their data",
            custom_id: customIdOf(target),
          },
          { type: BUTTON, style: STYLE.secondary, label: "Cancel", custom_id: CANCEL },
        ],
      },
    ];
  }
  await call("answer /forget", () =>
    deps.rest.post(Routes.interactionCallback(interaction.id, interaction.token), {
      auth: false,
      body: {
        type: CALLBACK.channelMessage,
        data: { content, components, flags: FLAG_EPHEMERAL, allowed_mentions: NO_MENTIONS },
      },
    }),
  );
}

/** The Delete or Cancel button under the prompt; false when the click is not one of ours. */
export async function handleForgetClick(
  click: ButtonClick & { guildId: string | null },
  deps: ForgetDeps,
): Promise<boolean> {
  if (!click.customId.startsWith(PREFIX)) return false;
  const target = targetOf(click.customId);
  let content: string;
  if (target === "cancel") {
    content = "Nothing was deleted.";
  } else if (!target) {
    content = BAD_USER;
  } else if (target.kind === "user" && !isAdmin(deps, click.userId)) {
    deps.log.warn({ userId: click.userId, target: target.userId }, "/forget user refused: not an admin");
    content = NOT_ADMIN;
  } else {
    const whose = target.kind === "self" ? click.userId : target.userId;
    const result = await deps.personalData.forget(userKeyOf({ platform: "discord", userId: whose }), {
      by: userKeyOf({ platform: "discord", userId: click.userId }),
      as: target.kind === "self" ? "self" : "admin",
    });
    content =
      target.kind === "self" ? forgetReport(result) : `User ${whose}: ${forgetReport(result, "their")}`;
  }
  await call("answer /forget button", () =>
    deps.rest.post(Routes.interactionCallback(click.interactionId, click.token), {
      auth: false,
      body: {
        type: CALLBACK.updateMessage,
        data: { content, components: [], allowed_mentions: NO_MENTIONS },
      },
    }),
  );
  return true;
}
